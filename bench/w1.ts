import type { TwoLayerModel } from '../src/engine/model/types';
import type { Dataset } from '../src/engine/data/types';

/** W1: d 50, m 512, n 4096, ReLU, squared error; random Gaussian data and network (seeded). */
export function makeW1(seed = 1, sizes = { d: 50, m: 512, n: 4096 }): { model: TwoLayerModel; data: Dataset } {
  const { d, m, n } = sizes;
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(Math.max(uniform(), 1e-12))) * Math.cos(2 * Math.PI * uniform());
  const model: TwoLayerModel = {
    inputDim: d, hiddenDim: m, outputDim: 1,
    hiddenWeights: Float64Array.from({ length: m * d }, () => normal() / Math.sqrt(d)),
    hiddenBias: Float64Array.from({ length: m }, () => 0.1 * normal()),
    outputWeights: Float64Array.from({ length: m }, () => normal() / Math.sqrt(m)),
    outputBias: Float64Array.from([0]),
    activation: { name: 'relu' }, activationSource: 'option', outputLink: 'identity',
    source: { path: 'W1 (random network)', format: 'memory', tensorNames: [], notes: [] },
  };
  const data: Dataset = {
    n, d, targetDim: 1,
    inputs: Float32Array.from({ length: n * d }, normal),
    targets: Float32Array.from({ length: n }, normal),
    source: { path: 'W1 (random Gaussian data)', format: 'memory', inputName: 'x', targetName: 'y', notes: [] },
  };
  return { model, data };
}
