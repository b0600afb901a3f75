import type { TwoLayerModel, ActivationSpec } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind } from '../../src/shared/report';
import { SeededRandom } from '../../src/engine/math/random';

/** Deterministic pseudo-random numbers for the tests. */
export function makeRandom(seed: number): SeededRandom {
  return new SeededRandom(seed);
}

export interface TinyOptions {
  d?: number; m?: number; c?: number; n?: number;
  hiddenBias?: boolean; outputBias?: boolean;
  activation?: ActivationSpec; loss?: LossKind; seed?: number;
}

export function tinyProblem(options: TinyOptions = {}): { model: TwoLayerModel; data: Dataset } {
  const { d = 3, m = 4, c = 1, n = 12, hiddenBias = true, outputBias = true, seed = 1 } = options;
  const activation = options.activation ?? { name: 'tanh' };
  const random = makeRandom(seed);
  const model: TwoLayerModel = {
    inputDim: d, hiddenDim: m, outputDim: c,
    hiddenWeights: Float64Array.from({ length: m * d }, () => random.normal() / Math.sqrt(d)),
    hiddenBias: hiddenBias ? Float64Array.from({ length: m }, () => 0.3 * random.normal()) : null,
    outputWeights: Float64Array.from({ length: c * m }, () => random.normal() / Math.sqrt(m)),
    outputBias: outputBias ? Float64Array.from({ length: c }, () => 0.2 * random.normal()) : null,
    activation, activationSource: 'option', outputLink: 'identity',
    source: { path: 'tiny-model', format: 'memory', tensorNames: [], notes: [] },
  };
  const inputs = Float32Array.from({ length: n * d }, () => random.normal());
  let targets: Float32Array;
  let targetDim = c;
  if (options.loss === 'ce') {
    targetDim = 1;
    targets = Float32Array.from({ length: n }, () => Math.floor(random.uniform() * c));
  } else {
    targets = Float32Array.from({ length: n * c }, () => random.normal());
  }
  const data: Dataset = {
    n, d, targetDim, inputs, targets,
    source: { path: 'tiny-data', format: 'memory', inputName: 'x', targetName: 'y', notes: [] },
  };
  return { model, data };
}

/** Test-local float64 activation values (independent of the engine's activations module). */
function sigmaOf(spec: ActivationSpec, z: number): number {
  switch (spec.name) {
    case 'tanh': return Math.tanh(z);
    case 'sigmoid': return 1 / (1 + Math.exp(-z));
    case 'softplus': return Math.log(1 + Math.exp(z));
    case 'relu': return Math.max(z, 0);
    case 'square': return z * z;
    case 'relu_pow': return z > 0 ? z ** (spec.power ?? 2) : 0;
    case 'leaky_relu': return z > 0 ? z : (spec.slope ?? 0.01) * z;
    case 'elu': return z > 0 ? z : (spec.alpha ?? 1) * (Math.exp(z) - 1);
    default: throw new Error(`test loss: activation ${spec.name} not covered`);
  }
}

/**
 * Test-local float64 empirical loss at a flat parameter vector in the documented order
 * (W1 row-major, b1, W2 row-major, b2). Inputs are read in float64 from the float32 data.
 */
export function referenceLoss(model: TwoLayerModel, data: Dataset, loss: LossKind, theta: Float64Array): number {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  let offset = 0;
  const W = theta.subarray(offset, offset += m * d);
  const b = model.hiddenBias ? theta.subarray(offset, offset += m) : null;
  const A = theta.subarray(offset, offset += c * m);
  const c0 = model.outputBias ? theta.subarray(offset, offset += c) : null;
  let total = 0;
  const f = new Float64Array(c);
  for (let i = 0; i < data.n; i++) {
    for (let o = 0; o < c; o++) f[o] = c0 ? c0[o]! : 0;
    for (let j = 0; j < m; j++) {
      let z = b ? b[j]! : 0;
      for (let l = 0; l < d; l++) z += W[j * d + l]! * data.inputs[i * d + l]!;
      const s = sigmaOf(model.activation, z);
      for (let o = 0; o < c; o++) f[o] = f[o]! + A[o * m + j]! * s;
    }
    if (loss === 'ce') {
      const label = data.targets[i]!;
      const max = Math.max(...f);
      let sum = 0;
      for (let o = 0; o < c; o++) sum += Math.exp(f[o]! - max);
      total += Math.log(sum) + max - f[label]!;
    } else {
      let sq = 0;
      for (let o = 0; o < c; o++) sq += (f[o]! - data.targets[i * c + o]!) ** 2;
      total += loss === 'mse' ? sq : loss === 'mse-half' ? sq / 2 : sq / c;
    }
  }
  return total / data.n;
}

