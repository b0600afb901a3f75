import { tf } from '../compute/tf';
import { activationFirstDerivative, applyActivation } from '../compute/activationTensors';
import type { ActivationSpec, TwoLayerModel } from '../model/types';
import type { TrainingArrays } from './trainer';

/**
 * The trainer's objective lossWeight * L + flatnessWeight * F_sym (see evaluateObjective in
 * trainer.ts for the closed forms) as products on the active tfjs backend. The parameters live in
 * one flat float32 vector, laid out so every product is a plain one (no transposed operand):
 *   [W^T (d x m) | b (m, if any) | A^T (m x c) | c0 (c, if any)].
 * The per-sample residuals are read back and the loss summed in float64 by the caller.
 */
export interface FlatLayout {
  d: number;
  m: number;
  c: number;
  hiddenBias: boolean;
  outputBias: boolean;
  size: number;
}

export function flatLayout(model: TwoLayerModel): FlatLayout {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const hiddenBias = model.hiddenBias !== null;
  const outputBias = model.outputBias !== null;
  return { d, m, c, hiddenBias, outputBias, size: d * m + (hiddenBias ? m : 0) + m * c + (outputBias ? c : 0) };
}

/** The model's parameters in the flat layout, float32. */
export function toFlat(model: TwoLayerModel, layout: FlatLayout): Float32Array {
  const { d, m, c } = layout;
  const flat = new Float32Array(layout.size);
  for (let j = 0; j < m; j++) for (let l = 0; l < d; l++) flat[l * m + j] = model.hiddenWeights[j * d + l]!;
  let offset = d * m;
  if (model.hiddenBias) { flat.set(model.hiddenBias, offset); offset += m; }
  for (let o = 0; o < c; o++) for (let j = 0; j < m; j++) flat[offset + j * c + o] = model.outputWeights[o * m + j]!;
  offset += m * c;
  if (model.outputBias) flat.set(model.outputBias, offset);
  return flat;
}

/** A copy of `template` with the parameters of a flat vector. */
export function fromFlat(template: TwoLayerModel, layout: FlatLayout, flat: Float32Array): TwoLayerModel {
  const { d, m, c } = layout;
  const hiddenWeights = new Float64Array(m * d);
  for (let j = 0; j < m; j++) for (let l = 0; l < d; l++) hiddenWeights[j * d + l] = flat[l * m + j]!;
  let offset = d * m;
  let hiddenBias: Float64Array | null = null;
  if (layout.hiddenBias) { hiddenBias = Float64Array.from(flat.subarray(offset, offset + m)); offset += m; }
  const outputWeights = new Float64Array(c * m);
  for (let o = 0; o < c; o++) for (let j = 0; j < m; j++) outputWeights[o * m + j] = flat[offset + j * c + o]!;
  offset += m * c;
  const outputBias = layout.outputBias ? Float64Array.from(flat.subarray(offset, offset + c)) : null;
  return { ...template, hiddenWeights, hiddenBias, outputWeights, outputBias };
}

export interface ObjectiveTensors {
  /** n x c: f(x_i) - y_i. */
  residual: tf.Tensor2D;
  /** Gradient in the flat layout (null when not asked for). */
  gradient: tf.Tensor1D | null;
}

/** The training data on the backend, with the pieces of F_sym that do not depend on the parameters. */
export class BackendObjective {
  private readonly x: tf.Tensor2D;
  private readonly xTransposed: tf.Tensor2D;
  private readonly y: tf.Tensor2D;
  /** 1 x n: ||u_i||^2 = ||x_i||^2 (+ 1 with a hidden bias). */
  private readonly inputNorms: tf.Tensor2D;
  private readonly ones: tf.Tensor2D;

