import type { ModelStatistics, TensorRole, TensorSummary } from '../../shared/modelStatistics';
import type { TwoLayerModel } from './types';

function summarize(role: TensorRole, name: string, shape: number[], dtype: string, values: Float64Array): TensorSummary {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let squares = 0;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
    squares += value * value;
  }
  const n = Math.max(1, values.length);
  const mean = sum / n;
  return { role, name, shape, dtype, min, max, mean, std: Math.sqrt(Math.max(0, squares / n - mean * mean)), norm: Math.sqrt(squares) };
}

/** Tensor statistics and per-neuron norms of a loaded model, for the model view. */
export function modelStatistics(model: TwoLayerModel): ModelStatistics {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const stored = model.source.tensors ?? [];
  const roles: [TensorRole, Float64Array | null, number[]][] = [
    ['hidden weights', model.hiddenWeights, [m, d]],
    ['hidden bias', model.hiddenBias, [m]],
    ['output weights', model.outputWeights, [c, m]],
    ['output bias', model.outputBias, [c]],
  ];
  const present = roles.filter(([, values]) => values !== null) as [TensorRole, Float64Array, number[]][];
  const tensors = present.map(([role, values, shape], k) => {
    const file = stored[k];
    return summarize(role, file?.name ?? model.source.tensorNames[k] ?? role, file?.shape ?? shape, file?.dtype ?? 'float', values);
  });
  const inputNorm: number[] = [];
  const outputNorm: number[] = [];
  for (let j = 0; j < m; j++) {
    let w = model.hiddenBias ? model.hiddenBias[j]! ** 2 : 0;
    for (let k = 0; k < d; k++) w += model.hiddenWeights[j * d + k]! ** 2;
    let a = 0;
    for (let i = 0; i < c; i++) a += model.outputWeights[i * m + j]! ** 2;
    inputNorm.push(Math.sqrt(w));
    outputNorm.push(Math.sqrt(a));
  }
  return { tensors, neurons: { inputNorm, outputNorm } };
}