export function flatTheta(model: TwoLayerModel): Float64Array {
  const parts = [model.hiddenWeights, model.hiddenBias ?? new Float64Array(0), model.outputWeights, model.outputBias ?? new Float64Array(0)];
  const theta = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const part of parts) { theta.set(part, offset); offset += part.length; }
  return theta;
}

/** Dense Hessian by central second differences of the test-local loss. */
export function finiteDifferenceHessian(f: (theta: Float64Array) => number, theta: Float64Array, h = 1e-4): Float64Array[] {
  const P = theta.length;
  const H = Array.from({ length: P }, () => new Float64Array(P));
  const at = (p: number, sp: number, q: number, sq: number): number => {
    const t = theta.slice();
    t[p] = t[p]! + sp * h;
    t[q] = t[q]! + sq * h;
    return f(t);
  };
  for (let p = 0; p < P; p++) {
    for (let q = p; q < P; q++) {
      const value = (at(p, 1, q, 1) - at(p, 1, q, -1) - at(p, -1, q, 1) + at(p, -1, q, -1)) / (4 * h * h);
      H[p]![q] = value;
      H[q]![p] = value;
    }
  }
  return H;
}

export function finiteDifferenceGradient(f: (theta: Float64Array) => number, theta: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(theta.length);
  for (let p = 0; p < theta.length; p++) {
    const plus = theta.slice(); plus[p] = plus[p]! + h;
    const minus = theta.slice(); minus[p] = minus[p]! - h;
    g[p] = (f(plus) - f(minus)) / (2 * h);
  }
  return g;
}

/** Cyclic Jacobi eigenvalues of a dense symmetric matrix (ascending). */
export function jacobiEigenvalues(matrix: Float64Array[]): number[] {
  const P = matrix.length;
  const a = matrix.map((row) => Float64Array.from(row));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < P; p++) for (let q = p + 1; q < P; q++) off += a[p]![q]! ** 2;
    if (off < 1e-26) break;
    for (let p = 0; p < P; p++) {
      for (let q = p + 1; q < P; q++) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < P; k++) {
          const akp = a[k]![p]!; const akq = a[k]![q]!;
          a[k]![p] = cs * akp - sn * akq;
          a[k]![q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < P; k++) {
          const apk = a[p]![k]!; const aqk = a[q]![k]!;
          a[p]![k] = cs * apk - sn * aqk;
          a[q]![k] = sn * apk + cs * aqk;
        }
      }
    }
  }
  return a.map((row, i) => row[i]!).sort((x, y) => x - y);
}

export function maxAbsDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

export function maxAbs(x: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]!));
  return worst;
}

/** Replaces the targets by the network's own outputs plus small noise (a near-interpolator: every C_j is small). */
export function nearInterpolatingTargets(model: TwoLayerModel, data: Dataset, noise: number, seed: number): Dataset {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const random = makeRandom(seed);
  const targets = new Float32Array(data.n * c);
  for (let i = 0; i < data.n; i++) {
    for (let o = 0; o < c; o++) {
      let f = model.outputBias ? model.outputBias[o]! : 0;
      for (let j = 0; j < m; j++) {
        let z = model.hiddenBias ? model.hiddenBias[j]! : 0;
        for (let l = 0; l < d; l++) z += model.hiddenWeights[j * d + l]! * data.inputs[i * d + l]!;
        f += model.outputWeights[o * m + j]! * sigmaOf(model.activation, z);
      }
      targets[i * c + o] = f + noise * random.normal();
    }
  }
  return { ...data, targetDim: c, targets };
}
