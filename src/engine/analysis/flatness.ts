import type { MaybeNumber, NeuronRow, OrbitPoint, ReportFlatness } from '../../shared/report';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import type { LossSpec } from '../math/losses';
import { neuronNorms } from '../math/balancedRescaling';
import type { CurvatureSums } from './curvatureSums';

export const ORBIT_POINTS = 81;
export const ORBIT_RANGE: readonly [number, number] = [1e-2, 1e2];

/** min over t > 0 of A t^{2k} + D t^{-2}, with the minimizer; FLATNESS.md section 3. */
export function orbitMinimum(a: number, d: number, k: number): { value: number; scale: number | null } {
  if (a === 0 || d === 0) return { value: 0, scale: null };
  const value = (k + 1) * Math.pow(k, -k / (k + 1)) * Math.pow(a, 1 / (k + 1)) * Math.pow(d, k / (k + 1));
  return { value, scale: Math.pow(d / (k * a), 1 / (2 * k + 2)) };
}

/** Raw trace after rescaling every neuron by the same t: sum_j A_j t^{2k} + D_j t^{-2} + C0. */
export function traceAlongOrbit(sums: CurvatureSums, k: number, t: number): number {
  let total = sums.outputBiasTerm;
  const tHigh = Math.pow(t, 2 * k);
  const tLow = 1 / (t * t);
  for (let j = 0; j < sums.neuronA.length; j++) {
    total += sums.neuronA[j]! * tHigh + (sums.neuronB[j]! + sums.neuronC[j]!) * tLow;
  }
  return total;
}

function pathNormOf(model: TwoLayerModel, j: number, k: number): number {
  const norms = neuronNorms(model, j);
  if (norms.output === 0 || norms.input === 0) return 0;
  return Math.exp(Math.log(norms.output) + k * Math.log(norms.input));
}

/**
 * Slope of the activation that the certified bound needs: |sigma(z) sigma'(z)| >= alpha |sigma(z)|.
 * Null where FLATNESS.md section 4 certifies nothing.
 */
function certifiedSlope(model: TwoLayerModel): { slope: number | null; reason?: string } {
  switch (model.activation.name) {
    case 'relu': case 'abs': case 'linear': return { slope: 1 };
    case 'leaky_relu': return { slope: model.activation.slope ?? 0.01 };
    default: {
      const k = makeActivation(model.activation).homogeneityDegree;
      return {
        slope: null,
        reason: k === null
          ? `${model.activation.name} is not positively homogeneous: no rescaling symmetry and no certified bound`
          : `no certified bound is derived for degree k = ${k} (only k = 1 activations)`,
      };
    }
  }
}

