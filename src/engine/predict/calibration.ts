import type { ActivationSpec, TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import type { CalibrationKind, CalibrationPoint, ReportCalibration } from '../../shared/report';
import { SeededRandom } from '../math/random';
import { type TrainingArrays, initialNetwork, squaredErrorScale, trainNetwork } from './trainer';
import { randomFeatureInterpolator, withPoisonedPoints } from './randomFeatures';
import { measureFlatness } from './measure';
import { DEFAULT_FLATTEST_OPTIONS, searchFlattest } from './flattest';
import { disagreement, makeProbe, networkOutputs } from './disagreement';
import { type LossModel, type LossSample, fitLossModel, logTarget, predictLog } from './lossModel';
import {
  type ConformalScale, type Fitter, type HeldOutCoverage, heldOutCoverage, leaveOneOutScale, minimumPointsFor, scaleHalfWidth,
} from './conformal';

/**
 * Calibration of held-out loss on the user's own data: split the training set, train a reference
 * family of interpolators that spans flatness on the larger part, measure each one's ratio R and
 * its disagreement D with the split's flattest interpolators found (both on the part it was
 * trained on) and its loss on the held-out part, fit the predictor of lossModel.ts, and give it a
 * jackknife conformal interval (conformal.ts) whose coverage is checked on held-out points.
 */

// ---------------------------------------------------------------- the fitted predictor

export const INTERVAL_LEVEL = 0.8;

export interface CalibrationFit {
  model: LossModel;
  /** Conformal half width of the interval in log space for the population loss, or null with too few points for the level. */
  halfWidth: number | null;
  /** The normalized conformal scale the half width comes from (conformal.ts). */
  scale: ConformalScale | null;
  level: number;
  /** Held-out coverage of the whole procedure (each point left out of the fit and the quantile). */
  coverage: HeldOutCoverage;
  ratioRange: [number, number];
  /** Range of D over the reference points (null when D is not used). */
  disagreementRange: [number, number] | null;
  samples: LossSample[];
}

/** Fits the loss model on a subset, with one floor (the target transform) for every sub-fit. */
const lossFitter = (floor: number): Fitter<LossSample> => (points) => {
  const model = fitLossModel(points, floor);
  return (point) => predictLog(model, point.ratio, point.disagreement);
};

/** `checkCoverage: false` skips the held-out coverage check (K^2 fits), for simulations that measure it otherwise. */
export function fitCalibration(samples: readonly LossSample[], floor: number, level = INTERVAL_LEVEL, checkCoverage = true): CalibrationFit {
  const list = [...samples];
  const model = fitLossModel(list, floor);
  const target = (s: LossSample) => logTarget(s, floor);
  // The interval is for the population loss; a reference point's held-out loss estimates it with
  // sampling noise of known variance: normalized scores, and the half width of a noise-free target.
  const noise = (s: LossSample) => s.logVariance ?? 0;
  const scale = leaveOneOutScale(list, lossFitter(floor), target, level, noise);
  const halfWidth = scale === null ? null : scaleHalfWidth(scale);
  const coverage = checkCoverage ? heldOutCoverage(list, lossFitter(floor), target, level, noise) : { inside: 0, checked: 0 };
  const ratios = list.map((s) => s.ratio);
  const ds = list.map((s) => s.disagreement).filter((v): v is number => v !== null);
  return {
    model, halfWidth, scale, level, coverage,
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
    disagreementRange: model.rho !== null && ds.length ? [Math.min(...ds), Math.max(...ds)] : null,
    samples: list,
  };
}

export interface Prediction {
  testLoss: number;
  /** Null when the reference family is too small for an interval at the level. */
  interval: [number, number] | null;
  /** R or D lies outside the reference family's range (the interval is widened by the extrapolated part). */
  extrapolated: boolean;
}

const clamp = (value: number, [low, high]: [number, number]) => Math.min(high, Math.max(low, value));

export function predictFromFit(fit: CalibrationFit, ratio: number, disagreement: number | null): Prediction {
  const { model } = fit;
  const center = predictLog(model, ratio, disagreement);
  const inRatio = clamp(ratio, fit.ratioRange);
  const inD = disagreement !== null && fit.disagreementRange ? clamp(disagreement, fit.disagreementRange) : disagreement;
  const extrapolated = ratio > fit.ratioRange[1] * 1.05 || ratio < fit.ratioRange[0] / 1.05
    || (disagreement !== null && fit.disagreementRange !== null
      && (disagreement > fit.disagreementRange[1] * 1.05 || disagreement < fit.disagreementRange[0] / 1.05));
  // Beyond the reference range the fitted form is unchecked: widen by what the extrapolated part
  // adds to the prediction, and by how far (in log) R lies outside, whether or not the form uses R.
  const beyond = Math.abs(center - predictLog(model, inRatio, inD)) + Math.abs(Math.log(ratio / inRatio));
  const toLoss = (logValue: number) => Math.max(0, Math.exp(logValue) - model.floor);
  return {
    testLoss: toLoss(center),
    interval: fit.halfWidth === null ? null : [toLoss(center - fit.halfWidth - beyond), toLoss(center + fit.halfWidth + beyond)],
    extrapolated,
  };
}

// ---------------------------------------------------------------- the reference family

export interface ReferenceMember {
  kind: CalibrationKind;
  /** GD: initialization scale multiplying 1/sqrt(fan-in); random features: width / n; poisoned: points / n; bump: amplitude; flattest search: which search. */
  setting: number;
}

/**
 * The reference family spans flatness from the flattest interpolator the search finds, through
 * small to large initialization, to random features and interpolators that memorize poisoned
 * points. The flattest-search members (two searches from different seeds, setting = which one) come
 * first: every member's D is its mean disagreement with those it was not built from, so a search is
 * compared with the other one, never with itself. The "bump" members are the first flattest found
 * plus a random-features network that is zero on the training points and fits junk at n/4 extra
 * points: interpolators that generalize a little to much worse, at the cost of one linear solve each.
 */
export const REFERENCE_FAMILY: readonly ReferenceMember[] = [
  { kind: 'flattest-search', setting: 1 },
  { kind: 'flattest-search', setting: 2 },
  { kind: 'gd-init', setting: 0.05 },
  { kind: 'gd-init', setting: 0.5 },
  { kind: 'gd-init', setting: 2 },
  { kind: 'gd-init', setting: 5 },
  { kind: 'random-features', setting: 4 },
  { kind: 'random-features', setting: 1.25 },
  { kind: 'poisoned-random-features', setting: 0.5 },
  { kind: 'flattest-bump', setting: 0.1 },
  { kind: 'flattest-bump', setting: 0.4 },
  { kind: 'flattest-bump', setting: 1.5 },
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

/** f + g as one network: the hidden layers side by side, the output weights concatenated. */
export function sumOfNetworks(f: TwoLayerModel, g: TwoLayerModel): TwoLayerModel {
  const { inputDim: d, outputDim: c } = f;
  const m = f.hiddenDim + g.hiddenDim;
  const outputWeights = new Float64Array(c * m);
  for (let o = 0; o < c; o++) {
    outputWeights.set(f.outputWeights.subarray(o * f.hiddenDim, (o + 1) * f.hiddenDim), o * m);
    outputWeights.set(g.outputWeights.subarray(o * g.hiddenDim, (o + 1) * g.hiddenDim), o * m + f.hiddenDim);
  }
  const biasOf = (model: TwoLayerModel) => model.hiddenBias ?? new Float64Array(model.hiddenDim);
  const hiddenBias = f.hiddenBias || g.hiddenBias ? Float64Array.from([...biasOf(f), ...biasOf(g)]) : null;
  const outputBias = f.outputBias || g.outputBias ? Float64Array.from({ length: c }, (_, o) => (f.outputBias?.[o] ?? 0) + (g.outputBias?.[o] ?? 0)) : null;
  const hiddenWeights = new Float64Array(m * d);
  hiddenWeights.set(f.hiddenWeights);
  hiddenWeights.set(g.hiddenWeights, f.hiddenDim * d);
  return { ...f, hiddenDim: m, hiddenWeights, hiddenBias, outputWeights, outputBias };
}

/** The training data with zero targets plus `count` junk points: a bump that vanishes on the data. */
function bumpData(arrays: TrainingArrays, count: number, amplitude: number, seed: number): TrainingArrays {
  const poisoned = withPoisonedPoints(arrays, count, amplitude, seed);
  const y = poisoned.y.slice();
  y.fill(0, 0, arrays.n * arrays.c);
  return { ...poisoned, y };
}

/** Trains one reference interpolator of the given kind on `arrays`; `flattest` is the split's first flattest found. */
export async function trainReference(
  member: ReferenceMember,
  arrays: TrainingArrays,
  loss: LossSpec,
  options: ReferenceOptions,
  flattest: TwoLayerModel | null,
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
    }, context);
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
      }, context);
      // No interpolating run: fall back to small initialization, the closest plain-GD proxy.
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
    case 'flattest-bump': {
      if (!flattest) throw new Error('the bump reference needs the flattest interpolator');
      const bump = bumpData(arrays, Math.ceil(n / 4), member.setting, options.seed + 2);
      return sumOfNetworks(flattest, await randomFeatureInterpolator(bump, 2 * bump.n, options.activation, options.seed + 3, options.hiddenBias));
    }
    default:
      throw new Error(`no trainer for reference kind ${String(member.kind as unknown)}`);
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

