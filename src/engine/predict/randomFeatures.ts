import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import type { TrainingArrays } from './trainer';
import { SeededRandom } from '../math/random';

/**
 * Random-features interpolator: hidden weights drawn once and frozen, output layer the
 * minimum-norm solution a = Phi^T (Phi Phi^T)^-1 y of Phi a = y (needs width > n). Closed form,
 * so the reference family gets interpolators of a different kind at almost no cost.
 */
export function randomFeatureInterpolator(
  arrays: TrainingArrays,
  width: number,
  activation: ActivationSpec,
  seed: number,
  hiddenBias = false,
): TwoLayerModel {
  const { n, d, c, x, y } = arrays;
  const random = new SeededRandom(seed);
  const fanIn = d + (hiddenBias ? 1 : 0);
  const hiddenWeights = random.normals(width * d, 1 / Math.sqrt(fanIn));
  const bias = hiddenBias ? random.normals(width, 1 / Math.sqrt(fanIn)) : null;
  const sigma = makeActivation(activation).value;
  const features = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < width; j++) {
      let z = bias ? bias[j]! : 0;
      for (let l = 0; l < d; l++) z += hiddenWeights[j * d + l]! * x[i * d + l]!;
      features[i * width + j] = sigma(z);
    }
  }
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      let dot = 0;
      for (let j = 0; j < width; j++) dot += features[i * width + j]! * features[k * width + j]!;
      gram[i * n + k] = dot;
      gram[k * n + i] = dot;
    }
  }
  let traceMean = 0;
  for (let i = 0; i < n; i++) traceMean += gram[i * n + i]! / n;
  const factor = choleskyWithJitter(gram, n, traceMean);
  const outputWeights = new Float64Array(c * width);
  const column = new Float64Array(n);
  for (let o = 0; o < c; o++) {
    for (let i = 0; i < n; i++) column[i] = y[i * c + o]!;
    choleskySolve(factor, n, column);
    for (let j = 0; j < width; j++) {
      let value = 0;
      for (let i = 0; i < n; i++) value += features[i * width + j]! * column[i]!;
      outputWeights[o * width + j] = value;
    }
  }
  return {
    inputDim: d, hiddenDim: width, outputDim: c,
    hiddenWeights, hiddenBias: bias, outputWeights, outputBias: null,
    activation: { ...activation }, activationSource: 'option', outputLink: 'identity',
    source: { path: 'memory://random-features', format: 'memory', tensorNames: [], notes: [] },
  };
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