export function buildFlatnessSection(model: TwoLayerModel, loss: LossSpec, sums: CurvatureSums): ReportFlatness {
  const activation = makeActivation(model.activation);
  const k = activation.homogeneityDegree;
  const m = model.hiddenDim;
  const c = model.outputDim;
  const parts = { a: 0, b: 0, c: 0, outputBias: sums.outputBiasTerm };
  const perNeuron: NeuronRow[] = [];
  let normalizedTotal = sums.outputBiasTerm;
  let pathNormTotal = 0;
  let atMinimum = true;
  let notFinite = 0;
  const balanced = sums.balanced;
  for (let j = 0; j < m; j++) {
    const a = sums.neuronA[j]!;
    const b = sums.neuronB[j]!;
    const curvature = sums.neuronC[j]!;
    // Invariant figures from the balanced representative, where they were computed.
    const invariantA = balanced ? balanced.neuronA[j]! : a;
    const invariantB = balanced ? balanced.neuronB[j]! : b;
    const invariantC = balanced ? balanced.neuronC[j]! : curvature;
    parts.a += a;
    parts.b += b;
    parts.c += curvature;
    const row: NeuronRow = {
      index: j, a, b, c: curvature, normalized: null, optimalScale: null,
      activeSamples: sums.activeSamples[j]!, pathNorm: null, status: 'not-homogeneous',
    };
    if (k !== null) {
      const d = invariantB + invariantC;
      row.pathNorm = pathNormOf(model, j, k);
      pathNormTotal += row.pathNorm;
      // D < 0 only off a minimum: the orbit infimum is -infinity. Allow rounding-level negatives.
      if (!(Number.isFinite(invariantA) && Number.isFinite(d))) {
        row.status = 'not-finite';
        notFinite++;
      } else if (d < -1e-12 * (Math.abs(invariantB) + Math.abs(invariantC) + 1e-300)) {
        row.status = 'not-at-minimum';
        atMinimum = false;
      } else {
        const minimum = orbitMinimum(invariantA, Math.max(d, 0), k);
        row.normalized = minimum.value;
        // t* of the raw neuron: first to the balanced point (s_j), then along its orbit.
        row.optimalScale = minimum.scale === null ? null : minimum.scale * (balanced ? balanced.scales[j]! : 1);
        if (row.optimalScale !== null && !(Number.isFinite(row.optimalScale) && row.optimalScale > 0)) row.optimalScale = null;
        row.status = invariantA === 0 && d <= 0 ? 'dead' : 'ok';
        normalizedTotal += minimum.value;
      }
    }
    perNeuron.push(row);
  }
  const trace = parts.a + parts.b + parts.c + parts.outputBias;

  const notHomogeneous = `${activation.label} is not positively homogeneous: the rescaling symmetry does not exist, so symmetry-normalized quantities are not defined`;
  const normalized: MaybeNumber = k === null
    ? { value: null, reason: notHomogeneous }
    : notFinite > 0
      ? { value: null, reason: `the trace terms of ${notFinite} neuron(s) are not finite even at the balanced rescaling (the activations overflow float32 on this data)` }
      : atMinimum
      ? { value: normalizedTotal }
      : { value: null, reason: 'some neurons have B_j + C_j < 0 (negative curvature along their orbit): not at a minimum, the orbit infimum is -infinity' };

  const lossFactor = Math.sqrt(loss.squaredErrorScale * loss.squaredErrorScale * c); // sqrt(lambda tr Lambda)
  const slope = certifiedSlope(model);
  let lowerBound: MaybeNumber;
  let lowerBoundAtModel: MaybeNumber;
  let lowerBoundAtModelBias: MaybeNumber;
  if (loss.kind === 'ce') {
    const reason = 'no certified bound is derived for softmax cross-entropy (FLATNESS.md section 4 covers squared error)';
    lowerBound = { value: null, reason };
    lowerBoundAtModel = { value: null, reason };
    lowerBoundAtModelBias = { value: null, reason };
  } else if (slope.slope === null) {
    lowerBound = { value: null, reason: slope.reason! };
    lowerBoundAtModel = { value: null, reason: slope.reason! };
    lowerBoundAtModelBias = { value: null, reason: slope.reason! };
  } else {
    // 2 sqrt(A_j D_j) >= (2 alpha sqrt(lambda tr Lambda) / n) sum_i ||u_i|| ||a_j sigma(z_ij)|| sample by
    // sample, then the triangle inequality over neurons gives ||f(x_i) - c0||; at an interpolator
    // f(x_i) = y_i, and every interpolator with an output bias carries the same c0 entry C0.
    const factor = 2 * slope.slope * lossFactor;
    const term = sums.targetTerm;
    lowerBound = term ? { value: factor * term.certified + sums.outputBiasTerm } : { value: null, reason: 'targets are not regression targets' };
    lowerBoundAtModelBias = term ? { value: factor * term.atModelBias + sums.outputBiasTerm } : { value: null, reason: 'targets are not regression targets' };
    lowerBoundAtModel = { value: factor * sums.meanWeightedOutputNorm + sums.outputBiasTerm };
  }
  let ratio: MaybeNumber;
  if (normalized.value === null) ratio = { value: null, reason: normalized.reason! };
  else if (lowerBound.value === null) ratio = { value: null, reason: lowerBound.reason! };
  else if (lowerBound.value <= 0) ratio = { value: null, reason: 'the lower bound is 0 (every target is 0)' };
  else ratio = { value: normalized.value / lowerBound.value };

  const orbit: OrbitPoint[] = [];
  if (k !== null) {
    const [low, high] = ORBIT_RANGE;
    for (let p = 0; p < ORBIT_POINTS; p++) {
      const t = Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * (p / (ORBIT_POINTS - 1)));
      orbit.push({ t, trace: traceAlongOrbit(sums, k, t) });
    }
  }
  return {
    trace,
    parts,
    normalized,
    invariantDiagonal: k === null
      ? { value: sums.invariantDiagonal, reason: 'computed, but invariant only for homogeneous activations' }
      : sums.invariantDiagonal === null ? { value: null, reason: 'not computed' } : { value: sums.invariantDiagonal },
    pathNorm: k === null ? { value: null, reason: notHomogeneous } : { value: pathNormTotal },
    lowerBound,
    lowerBoundAtModel,
    lowerBoundAtModelBias,
    ratio,
    perNeuron,
    orbit,
    atMinimum,
  };
}
