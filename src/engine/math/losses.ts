import type { LossKind } from '../../shared/report';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { badInput } from '../errors';

/**
 * Per-sample loss l(f, y) with its gradient g = dl/df and Hessian Lambda = d^2 l / df^2.
 * Squared error in every convention is (scale/2) ||f - y||^2, so g = scale * r and
 * Lambda = scale * I: scale 2 for ||f - y||^2, 1 for the 1/2 convention, 2/c for the mean over
 * outputs. Softmax cross-entropy: g = p - onehot(y), Lambda = diag(p) - p p^T.
 */
export interface LossSpec {
  kind: LossKind;
  /** Lambda = squaredErrorScale * I for the squared-error conventions; unused for 'ce'. */
  squaredErrorScale: number;
  convention: string;
}

export const LOSS_KINDS: readonly LossKind[] = ['mse', 'mse-half', 'mse-mean', 'ce'];

export function makeLossSpec(kind: LossKind, outputDim: number): LossSpec {
  switch (kind) {
    case 'mse':
      return { kind, squaredErrorScale: 2, convention: '||f(x) - y||^2 summed over outputs, averaged over samples' };
    case 'mse-half':
      return { kind, squaredErrorScale: 1, convention: '1/2 ||f(x) - y||^2 summed over outputs, averaged over samples' };
    case 'mse-mean':
      return {
        kind, squaredErrorScale: 2 / outputDim,
        convention: '||f(x) - y||^2 / c averaged over outputs and samples (Keras/PyTorch MSELoss)',
      };
    case 'ce':
      return { kind, squaredErrorScale: 0, convention: 'softmax cross-entropy -log softmax(f(x))_y averaged over samples' };
  }
}

/** How targets are read for this model and loss. */
export type TargetLayout = 'regression' | 'class-index' | 'one-hot';

export function targetLayout(loss: LossSpec, model: TwoLayerModel, data: Dataset): TargetLayout {
  const c = model.outputDim;
  if (loss.kind !== 'ce') {
    if (data.targetDim !== c) {
      throw badInput(data.source.path,
        `targets have ${data.targetDim} column(s) but the model has ${c} output(s)`);
    }
    return 'regression';
  }
  if (c < 2) {
    throw badInput(model.source.path,
      'softmax cross-entropy needs a model with at least 2 outputs; this one has 1 (use a squared-error loss)');
  }
  if (data.targetDim === 1) {
    for (let i = 0; i < data.n; i++) {
      const label = data.targets[i]!;
      if (!Number.isInteger(label) || label < 0 || label >= c) {
        throw badInput(data.source.path,
          `row ${i + 1}: class label ${label} is not an integer in [0, ${c - 1}] for a ${c}-class model`);
      }
    }
    return 'class-index';
  }
  if (data.targetDim === c) {
    checkProbabilityRows(data, c);
    return 'one-hot';
  }
  throw badInput(data.source.path,
    `targets have ${data.targetDim} columns; cross-entropy with ${c} classes needs class indices (1 column) or ${c} one-hot columns`);
}

/** Largest |row sum - 1| accepted for one-hot or probability targets (float32 rows of a few classes). */
export const PROBABILITY_ROW_TOLERANCE = 1e-6;

/**
 * Cross-entropy with c target columns needs each row to be a probability vector: entries in
 * [0, 1] summing to 1. Anything else gives a wrong gradient and trace silently.
 */
function checkProbabilityRows(data: Dataset, c: number): void {
  for (let i = 0; i < data.n; i++) {
    let sum = 0;
    for (let o = 0; o < c; o++) {
      const value = data.targets[i * c + o]!;
      if (!(value >= 0 && value <= 1)) {
        throw badInput(data.source.path,
          `row ${i + 1}: target ${value} in column ${o + 1} is not a probability in [0, 1]; cross-entropy needs class indices or one-hot rows`);
      }
      sum += value;
    }
    if (!(Math.abs(sum - 1) <= PROBABILITY_ROW_TOLERANCE)) {
      throw badInput(data.source.path,
        `row ${i + 1}: the ${c} target columns sum to ${sum}, not 1; cross-entropy needs class indices or one-hot rows summing to 1`);
    }
  }
}

/**
 * Evaluates the loss at one sample. Writes g into `gradient` and, for cross-entropy, the
 * probabilities into `probabilities`; returns l.
 */
export function evaluateSampleLoss(
  loss: LossSpec,
  layout: TargetLayout,
  output: Float64Array,
  targets: Float32Array,
  row: number,
  gradient: Float64Array,
  probabilities: Float64Array,
): number {
  const c = output.length;
  if (loss.kind !== 'ce') {
    const scale = loss.squaredErrorScale;
    let squared = 0;
    for (let o = 0; o < c; o++) {
      const residual = output[o]! - targets[row * c + o]!;
      squared += residual * residual;
      gradient[o] = scale * residual;
    }
    return 0.5 * scale * squared;
  }
  let maxLogit = -Infinity;
  for (let o = 0; o < c; o++) maxLogit = Math.max(maxLogit, output[o]!);
  let partition = 0;
  for (let o = 0; o < c; o++) {
    const e = Math.exp(output[o]! - maxLogit);
    probabilities[o] = e;
    partition += e;
  }
  const logPartition = Math.log(partition) + maxLogit;
  let value = 0;
  for (let o = 0; o < c; o++) {
    probabilities[o] = probabilities[o]! / partition;
    const target = layout === 'class-index'
      ? (targets[row] === o ? 1 : 0)
      : targets[row * c + o]!;
    gradient[o] = probabilities[o]! - target;
    if (target !== 0) value += target * (logPartition - output[o]!);
  }
  return value;
}

/** tr(Lambda_i) for the sample whose probabilities were just evaluated. */
export function traceOfLossHessian(loss: LossSpec, probabilities: Float64Array, c: number): number {
  if (loss.kind !== 'ce') return loss.squaredErrorScale * c;
  let squares = 0;
  for (let o = 0; o < c; o++) squares += probabilities[o]! * probabilities[o]!;
  return 1 - squares;
}

/** Diagonal entry Lambda_oo. */
export function lossHessianDiagonal(loss: LossSpec, probabilities: Float64Array, o: number): number {
  if (loss.kind !== 'ce') return loss.squaredErrorScale;
  const p = probabilities[o]!;
  return p - p * p;
}

/** Predicted class of an output row (index of the largest logit). */
export function argmax(values: Float64Array): number {
  let best = 0;
  for (let o = 1; o < values.length; o++) if (values[o]! > values[best]!) best = o;
  return best;
}

export function targetClass(layout: TargetLayout, targets: Float32Array, row: number, c: number): number {
  if (layout === 'class-index') return targets[row]!;
  let best = 0;
  for (let o = 1; o < c; o++) if (targets[row * c + o]! > targets[row * c + best]!) best = o;
  return best;
}
