/** The benchmark workloads of the engine issue, generated deterministically (no files needed). */
import type { TwoLayerModel } from '../src/engine/model/types';
import type { Dataset } from '../src/engine/data/types';
import type { LossKind } from '../src/shared/report';
import { SeededRandom } from '../src/engine/math/random';

export interface Workload {
  name: string;
  description: string;
  model: TwoLayerModel;
  data: Dataset;
  loss: LossKind;
}

function gaussianFill(target: Float32Array | Float64Array, scale: number, seed: number): void {
  const random = new SeededRandom(seed);
  for (let i = 0; i < target.length; i++) target[i] = random.normal() * scale;
}

/** The workload; `rows` overrides n (same model, the first rows of a longer draw). */
export function makeWorkload(name: 'W1' | 'W2', rows?: number): Workload {
  const n = rows ?? (name === 'W1' ? 4096 : 60000);
  const spec = name === 'W1'
    ? { d: 50, m: 512, c: 1, loss: 'mse' as const, description: `d 50, m 512, n ${n}, ReLU, squared error` }
    : { d: 784, m: 1024, c: 10, loss: 'ce' as const, description: `d 784, m 1024, n ${n}, 10 outputs, ReLU, cross-entropy` };
  const { d, m, c } = spec;
  const hiddenWeights = new Float64Array(m * d);
  gaussianFill(hiddenWeights, 1 / Math.sqrt(d), 1);
  const hiddenBias = new Float64Array(m);
  gaussianFill(hiddenBias, 0.1, 2);
  const outputWeights = new Float64Array(c * m);
  gaussianFill(outputWeights, 1 / Math.sqrt(m), 3);
  const inputs = new Float32Array(n * d);
  gaussianFill(inputs, 1, 4);
  const targets = new Float32Array(n);
  if (spec.loss === 'ce') {
    for (let i = 0; i < n; i++) targets[i] = (i * 7919) % c;
  } else {
    gaussianFill(targets, 1, 5);
  }
  const model: TwoLayerModel = {
    inputDim: d, hiddenDim: m, outputDim: c, hiddenWeights, hiddenBias, outputWeights,
    outputBias: new Float64Array(c), activation: { name: 'relu' }, activationSource: 'option', outputLink: 'identity',
    source: { path: `bench:${name}`, format: 'memory', tensorNames: [], notes: [] },
  };
  const data: Dataset = {
    n, d, targetDim: 1, inputs, targets,
    source: { path: `bench:${name}`, format: 'memory', inputName: 'X', targetName: 'y', notes: [] },
  };
  return { name, description: spec.description, model, data, loss: spec.loss };
}
