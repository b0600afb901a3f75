import type { ActivationSpec, TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import type { CalibrationKind, CalibrationPoint, ReportCalibration } from '../../shared/report';
import { SeededRandom } from '../math/random';
import { type TrainingArrays, evaluateObjective, initialNetwork, squaredErrorScale, trainNetwork } from './trainer';
import { randomFeatureInterpolator, withPoisonedPoints } from './randomFeatures';
import { measureFlatness } from './measure';
import { DEFAULT_FLATTEST_OPTIONS, searchFlattest } from './flattest';

/**
 * Calibration of held-out loss against the flatness ratio on the user's own data: split the
 * training set, train a reference family of interpolators that spans flatness on the larger
 * part, measure each one's ratio (on the part it was trained on) and loss on the held-out part,
 * and fit a monotone map ratio -> held-out loss with an uncertainty band.
 */

// ---------------------------------------------------------------- isotonic regression

export interface IsotonicBlock {
  /** Weighted mean of the x values pooled into the block. */
  x: number;
  /** Fitted value of the block (non-decreasing from block to block). */
  value: number;
  weight: number;
  count: number;
}

/**
 * Weighted least-squares non-decreasing fit of y on x (pool adjacent violators). Returns the
 * fitted value for every input point, in input order, and the pooled blocks in x order.
 */
export function isotonicFit(x: readonly number[], y: readonly number[], weights?: readonly number[]): { fitted: number[]; blocks: IsotonicBlock[] } {
  const order = x.map((_, i) => i).sort((p, q) => x[p]! - x[q]! || y[p]! - y[q]!);
  const blocks: (IsotonicBlock & { members: number[] })[] = [];
  for (const i of order) {
    const w = weights?.[i] ?? 1;
    blocks.push({ x: x[i]!, value: y[i]!, weight: w, count: 1, members: [i] });
    // Equal x must share a value; otherwise merge while the last two blocks violate monotonicity.
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const previous = blocks[blocks.length - 2]!;
      const sameX = x[previous.members[previous.members.length - 1]!] === x[last.members[0]!];
      if (!(previous.value > last.value) && !sameX) break;
      const weight = previous.weight + last.weight;
      blocks.splice(blocks.length - 2, 2, {
        x: (previous.x * previous.weight + last.x * last.weight) / weight,
        value: (previous.value * previous.weight + last.value * last.weight) / weight,
        weight,
        count: previous.count + last.count,
        members: [...previous.members, ...last.members],
      });
    }
  }
  const fitted = new Array<number>(x.length).fill(0);
  for (const block of blocks) for (const i of block.members) fitted[i] = block.value;
  return { fitted, blocks: blocks.map(({ members: _members, ...block }) => block) };
}

/**
 * The isotonic fit read as a function: linear between block centres, constant beyond the
 * first and last (the centred isotonic interpolant; monotone, strictly so between blocks).
 */
export function evaluateBlocks(blocks: readonly IsotonicBlock[], at: number): number {
  if (blocks.length === 0) return NaN;
  const first = blocks[0]!;
  const last = blocks[blocks.length - 1]!;
  if (at <= first.x) return first.value;
  if (at >= last.x) return last.value;
  for (let b = 1; b < blocks.length; b++) {
    const right = blocks[b]!;
    if (at <= right.x) {
      const left = blocks[b - 1]!;
      const span = right.x - left.x;
      return span > 0 ? left.value + ((at - left.x) / span) * (right.value - left.value) : right.value;
    }
  }
  return last.value;
}

/** Order statistic at a conformal level: the ceil((K + 1) q)-th smallest, clipped to the sample. */
function conformalQuantile(sorted: readonly number[], level: number): number {
  const K = sorted.length;
  const rank = level >= 0.5 ? Math.ceil((K + 1) * level) : Math.floor((K + 1) * level);
  return sorted[Math.min(K, Math.max(1, rank)) - 1]!;
}

// ---------------------------------------------------------------- the fitted map

export interface CalibrationFit {
  blocks: IsotonicBlock[];
  /** Added before taking logs so a zero held-out loss stays finite. */
  floor: number;
  /** Leave-one-out residual quantiles in log space: the band is [fit + low, fit + high]. */
  residualLow: number;
  residualHigh: number;
  /** Fraction of reference points whose held-out loss lies inside their leave-one-out band. */
  looCoverage: number;
  ratioRange: [number, number];
}

export const INTERVAL_LEVEL = 0.8;

