/**
 * Test-only float64 reference implementations for tiny networks: a plain forward pass and loss
 * written independently of the engine, finite-difference Hessians, and random models and data.
 */
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind } from '../../src/shared/report';
import { makeActivation } from '../../src/engine/math/activations';
import type { SeededRandom } from '../../src/engine/math/random';

export interface TinySpec {
  d: number; m: number; c: number;
  hiddenBias: boolean; outputBias: boolean;
  activation: ActivationSpec;
}

export function randomModel(spec: TinySpec, random: SeededRandom): TwoLayerModel {
  const { d, m, c } = spec;
  return {
    inputDim: d, hiddenDim: m, outputDim: c,
    hiddenWeights: random.normals(m * d, 1 / Math.sqrt(d)),
    hiddenBias: spec.hiddenBias ? random.normals(m, 0.3) : null,
    outputWeights: random.normals(c * m, 1 / Math.sqrt(m)),
    outputBias: spec.outputBias ? random.normals(c, 0.3) : null,
    activation: spec.activation,
    activationSource: 'option',
    outputLink: 'identity',
    source: { path: 'memory://tiny', format: 'memory', tensorNames: [], notes: [] },
  };
}

/** Inputs rounded to float32 up front so the engine and the reference see the same numbers. */
export function randomData(n: number, d: number, targetDim: number, random: SeededRandom, classes?: number): Dataset {
  const inputs = new Float32Array(n * d);
  for (let i = 0; i < inputs.length; i++) inputs[i] = random.normal();
  const targets = new Float32Array(n * targetDim);
  for (let i = 0; i < targets.length; i++) {
    targets[i] = classes !== undefined ? Math.floor(random.uniform() * classes) : random.normal();
  }
  return {
    n, d, targetDim, inputs, targets,
    source: { path: 'memory://data', format: 'memory', inputName: 'X', targetName: 'y', notes: [] },
  };
}

/** theta = [W1 (m x d), b1, W2 (c x m), b2]. */
export function flatten(model: TwoLayerModel): Float64Array {
  const parts = [model.hiddenWeights, model.hiddenBias ?? new Float64Array(0), model.outputWeights, model.outputBias ?? new Float64Array(0)];
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

export function unflatten(model: TwoLayerModel, theta: Float64Array): TwoLayerModel {
  const { d, m, c } = { d: model.inputDim, m: model.hiddenDim, c: model.outputDim };
  let offset = 0;
  const take = (count: number) => { const part = theta.slice(offset, offset + count); offset += count; return part; };
  const hiddenWeights = take(m * d);
  const hiddenBias = model.hiddenBias ? take(m) : null;
  const outputWeights = take(c * m);
  const outputBias = model.outputBias ? take(c) : null;
  return { ...model, hiddenWeights, hiddenBias, outputWeights, outputBias };
}

/** Network outputs in float64, written without the engine. */
export function forward(model: TwoLayerModel, x: ArrayLike<number>, row: number): number[] {
  const sigma = makeActivation(model.activation).value;
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const out: number[] = [];
  for (let o = 0; o < c; o++) out.push(model.outputBias ? model.outputBias[o]! : 0);
  for (let j = 0; j < m; j++) {
    let z = model.hiddenBias ? model.hiddenBias[j]! : 0;
    for (let l = 0; l < d; l++) z += model.hiddenWeights[j * d + l]! * x[row * d + l]!;
    const s = sigma(z);
    for (let o = 0; o < c; o++) out[o]! += model.outputWeights[o * m + j]! * s;
  }
  return out;
}

export function referenceLoss(model: TwoLayerModel, data: Dataset, kind: LossKind): number {
  const c = model.outputDim;
  let total = 0;
  for (let i = 0; i < data.n; i++) {
    const f = forward(model, data.inputs, i);
    if (kind === 'ce') {
      const max = Math.max(...f);
      const logZ = Math.log(f.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
      const label = data.targetDim === 1 ? data.targets[i]! : -1;
      for (let o = 0; o < c; o++) {
        const target = label >= 0 ? (label === o ? 1 : 0) : data.targets[i * c + o]!;
        total += target * (logZ - f[o]!);
      }
    } else {
      let squared = 0;
      for (let o = 0; o < c; o++) squared += (f[o]! - data.targets[i * c + o]!) ** 2;
      total += kind === 'mse' ? squared : kind === 'mse-half' ? 0.5 * squared : squared / c;
    }
  }
  return total / data.n;
}

/** Dense Hessian of theta -> loss by central finite differences (4-point mixed partials). */
export function finiteDifferenceHessian(evaluate: (theta: Float64Array) => number, theta: Float64Array, h = 1e-4): Float64Array[] {
  const p = theta.length;
  const hessian = Array.from({ length: p }, () => new Float64Array(p));
  const at = (i: number, di: number, j: number, dj: number) => {
    const shifted = theta.slice();
    shifted[i]! += di;
    shifted[j]! += dj;
    return evaluate(shifted);
  };
  const center = evaluate(theta);
  for (let i = 0; i < p; i++) {
    hessian[i]![i] = (at(i, h, i, 0) - 2 * center + at(i, -h, i, 0)) / (h * h);
    for (let j = i + 1; j < p; j++) {
      const value = (at(i, h, j, h) - at(i, h, j, -h) - at(i, -h, j, h) + at(i, -h, j, -h)) / (4 * h * h);
      hessian[i]![j] = value;
      hessian[j]![i] = value;
    }
  }
  return hessian;
}

/** Per-neuron rescaling (a_j, w_j, b_j) -> (t^-k a_j, t w_j, t b_j). */
export function rescale(model: TwoLayerModel, scales: ArrayLike<number>, k: number): TwoLayerModel {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const hiddenWeights = model.hiddenWeights.slice();
  const hiddenBias = model.hiddenBias ? model.hiddenBias.slice() : null;
  const outputWeights = model.outputWeights.slice();
  for (let j = 0; j < m; j++) {
    const t = scales[j]!;
    for (let l = 0; l < d; l++) hiddenWeights[j * d + l]! *= t;
    if (hiddenBias) hiddenBias[j]! *= t;
    for (let o = 0; o < c; o++) outputWeights[o * m + j]! *= Math.pow(t, -k);
  }
  return { ...model, hiddenWeights, hiddenBias, outputWeights };
}

export function relativeError(actual: number, expected: number, floor = 1e-12): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), floor);
}
