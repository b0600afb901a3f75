import type { ReportFlatness } from '../../shared/report';
import type { CurvatureSums } from '../analysis/curvatureSums';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import { flattenParameters, parameterLayout, unflattenParameters } from './parameterVector';

/**
 * The canonical representative of the model's rescaling orbit: every neuron j rescaled by its
 * t*_j (FLATNESS.md section 3), (a_j, w_j, b_j) -> (t^-k a_j, t w_j, t b_j). Any rescaled copy
 * of the same network has the same canonical representative, so every quantity computed there
 * is invariant under the symmetry.
 */
export type CanonicalRescaling =
  | {
    available: true;
    /** t*_j per neuron (1 where no finite optimum exists). */
    scales: Float64Array;
    /** theta'_p = parameterScales_p * theta_p, in parameterVector order. */
    parameterScales: Float64Array;
    unscaledNeurons: number;
    degree: number;
  }
  | { available: false; reason: string };

export function canonicalRescaling(model: TwoLayerModel, flatness: ReportFlatness): CanonicalRescaling {
  const activation = makeActivation(model.activation);
  const k = activation.homogeneityDegree;
  if (k === null) {
    return {
      available: false,
      reason: `${activation.label} is not positively homogeneous: there is no rescaling symmetry, so no canonical representative`,
    };
  }
  if (!flatness.atMinimum) {
    return {
      available: false,
      reason: 'some neurons have B_j + C_j < 0 (negative curvature along their orbit): the orbit has no flattest point',
    };
  }
  const m = model.hiddenDim;
  const scales = new Float64Array(m);
  let unscaledNeurons = 0;
  for (let j = 0; j < m; j++) {
    const t = flatness.perNeuron[j]?.optimalScale ?? null;
    if (t === null || !Number.isFinite(t) || t <= 0) {
      scales[j] = 1;
      unscaledNeurons++;
    } else {
      scales[j] = t;
    }
  }
  return { available: true, scales, parameterScales: parameterScalesOf(model, scales, k), unscaledNeurons, degree: k };
}

/** Per-parameter factors of the rescaling t_j: t_j on (w_j, b_j), t_j^-k on a_j, 1 on c0. */
export function parameterScalesOf(model: TwoLayerModel, scales: Float64Array, k: number): Float64Array {
  const layout = parameterLayout(model);
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const factors = new Float64Array(layout.size).fill(1);
  for (let j = 0; j < m; j++) {
    const t = scales[j]!;
    for (let l = 0; l < d; l++) factors[j * d + l] = t;
    if (layout.hasHiddenBias) factors[layout.hiddenBiasOffset + j] = t;
    for (let o = 0; o < c; o++) factors[layout.outputWeightsOffset + o * m + j] = Math.pow(t, -k);
  }
  return factors;
}

/** The same network with neuron j rescaled by scales[j]. */
export function rescaleNeurons(model: TwoLayerModel, scales: Float64Array, k: number): TwoLayerModel {
  const factors = parameterScalesOf(model, scales, k);
  const theta = flattenParameters(model);
  for (let p = 0; p < theta.length; p++) theta[p] = theta[p]! * factors[p]!;
  return unflattenParameters(model, theta);
}

/**
 * Exact Hessian trace after rescaling neuron j by scales[j], from the per-neuron trace terms
 * (FLATNESS.md section 3: A_j -> t^2k A_j, B_j + C_j -> t^-2 (B_j + C_j)).
 */
export function rescaledTrace(sums: Pick<CurvatureSums, 'neuronA' | 'neuronB' | 'neuronC' | 'outputBiasTerm'>, scales: Float64Array, k: number): number {
  let total = sums.outputBiasTerm;
  for (let j = 0; j < scales.length; j++) {
    const t = scales[j]!;
    total += sums.neuronA[j]! * Math.pow(t, 2 * k) + (sums.neuronB[j]! + sums.neuronC[j]!) / (t * t);
  }
  return total;
}
