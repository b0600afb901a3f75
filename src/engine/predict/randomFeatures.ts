import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { tf } from '../compute/tf';
import { applyActivation } from '../compute/activationTensors';
import { readAndDispose } from '../compute/read';
import type { TrainingArrays } from './trainer';
import { SeededRandom } from '../math/random';

/**
 * Random-features interpolator: hidden weights drawn once and frozen, output layer the
 * minimum-norm solution a = Phi^T (Phi Phi^T)^-1 y of Phi a = y (needs width > n). Closed form,
 * so the reference family gets interpolators of a different kind at almost no cost. The features
 * and their Gram matrix are backend products (float32); the solve is refined in float64 against the
 * float64 features until Phi a = y to ~1e-12, and falls back to a float64 Gram matrix if it stalls.
 */
export async function randomFeatureInterpolator(
  arrays: TrainingArrays,
  width: number,
  activation: ActivationSpec,
  seed: number,
  hiddenBias = false,
): Promise<TwoLayerModel> {
  const { n, d, c, x, y } = arrays;
  const random = new SeededRandom(seed);
  const fanIn = d + (hiddenBias ? 1 : 0);
  const hiddenWeights = random.normals(width * d, 1 / Math.sqrt(fanIn));
  const bias = hiddenBias ? random.normals(width, 1 / Math.sqrt(fanIn)) : null;
  const model: TwoLayerModel = {
    inputDim: d, hiddenDim: width, outputDim: c,
    hiddenWeights, hiddenBias: bias, outputWeights: new Float64Array(c * width), outputBias: null,
    activation: { ...activation }, activationSource: 'option', outputLink: 'identity',
    source: { path: 'memory://random-features', format: 'memory', tensorNames: [], notes: [] },
  };
  const [featureValues, gramValues] = await featuresAndGram(model, x, n);
  const features = Float64Array.from(featureValues!);
  const gram = Float64Array.from(gramValues!);
  let traceMean = 0;
  for (let i = 0; i < n; i++) traceMean += gram[i * n + i]! / n;
  let factor = choleskyWithJitter(gram, n, traceMean);
  let exactGram = false;
  const column = new Float64Array(n);
  for (let o = 0; o < c; o++) {
    for (let i = 0; i < n; i++) column[i] = y[i * c + o]!;
    let coefficients = refinedSolve(factor, features, n, width, column);
    if (coefficients === null && !exactGram) {
      // The float32 Gram matrix is too far from the exact one for the refinement: use the exact one.
      factor = choleskyWithJitter(exactGramMatrix(features, n, width), n, traceMean);
      exactGram = true;
    }
    coefficients ??= refinedSolve(factor, features, n, width, column, true)!;
    const weights = transposedTimes(features, n, width, coefficients);
    model.outputWeights.set(weights, o * width);
  }
  return model;
}

/** sigma(X W^T + b) (n x width) and its Gram matrix (n x n), as backend products. */
async function featuresAndGram(model: TwoLayerModel, x: Float64Array, n: number): Promise<Float32Array[]> {
  const { inputDim: d, hiddenDim: width } = model;
  const hiddenTransposed = new Float32Array(d * width);
  for (let j = 0; j < width; j++) for (let l = 0; l < d; l++) hiddenTransposed[l * width + j] = model.hiddenWeights[j * d + l]!;
  const results = tf.tidy(() => {
    let z = tf.matMul(tf.tensor2d(Float32Array.from(x), [n, d]), tf.tensor2d(hiddenTransposed, [d, width]));
    if (model.hiddenBias) z = tf.add(z, tf.tensor1d(Float32Array.from(model.hiddenBias)));
    const features = applyActivation(z, model.activation) as tf.Tensor2D;
    return [features, tf.matMul(features, tf.transpose(features))];
  });
  return readAndDispose(results);
}

/** Phi^T v for Phi n x width row-major. */
function transposedTimes(features: Float64Array, n: number, width: number, v: Float64Array): Float64Array {
  const out = new Float64Array(width);
  for (let i = 0; i < n; i++) {
    const vi = v[i]!;
    if (vi === 0) continue;
    const offset = i * width;
    for (let j = 0; j < width; j++) out[j] = out[j]! + features[offset + j]! * vi;
  }
  return out;
}

/** Phi a. */
function times(features: Float64Array, n: number, width: number, a: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    const offset = i * width;
    for (let j = 0; j < width; j++) sum += features[offset + j]! * a[j]!;
    out[i] = sum;
  }
  return out;
}