/** Loss floor: a small fraction of the loss of predicting zero, so exact fits stay on the log scale. */
export function lossFloor(arrays: TrainingArrays, scale: number): number {
  let targetSquares = 0;
  for (const value of arrays.y) targetSquares += value * value;
  return Math.max(1e-12, 1e-4 * (scale / 2) * targetSquares / arrays.n);
}

/** Mean of the per-row losses (scale/2) ||f(x_i) - y_i||^2 on `arrays` and their variance (the mean's is variance / n). */
export function heldOutLosses(model: TwoLayerModel, arrays: TrainingArrays, scale: number): { mean: number; variance: number } {
  const values = networkOutputs(model, arrays.x, arrays.n);
  const losses = new Float64Array(arrays.n);
  for (let i = 0; i < arrays.n; i++) {
    let sum = 0;
    for (let o = 0; o < arrays.c; o++) sum += (values[i * arrays.c + o]! - arrays.y[i * arrays.c + o]!) ** 2;
    losses[i] = (scale / 2) * sum;
  }
  let mean = 0;
  for (const v of losses) mean += v / arrays.n;
  let variance = 0;
  for (const v of losses) variance += (v - mean) ** 2 / Math.max(1, arrays.n - 1);
  return { mean, variance };
}

/** Seed of the probe inputs of a split (the model's probe uses split -1). */
export const probeSeed = (seed: number, split: number) => seed + 7777 + 1000 * split;

