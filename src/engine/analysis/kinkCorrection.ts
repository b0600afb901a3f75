import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { neuronNorms } from '../math/balancedRescaling';

/**
 * ReLU and leaky ReLU have a jump in sigma'(z)^2 at z = 0, so B_j counts a sample as active or not
 * by the sign of z_ij. A trained interpolator often has samples within float32 rounding of a kink
 * (|z| ~ 1e-8 ||w|| ||u||): the float32 product then picks the sign by rounding, and two rescaled
 * copies of one network disagree. Entries that close are recomputed in float64 here and the sums
 * corrected to the exact sign.
 */
export interface KinkSlopes {
  /** sigma'(z) for z > 0 and for z <= 0, as the backend's step(z, alpha) gives them. */
  positive: number;
  negative: number;
}

export function kinkSlopes(spec: ActivationSpec): KinkSlopes | null {
  switch (spec.name) {
    case 'relu': return { positive: 1, negative: 0 };
    case 'leaky_relu': return { positive: 1, negative: spec.slope ?? 0.01 };
    case 'relu_pow': return (spec.power ?? 2) === 1 ? { positive: 1, negative: 0 } : null;
    default: return null;
  }
}

/**
 * Per-neuron |z| below which the float32 sign is not trusted, as a multiple of ||u_i||:
 * (d + 2) 2^-23 ||(w_j, b_j)|| bounds the rounding of a float32 dot product of length d + 1.
 */
export function kinkThresholds(model: TwoLayerModel): Float32Array {
  const factor = (model.inputDim + 2) * 2 ** -23;
  return Float32Array.from({ length: model.hiddenDim }, (_, j) => factor * neuronNorms(model, j).input);
}

export interface KinkTargets {
  neuronB: Float64Array;
  activeSamples: Float64Array;
  /** The w-block of sum_p theta_p^2 H_pp, when it is computed. */
  diagonalW: Float64Array | null;
}

/**
 * Corrects the chunk's contributions for entries whose float32 z is within the threshold of 0.
 * `inputs` holds the chunk's rows x d inputs and `z` its rows x m pre-activations; `quadratic(r, j)`
 * is a_j^T Lambda_i a_j for chunk row r. `onlyRows` limits the test to those rows (a screen's
 * output), in one call rather than a call with subarrays and a closure per row.
 * Returns the number of signs changed.
 */
export function correctNearKinks(
  model: TwoLayerModel,
  inputs: Float32Array,
  rows: number,
  z: Float32Array,
  slopes: KinkSlopes,
  thresholds: Float32Array,
  quadratic: (r: number, j: number) => number,
  targets: KinkTargets,
  onlyRows: readonly number[] | null = null,
): number {
  const { inputDim: d, hiddenDim: m } = model;
  const bias = model.hiddenBias;
  const weights = model.hiddenWeights;
  let changed = 0;
  const count = onlyRows ? onlyRows.length : rows;
  for (let k = 0; k < count; k++) {
    const r = onlyRows ? onlyRows[k]! : k;
    let normSquared = bias ? 1 : 0;
    for (let l = 0; l < d; l++) normSquared += inputs[r * d + l]! ** 2;
    const inputNorm = Math.sqrt(normSquared);
    for (let j = 0; j < m; j++) {
      const approximate = z[r * m + j]!;
      if (!(Math.abs(approximate) <= thresholds[j]! * inputNorm)) continue;
      let exact = bias ? bias[j]! : 0;
      for (let l = 0; l < d; l++) exact += weights[j * d + l]! * inputs[r * d + l]!;
      const wasPositive = approximate > 0;
      const isPositive = exact > 0;
      if (wasPositive === isPositive) continue;
      changed++;
      const before = wasPositive ? slopes.positive : slopes.negative;
      const after = isPositive ? slopes.positive : slopes.negative;
      const delta = after * after - before * before;
      const q = quadratic(r, j);
      targets.neuronB[j] = targets.neuronB[j]! + q * delta * normSquared;
      targets.activeSamples[j] = targets.activeSamples[j]! + (isPositive ? 1 : -1);
      if (targets.diagonalW) {
        let weighted = bias ? bias[j]! ** 2 : 0;
        for (let l = 0; l < d; l++) weighted += (weights[j * d + l]! * inputs[r * d + l]!) ** 2;
        targets.diagonalW[j] = targets.diagonalW[j]! + q * delta * weighted;
      }
    }
  }
  return changed;
}