/**
 * c with (Phi Phi^T) c = rhs, by the factor of an approximate Gram matrix and float64 iterative
 * refinement on the residual rhs - Phi (Phi^T c). Null when the refinement does not reach ~1e-12
 * of rhs (unless `accept`, which returns the best iterate).
 */
function refinedSolve(factor: Float64Array, features: Float64Array, n: number, width: number, rhs: Float64Array, accept = false): Float64Array | null {
  const target = 1e-12 * Math.max(norm2(rhs), 1e-300);
  const coefficients = rhs.slice();
  choleskySolve(factor, n, coefficients);
  let previous = Infinity;
  for (let iteration = 0; iteration < 30; iteration++) {
    const residual = times(features, n, width, transposedTimes(features, n, width, coefficients));
    for (let i = 0; i < n; i++) residual[i] = rhs[i]! - residual[i]!;
    const size = norm2(residual);
    if (size <= target) return coefficients;
    if (!(size < 0.5 * previous)) return accept ? coefficients : null;
    previous = size;
    choleskySolve(factor, n, residual);
    for (let i = 0; i < n; i++) coefficients[i] = coefficients[i]! + residual[i]!;
  }
  return accept ? coefficients : null;
}

function norm2(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  return Math.sqrt(sum);
}

/** Phi Phi^T in float64 (the fallback). */
function exactGramMatrix(features: Float64Array, n: number, width: number): Float64Array {
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      let dot = 0;
      for (let j = 0; j < width; j++) dot += features[i * width + j]! * features[k * width + j]!;
      gram[i * n + k] = dot;
      gram[k * n + i] = dot;
    }
  }
  return gram;
}

/** Lower Cholesky factor of a symmetric positive semi-definite matrix, with a tiny ridge if needed. */
function choleskyWithJitter(matrix: Float64Array, n: number, scale: number): Float64Array {
  for (let jitter = 1e-12; ; jitter *= 100) {
    const factor = new Float64Array(n * n);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      for (let k = 0; k <= i; k++) {
        let sum = matrix[i * n + k]! + (i === k ? jitter * scale : 0);
        for (let l = 0; l < k; l++) sum -= factor[i * n + l]! * factor[k * n + l]!;
        if (i === k) {
          if (!(sum > 0)) { ok = false; break; }
          factor[i * n + i] = Math.sqrt(sum);
        } else {
          factor[i * n + k] = sum / factor[k * n + k]!;
        }
      }
    }
    if (ok || jitter > 1) return factor;
  }
}

function choleskySolve(factor: Float64Array, n: number, rhs: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let sum = rhs[i]!;
    for (let l = 0; l < i; l++) sum -= factor[i * n + l]! * rhs[l]!;
    rhs[i] = sum / factor[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = rhs[i]!;
    for (let l = i + 1; l < n; l++) sum -= factor[l * n + i]! * rhs[l]!;
    rhs[i] = sum / factor[i * n + i]!;
  }
}

/**
 * The training data plus `count` poisoned points: Gaussian inputs with the data's per-feature
 * scale and labels drawn at random with `labelScale` times the targets' spread. An interpolator
 * of this set still fits the real data but memorizes junk between the points.
 */
export function withPoisonedPoints(arrays: TrainingArrays, count: number, labelScale: number, seed: number): TrainingArrays {
  const { n, d, c, x, y } = arrays;
  const random = new SeededRandom(seed);
  const featureScale = new Float64Array(d);
  for (let l = 0; l < d; l++) {
    let squares = 0;
    for (let i = 0; i < n; i++) squares += x[i * d + l]! ** 2;
    featureScale[l] = Math.sqrt(squares / n);
  }
  let targetSquares = 0;
  for (let q = 0; q < n * c; q++) targetSquares += y[q]! ** 2;
  const targetScale = Math.sqrt(targetSquares / (n * c)) || 1;
  const total = n + count;
  const xOut = new Float64Array(total * d);
  const yOut = new Float64Array(total * c);
  xOut.set(x);
  yOut.set(y);
  for (let i = n; i < total; i++) {
    for (let l = 0; l < d; l++) xOut[i * d + l] = random.normal() * featureScale[l]!;
    for (let o = 0; o < c; o++) yOut[i * c + o] = random.normal() * labelScale * targetScale;
  }
  return { n: total, d, c, x: xOut, y: yOut };
}