export async function buildCalibration(
  arrays: TrainingArrays,
  loss: LossSpec,
  options: CalibrationOptions,
  context?: ComputeContext,
): Promise<CalibrationResult> {
  const scale = squaredErrorScale(loss);
  const family = options.family ?? REFERENCE_FAMILY;
  const points: CalibrationPoint[] = [];
  const logVariances: number[] = [];
  const floor = lossFloor(arrays, scale);
  let skipped = 0;
  const total = options.splits * family.length;
  let done = 0;
  const inner: ComputeContext = {
    ...(context?.signal ? { signal: context.signal } : {}),
    onProgress: (_, fraction) => context?.onProgress?.('calibration', Math.min(1, (done + fraction) / total)),
  };
  for (let split = 0; split < options.splits; split++) {
    const { train, heldOut } = splitRows(arrays.n, options.trainFraction, options.seed + 1000 * split);
    const trainPart = subsetArrays(arrays, train);
    const heldOutPart = subsetArrays(arrays, heldOut);
    let flattest: TwoLayerModel | null = null;
    const references: TwoLayerModel[] = [];
    const kept: { model: TwoLayerModel; builtFrom: number | null; point: Omit<CalibrationPoint, 'disagreement'> }[] = [];
    for (const [index, member] of family.entries()) {
      throwIfCancelled(context);
      const model = await trainReference(member, trainPart, loss, { ...options, seed: options.seed + 1000 * split + 17 * index }, flattest, inner);
      // The reference a member was built from: a search is its own; a bump is built on the first search.
      let builtFrom: number | null = member.kind === 'flattest-bump' ? 0 : null;
      if (member.kind === 'flattest-search') {
        flattest ??= model;
        builtFrom = references.length;
        references.push(model);
      }
      const measures = await measureFlatness(model, trainPart, loss, { signal: context?.signal });
      done++;
      context?.onProgress?.('calibration', done / total);
      if (measures.ratio === null || !(measures.meanSquaredError <= options.targetMse * 10)) {
        skipped++;
        continue;
      }
      const heldOut = heldOutLosses(model, heldOutPart, scale);
      const heldOutLoss = heldOut.mean;
      logVariances.push(heldOut.variance / heldOutPart.n / (heldOutLoss + floor) ** 2);
      kept.push({ model, builtFrom, point: { kind: member.kind, setting: member.setting, split, ratio: measures.ratio, heldOutLoss, normalized: measures.normalized ?? NaN } });
    }
    // D once every reference of the split is known: the first members' D needs the later searches.
    const probe = references.length ? makeProbe(trainPart, references, probeSeed(options.seed, split)) : null;
    for (const { model, builtFrom, point } of kept) points.push({ ...point, disagreement: probe ? disagreement(model, probe, builtFrom) : null });
  }
  const samples: LossSample[] = points.map((p, k) => ({ ratio: p.ratio, disagreement: p.disagreement, heldOutLoss: p.heldOutLoss, logVariance: logVariances[k]! }));
  return { points, fit: fitCalibration(samples, floor), skipped };
}

export function calibrationReport(result: CalibrationResult, splits: number, trainFraction: number): ReportCalibration {
  const { fit } = result;
  const curve = fit.samples
    .map((s) => ({ ratio: s.ratio, loss: Math.max(0, Math.exp(predictLog(fit.model, s.ratio, s.disagreement)) - fit.model.floor) }))
    .sort((p, q) => p.ratio - q.ratio);
  return {
    points: result.points,
    splits,
    trainFraction,
    intervalLevel: fit.level,
    leaveOneOutCoverage: fit.coverage.checked ? fit.coverage.inside / fit.coverage.checked : NaN,
    heldOutCoverage: { ...fit.coverage },
    minimumPoints: minimumPointsFor(fit.level) + 1,
    lossModel: { ...fit.model },
    ratioRange: fit.ratioRange,
    curve,
    skipped: result.skipped,
  };
}