export function fitCalibration(points: readonly { ratio: number; heldOutLoss: number }[], floor: number): CalibrationFit {
  const xs = points.map((p) => Math.log(p.ratio));
  const ys = points.map((p) => Math.log(p.heldOutLoss + floor));
  const { blocks } = isotonicFit(xs, ys);
  const residuals: number[] = [];
  for (let k = 0; k < points.length; k++) {
    const others = xs.map((_, i) => i).filter((i) => i !== k);
    if (others.length === 0) break;
    const loo = isotonicFit(others.map((i) => xs[i]!), others.map((i) => ys[i]!));
    residuals.push(ys[k]! - evaluateBlocks(loo.blocks, xs[k]!));
  }
  const sorted = [...residuals].sort((a, b) => a - b);
  const tail = (1 - INTERVAL_LEVEL) / 2;
  const residualLow = sorted.length ? Math.min(0, conformalQuantile(sorted, tail)) : 0;
  const residualHigh = sorted.length ? Math.max(0, conformalQuantile(sorted, 1 - tail)) : 0;
  const inside = residuals.filter((r) => r >= residualLow && r <= residualHigh).length;
  return {
    blocks,
    floor,
    residualLow,
    residualHigh,
    looCoverage: residuals.length ? inside / residuals.length : NaN,
    ratioRange: [Math.min(...points.map((p) => p.ratio)), Math.max(...points.map((p) => p.ratio))],
  };
}

export interface Prediction {
  testLoss: number;
  interval: [number, number];
  /** The ratio lies outside the reference family's range (the band is widened above it). */
  extrapolated: boolean;
}

export function predictFromFit(fit: CalibrationFit, ratio: number): Prediction {
  const at = Math.log(ratio);
  const centre = evaluateBlocks(fit.blocks, at);
  const [lowRatio, highRatio] = fit.ratioRange;
  // Above the reference range the monotone fit is flat; the loss of an interpolator that
  // memorizes grows roughly like the square of its excess norm, so widen the top of the band.
  const beyond = ratio > highRatio ? 2 * Math.log(ratio / highRatio) : 0;
  const toLoss = (logValue: number) => Math.max(0, Math.exp(logValue) - fit.floor);
  // Below the flattest reference the monotone map only bounds the loss from above.
  const low = ratio < lowRatio ? 0 : toLoss(centre + fit.residualLow);
  return {
    testLoss: toLoss(centre),
    interval: [low, toLoss(centre + fit.residualHigh + beyond)],
    extrapolated: ratio > highRatio * 1.05 || ratio < lowRatio / 1.05,
  };
}

// ---------------------------------------------------------------- the reference family

export interface ReferenceMember {
  kind: CalibrationKind;
  /** GD: initialisation scale multiplying 1/sqrt(fan-in); random features: width / n. */
  setting: number;
}

/**
 * The reference family spans flatness from the flattest interpolator the search finds, through
 * small to large initialisation, to random features and interpolators of poisoned points.
 */
export const REFERENCE_FAMILY: readonly ReferenceMember[] = [
  { kind: 'flattest-search', setting: 1 },
  { kind: 'gd-init', setting: 0.05 },
  { kind: 'gd-init', setting: 0.5 },
  { kind: 'gd-init', setting: 2 },
  { kind: 'gd-init', setting: 5 },
  { kind: 'random-features', setting: 4 },
  { kind: 'poisoned-random-features', setting: 0.5 },
  { kind: 'poisoned-gd', setting: 1 },
];

export interface ReferenceOptions {
  /** Width of the trained networks (the model's width, capped by the caller). */
  width: number;
  activation: ActivationSpec;
  hiddenBias: boolean;
  outputBias: boolean;
  targetMse: number;
  maxSteps: number;
  seed: number;
}

/** Trains one reference interpolator of the given kind on `arrays`. */
export async function trainReference(
  member: ReferenceMember,
  arrays: TrainingArrays,
  loss: LossSpec,
  options: ReferenceOptions,
  context?: ComputeContext,
): Promise<TwoLayerModel> {
  const scale = squaredErrorScale(loss);
  const { n, d, c } = arrays;
  // Enough neurons to interpolate n points (and the poisoned ones) in d dimensions.
  const width = (points: number) => Math.max(options.width, Math.ceil((2 * points) / Math.max(1, d)));
  const gd = async (data: TrainingArrays, initScale: number, seed: number) => {
    const start = initialNetwork({
      inputDim: d, hiddenDim: width(data.n), outputDim: c, scale: initScale, hiddenBias: options.hiddenBias,
      outputBias: options.outputBias, activation: options.activation, seed,
    });
    const result = await trainNetwork(start, data, scale, {
      maxSteps: options.maxSteps, learningRate: initScale < 0.2 ? 0.005 : 0.01, targetMse: options.targetMse, stage: 'calibration',
    }, { signal: context?.signal });
    return result.model;
  };
  switch (member.kind) {
    case 'gd-init':
      return gd(arrays, member.setting, options.seed);
    case 'flattest-search': {
      const found = await searchFlattest(arrays, loss, {
        ...DEFAULT_FLATTEST_OPTIONS, widths: [width(n)], restarts: 1, activation: options.activation,
        hiddenBias: options.hiddenBias, outputBias: options.outputBias, targetMse: options.targetMse,
        maxSteps: options.maxSteps, seed: options.seed,
      }, { signal: context?.signal });
      // No interpolating run: fall back to small initialisation, the closest plain-GD proxy.
      return found.model ?? gd(arrays, 0.05, options.seed);
    }
    case 'random-features':
      return randomFeatureInterpolator(arrays, Math.ceil(member.setting * n), options.activation, options.seed, options.hiddenBias);
    case 'poisoned-random-features': {
      const poisoned = withPoisonedPoints(arrays, Math.ceil(member.setting * n), 1, options.seed + 1);
      return randomFeatureInterpolator(poisoned, 4 * poisoned.n, options.activation, options.seed, options.hiddenBias);
    }
    case 'poisoned-gd': {
      const poisoned = withPoisonedPoints(arrays, Math.ceil(member.setting * n), 1, options.seed + 1);
      return gd(poisoned, 1, options.seed);
    }
    default:
      throw new Error(`no trainer for reference kind ${member.kind}`);
  }
}

