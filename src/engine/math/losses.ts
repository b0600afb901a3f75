import type { LossKind } from '../../shared/report';
import type { AnyDataset, Dataset } from '../data/types';
import { SCAN_CHUNK_ROWS, isStreamed, readTargets } from '../data/rows';
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
  const layout = layoutOfShapes(loss, model, data);
  checkTargetRows(layout, data.targets, 0, data.n, model.outputDim, data.source.path);
  return layout;
}

/** The layout from the target columns and the model alone (the rows are checked separately). */
function layoutOfShapes(loss: LossSpec, model: TwoLayerModel, data: { targetDim: number; source: { path: string } }): TargetLayout {
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
  if (data.targetDim === 1) return 'class-index';
  if (data.targetDim === c) return 'one-hot';
  throw badInput(data.source.path,
    `targets have ${data.targetDim} columns; cross-entropy with ${c} classes needs class indices (1 column) or ${c} one-hot columns`);
}

/** Checks rows [first, first + rows) of `targets` (which starts at row `first`) for the layout. */
function checkTargetRows(layout: TargetLayout, targets: Float32Array, first: number, rows: number, c: number, path: string): void {
  if (layout === 'class-index') {
    for (let r = 0; r < rows; r++) {
      const label = targets[r]!;
      if (!Number.isInteger(label) || label < 0 || label >= c) {
        throw badInput(path, `row ${first + r + 1}: class label ${label} is not an integer in [0, ${c - 1}] for a ${c}-class model`);
      }
    }
  } else if (layout === 'one-hot') {
    checkProbabilityRows(targets, first, rows, c, path);
  }
}

/** Checked layouts of streamed sets, so each checkpoint of a run does not scan the targets again. */
const streamedLayouts = new WeakMap<object, Map<string, TargetLayout>>();

/**
 * targetLayout for either kind of data set: a streamed one's targets are checked chunk by chunk,
 * with the same messages.
 */
export async function targetLayoutOf(loss: LossSpec, model: TwoLayerModel, data: AnyDataset): Promise<TargetLayout> {
  if (!isStreamed(data)) return targetLayout(loss, model, data);
  const c = model.outputDim;
  const layout = layoutOfShapes(loss, model, data);
  if (layout === 'regression') return layout;
  const key = `${layout}:${c}`;
  let known = streamedLayouts.get(data);
  if (!known) streamedLayouts.set(data, (known = new Map()));
  if (known.has(key)) return layout;
  for (let start = 0; start < data.n; start += SCAN_CHUNK_ROWS) {
    const rows = Math.min(SCAN_CHUNK_ROWS, data.n - start);
    checkTargetRows(layout, await readTargets(data, start, rows), start, rows, c, data.source.path);
  }
  known.set(key, layout);
  return layout;
}

/** Largest |row sum - 1| accepted for one-hot or probability targets (float32 rows of a few classes). */
export const PROBABILITY_ROW_TOLERANCE = 1e-6;

/**
 * Cross-entropy with c target columns needs each row to be a probability vector: entries in
 * [0, 1] summing to 1. Anything else gives a wrong gradient and trace silently.
 */
function checkProbabilityRows(targets: Float32Array, first: number, rows: number, c: number, path: string): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let o = 0; o < c; o++) {
      const value = targets[r * c + o]!;
      if (!(value >= 0 && value <= 1)) {
        throw badInput(path,
          `row ${first + r + 1}: target ${value} in column ${o + 1} is not a probability in [0, 1]; cross-entropy needs class indices or one-hot rows`);
      }
      sum += value;
    }
    if (!(Math.abs(sum - 1) <= PROBABILITY_ROW_TOLERANCE)) {
      throw badInput(path,
        `row ${first + r + 1}: the ${c} target columns sum to ${sum}, not 1; cross-entropy needs class indices or one-hot rows summing to 1`);
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