  constructor(
    arrays: TrainingArrays,
    readonly layout: FlatLayout,
    private readonly activation: ActivationSpec,
    private readonly scale: number,
  ) {
    const { n, d, c } = arrays;
    const x = Float32Array.from(arrays.x);
    const transposed = new Float32Array(d * n);
    const norms = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let norm = layout.hiddenBias ? 1 : 0;
      for (let l = 0; l < d; l++) {
        const value = arrays.x[i * d + l]!;
        transposed[l * n + i] = value;
        norm += value * value;
      }
      norms[i] = norm;
    }
    this.x = tf.tensor2d(x, [n, d]);
    this.xTransposed = tf.tensor2d(transposed, [d, n]);
    this.y = tf.tensor2d(Float32Array.from(arrays.y), [n, c]);
    this.inputNorms = tf.tensor2d(norms, [1, n]);
    this.ones = tf.ones([1, n]);
  }

  dispose(): void {
    for (const tensor of [this.x, this.xTransposed, this.y, this.inputNorms, this.ones]) tensor.dispose();
  }

  /**
   * Residuals and (optionally) the gradient of lossWeight * L + flatnessWeight * F_sym at the flat
   * parameters. Call inside tf.tidy.
   */
  evaluate(theta: tf.Tensor1D, lossWeight: number, flatnessWeight: number, wantGradient: boolean): ObjectiveTensors {
    const { d, m, c } = this.layout;
    const n = this.x.shape[0];
    let offset = 0;
    const hiddenT = tf.reshape(tf.slice(theta, 0, d * m), [d, m]) as tf.Tensor2D;
    offset += d * m;
    let hiddenBias: tf.Tensor1D | null = null;
    if (this.layout.hiddenBias) { hiddenBias = tf.slice(theta, offset, m); offset += m; }
    const outputT = tf.reshape(tf.slice(theta, offset, m * c), [m, c]) as tf.Tensor2D;
    offset += m * c;
    const outputBias = this.layout.outputBias ? tf.slice(theta, offset, c) : null;

    let z = tf.matMul(this.x, hiddenT);
    if (hiddenBias) z = tf.add(z, hiddenBias);
    const h = applyActivation(z, this.activation) as tf.Tensor2D;
    let f = tf.matMul(h, outputT);
    if (outputBias) f = tf.add(f, outputBias);
    const residual = tf.sub(f, this.y) as tf.Tensor2D;
    if (!wantGradient) return { residual, gradient: null };

    const slope = activationFirstDerivative(z, this.activation) as tf.Tensor2D;
    const lossFactor = (lossWeight * this.scale) / n;
    const g = tf.mul(residual, lossFactor);
    // back_ij = sum_o g_io a_jo. A transpose, not a reshape, even for c = 1: tfjs-backend-wasm 4.22
    // multiplies a reshaped slice of a reshaped slice from the wrong offset.
    let delta = tf.matMul(g, tf.transpose(outputT));
    let outputGradient = tf.matMul(tf.transpose(h), g);
    if (flatnessWeight !== 0) {
      // F_j = factor ||a_j|| sqrt(S_j P_j), S_j = sum_i sigma^2, P_j = sum_i sigma'^2 ||u_i||^2.
      const factor = (2 * this.scale * Math.sqrt(c)) / n;
      const squares = tf.matMul(this.ones, tf.square(h));
      const slopes = tf.matMul(this.inputNorms, tf.square(slope));
      const outputNorm = tf.reshape(tf.sqrt(tf.sum(tf.square(outputT), 1)), [1, m]);
      const live = tf.logicalAnd(tf.greater(squares, 0), tf.greater(outputNorm, 0));
      const safeSquares = tf.where(live, squares, tf.onesLike(squares));
      const safeNorm = tf.where(live, outputNorm, tf.onesLike(outputNorm));
      const coefficientW = tf.where(live, tf.mul(flatnessWeight * factor, tf.mul(outputNorm, tf.sqrt(tf.div(slopes, safeSquares)))), tf.zerosLike(squares));
      const coefficientA = tf.where(live, tf.div(tf.mul(flatnessWeight * factor, tf.sqrt(tf.mul(squares, slopes))), safeNorm), tf.zerosLike(squares));
      delta = tf.add(delta, tf.mul(h, coefficientW));
      outputGradient = tf.add(outputGradient, tf.mul(outputT, tf.reshape(coefficientA, [m, 1])));
    }
    delta = tf.mul(delta, slope);
    const parts: tf.Tensor1D[] = [tf.reshape(tf.matMul(this.xTransposed, delta), [d * m])];
    if (hiddenBias) parts.push(tf.reshape(tf.matMul(this.ones, delta), [m]));
    parts.push(tf.reshape(outputGradient, [m * c]));
    if (outputBias) parts.push(tf.reshape(tf.matMul(this.ones, g), [c]));
    return { residual, gradient: tf.concat(parts) };
  }
}