export interface CalibrationOptions extends ReferenceOptions {
  splits: number;
  /** Fraction of the data used for training in each split. */
  trainFraction: number;
  family?: readonly ReferenceMember[];
}

export interface CalibrationResult {
  points: CalibrationPoint[];
  fit: CalibrationFit;
  /** Reference members that did not reach interpolation and were left out. */
  skipped: number;
}

/** Rows of the split: a seeded permutation cut at trainFraction. */
export function splitRows(n: number, trainFraction: number, seed: number): { train: number[]; heldOut: number[] } {
  const order = new SeededRandom(seed).permutation(n);
  const cut = Math.max(1, Math.min(n - 1, Math.round(trainFraction * n)));
  return { train: order.slice(0, cut), heldOut: order.slice(cut) };
}

export function subsetArrays(arrays: TrainingArrays, rows: readonly number[]): TrainingArrays {
  const { d, c } = arrays;
  const x = new Float64Array(rows.length * d);
  const y = new Float64Array(rows.length * c);
  rows.forEach((row, i) => {
    x.set(arrays.x.subarray(row * d, (row + 1) * d), i * d);
    y.set(arrays.y.subarray(row * c, (row + 1) * c), i * c);
  });
  return { n: rows.length, d, c, x, y };
}

export async function buildCalibration(
  arrays: TrainingArrays,
  loss: LossSpec,
  options: CalibrationOptions,
  context?: ComputeContext,
): Promise<CalibrationResult> {
  const scale = squaredErrorScale(loss);
  const family = options.family ?? REFERENCE_FAMILY;
  const points: CalibrationPoint[] = [];
  let skipped = 0;
  const total = options.splits * family.length;
  let done = 0;
  for (let split = 0; split < options.splits; split++) {
    const { train, heldOut } = splitRows(arrays.n, options.trainFraction, options.seed + 1000 * split);
    const trainPart = subsetArrays(arrays, train);
    const heldOutPart = subsetArrays(arrays, heldOut);
    for (const [index, member] of family.entries()) {
      throwIfCancelled(context);
      const model = await trainReference(member, trainPart, loss, { ...options, seed: options.seed + 1000 * split + 17 * index }, context);
      const measures = await measureFlatness(model, trainPart, loss, { signal: context?.signal });
      done++;
      context?.onProgress?.('calibration', done / total);
      if (measures.ratio === null || !(measures.meanSquaredError <= options.targetMse * 10)) {
        skipped++;
        continue;
      }
      const heldOutLoss = evaluateObjective(model, heldOutPart, scale, 1, 0, null).loss;
      points.push({ kind: member.kind, setting: member.setting, split, ratio: measures.ratio, heldOutLoss, normalized: measures.normalized ?? NaN });
    }
  }
  let targetSquares = 0;
  for (const value of arrays.y) targetSquares += value * value;
  // Loss floor: a small fraction of the loss of predicting zero, so exact fits stay on the log scale.
  const floor = Math.max(1e-12, 1e-4 * (scale / 2) * targetSquares / arrays.n);
  return { points, fit: fitCalibration(points, floor), skipped };
}

export function calibrationReport(result: CalibrationResult, splits: number, trainFraction: number): ReportCalibration {
  return {
    points: result.points,
    splits,
    trainFraction,
    intervalLevel: INTERVAL_LEVEL,
    leaveOneOutCoverage: result.fit.looCoverage,
    ratioRange: result.fit.ratioRange,
    curve: result.fit.blocks.map((block) => ({ ratio: Math.exp(block.x), loss: Math.max(0, Math.exp(block.value) - result.fit.floor) })),
    skipped: result.skipped,
  };
}
