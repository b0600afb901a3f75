import type { TwoLayerModel } from '../model/types';

/**
 * A representative of the model's rescaling orbit chosen in float64 before any float32 work:
 * neuron j is rescaled by s_j, (a_j, w_j, b_j) -> (s_j^-k a_j, s_j w_j, s_j b_j), so that
 * ||s^-k a_j|| = ||s (w_j, b_j)||^k. Any rescaled copy of the same network has the same balanced
 * representative (up to float64 rounding), so figures computed there in float32 do not depend on
 * how the file was scaled, and nothing overflows float32 that the function itself does not.
 */
export interface BalancedRescaling {
  model: TwoLayerModel;
  /** s_j per neuron: balanced = raw rescaled by s_j. */
  scales: Float64Array;
  degree: number;
}

/** Euclidean norm without overflow or underflow of the squares (entries may be 1e-200 or 1e200). */
export function safeNorm(values: ArrayLike<number>, start = 0, count = values.length, stride = 1): number {
  let largest = 0;
  for (let p = 0; p < count; p++) largest = Math.max(largest, Math.abs(values[start + p * stride]!));
  if (largest === 0 || !Number.isFinite(largest)) return largest;
  let squared = 0;
  for (let p = 0; p < count; p++) squared += (values[start + p * stride]! / largest) ** 2;
  return largest * Math.sqrt(squared);
}

/** ||a_j|| (column j of the c x m output weights) and ||(w_j, b_j)||. */
export function neuronNorms(model: TwoLayerModel, j: number): { output: number; input: number } {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const output = safeNorm(model.outputWeights, j, c, m);
  const weights = safeNorm(model.hiddenWeights, j * d, d);
  const bias = model.hiddenBias ? Math.abs(model.hiddenBias[j]!) : 0;
  const largest = Math.max(weights, bias);
  const input = largest === 0 ? 0 : largest * Math.hypot(weights / largest, bias / largest);
  return { output, input };
}

/** log s_j that balances neuron j; a neuron with one side zero gets the other side to norm 1. */
function balancingLogScale(output: number, input: number, k: number): number {
  if (output > 0 && input > 0) return (Math.log(output) - k * Math.log(input)) / (2 * k);
  if (input > 0) return -Math.log(input);
  if (output > 0) return Math.log(output) / k;
  return 0;
}

export function balancedRescaling(model: TwoLayerModel, k: number): BalancedRescaling {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const scales = new Float64Array(m);
  const hiddenWeights = model.hiddenWeights.slice();
  const hiddenBias = model.hiddenBias ? model.hiddenBias.slice() : null;
  const outputWeights = model.outputWeights.slice();
  for (let j = 0; j < m; j++) {
    const norms = neuronNorms(model, j);
    const logScale = balancingLogScale(norms.output, norms.input, k);
    scales[j] = Math.exp(logScale);
    // Multiply by exp of the log factor directly: s^-k may underflow where s^-k a_j does not.
    const up = Math.exp(logScale);
    const down = Math.exp(-k * logScale);
    for (let l = 0; l < d; l++) hiddenWeights[j * d + l] = hiddenWeights[j * d + l]! * up;
    if (hiddenBias) hiddenBias[j] = hiddenBias[j]! * up;
    for (let o = 0; o < c; o++) outputWeights[o * m + j] = outputWeights[o * m + j]! * down;
  }
  return { model: { ...model, hiddenWeights, hiddenBias, outputWeights }, scales, degree: k };
}
