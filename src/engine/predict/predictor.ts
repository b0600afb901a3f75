import type { Dataset } from '../data/types';
import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import type {
  ReportFlatness, ReportFlattest, ReportInterpolation, ReportPrediction, ReportVerdict,
} from '../../shared/report';
import { buildPredictionVerdict } from '../analysis/verdict';
import { SeededRandom } from '../math/random';
import { type TrainingArrays, squaredErrorScale, toTrainingArrays } from './trainer';
import { type CalibrationResult, buildCalibration, calibrationReport, fitCalibration, lossFloor, predictFromFit, probeSeed } from './calibration';
import { type DisagreementProbe, disagreement, makeProbe } from './disagreement';
import { DEFAULT_FLATTEST_OPTIONS, type FlattestResult, foundNetworkArrays, searchFlattest } from './flattest';
import { measureFlatness } from './measure';
import { minimumPointsFor } from './conformal';

/** Work limits of the prediction: the trainer runs full-batch on the subsample in memory. */
export interface PredictionBudget {
  /** Training rows used by the search and the calibration (a seeded subsample above this). */
  maxRows: number;
  /** Widest network trained. */
  maxWidth: number;
  /**
   * Width of the reference and searched networks (more where n points in d dimensions need it).
   * It does not depend on the model's width, so a model's prediction depends on the model and the
   * data only, and models of any width share one setup.
   */
  referenceWidth: number;
  /** Cap on rows x width x d per training step; rows, then width, shrink to fit (high-dimensional inputs). */
  maxWorkPerStep: number;
  splits: number;
  trainFraction: number;
  /** Searches from different seeds on the rows used; every interpolating one is a reference of D. */
  flattestRestarts: number;
  maxSteps: number;
  seed: number;
}

export const DEFAULT_PREDICTION_BUDGET: PredictionBudget = {
  maxRows: 400,
  maxWidth: 256,
  referenceWidth: 64,
  maxWorkPerStep: 8e6,
  splits: 2,
  trainFraction: 0.8,
  flattestRestarts: 2,
  maxSteps: 4000,
  seed: 20260601,
};

export interface Architecture {
  width: number;
  activation: ActivationSpec;
  hiddenBias: boolean;
  outputBias: boolean;
}

export function architectureOf(model: TwoLayerModel): Architecture {
  return { width: model.hiddenDim, activation: model.activation, hiddenBias: model.hiddenBias !== null, outputBias: model.outputBias !== null };
}

/** Why the prediction cannot be made for this loss and activation, or null when it can. */
export function predictionUnavailableReason(loss: LossSpec, activation: ActivationSpec, outputDim: number): string | null {
  if (loss.kind === 'ce') return 'the prediction is calibrated for squared-error losses; the certified bound is not derived for cross-entropy';
  const act = makeActivation(activation);
  if (act.homogeneityDegree !== 1 || !act.piecewiseLinear) {
    return `the flattest-interpolator theory needs a positively homogeneous activation with a certified bound (ReLU, leaky ReLU, abs); ${act.label} has none`;
  }
  if (outputDim !== 1) return 'the theory and its certified bound are stated for a scalar output; this model has ' + outputDim;
  return null;
}

/** The calibration and the flattest interpolator of one training set, shared by every model on it. */
export interface PredictionSetup {
  arrays: TrainingArrays;
  rowsUsed: number;
  totalRows: number;
  loss: LossSpec;
  architecture: Architecture;
  budget: PredictionBudget;
  /** Width of the reference networks and of the narrowest searched network. */
  width: number;
  targetMse: number;
  calibration: CalibrationResult;
  flattest: FlattestResult;
  /** Probe inputs and the flattest interpolators' values there (null when the search found none). */
  probe: DisagreementProbe | null;
  /** Loss of predicting the targets' mean on the rows used: the scale of the verdict. */
  meanPredictorLoss: number;
}

/** (scale / 2) (1/n) sum_i ||y_i - mean y||^2: what predicting the mean costs in the loss's convention. */
export function meanPredictorLoss(arrays: TrainingArrays, scale: number): number {
  const { n, c, y } = arrays;
  let total = 0;
  for (let o = 0; o < c; o++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i * c + o]! / n;
    for (let i = 0; i < n; i++) total += (y[i * c + o]! - mean) ** 2;
  }
  return (scale / 2) * total / n;
}

export async function preparePrediction(
  data: Dataset,
  loss: LossSpec,
  architecture: Architecture,
  interpolationTolerance: number,
  budget: PredictionBudget = DEFAULT_PREDICTION_BUDGET,
  context?: ComputeContext,
): Promise<PredictionSetup> {
  // High-dimensional inputs: fewer rows (not below 100), then narrower networks, so a step stays cheap.
  const d = Math.max(1, data.d);
  const wantedWidth = Math.min(budget.maxWidth, budget.referenceWidth);
  const maxRows = Math.min(budget.maxRows, Math.max(100, Math.floor(budget.maxWorkPerStep / (wantedWidth * d))));
  const rows = data.n > maxRows
    ? new SeededRandom(budget.seed).permutation(data.n).slice(0, maxRows).sort((a, b) => a - b)
    : undefined;
  const arrays = toTrainingArrays(data, rows);
  // Reference interpolators must fit more tightly than the model is asked to.
  const targetMse = Math.min(interpolationTolerance, 1e-5);
  const widthCap = Math.min(budget.maxWidth, Math.max(16, Math.floor(budget.maxWorkPerStep / (arrays.n * d))));
  const width = Math.min(widthCap, Math.max(budget.referenceWidth, Math.ceil((2 * arrays.n) / d)));
  const flattest = await searchFlattest(arrays, loss, {
    ...DEFAULT_FLATTEST_OPTIONS, widths: [width], restarts: budget.flattestRestarts, activation: architecture.activation,
    hiddenBias: architecture.hiddenBias, outputBias: architecture.outputBias, targetMse,
    maxSteps: budget.maxSteps, seed: budget.seed,
  }, context);
  const calibrated = await buildCalibration(arrays, loss, {
    width, activation: architecture.activation, hiddenBias: architecture.hiddenBias, outputBias: architecture.outputBias,
    targetMse, maxSteps: budget.maxSteps, seed: budget.seed, splits: budget.splits, trainFraction: budget.trainFraction,
  }, context);
  const scale = squaredErrorScale(loss);
  const probe = flattest.models.length ? makeProbe(arrays, flattest.models, probeSeed(budget.seed, -1)) : null;
  // Without a flattest interpolator on the full data the model has no D: predict from R alone.
  const calibration = probe ? calibrated : {
    ...calibrated,
    fit: fitCalibration(calibrated.fit.samples.map((sample) => ({ ...sample, disagreement: null })), lossFloor(arrays, scale)),
  };
  return {
    arrays, rowsUsed: arrays.n, totalRows: data.n, loss, architecture, budget, width, targetMse, calibration, flattest, probe,
    meanPredictorLoss: meanPredictorLoss(arrays, scale),
  };
}

export const PREDICTION_CAVEATS = [
  'The model must interpolate its training data: the flatness-generalization link is stated for interpolators.',
  'The activation must be positively homogeneous (ReLU-like); the certified bound is for k = 1.',
  'The theory covers targets close to a sum of single-index models with moderate label noise; far from that, the calibration on your data is the only evidence.',
  'The predicted loss is calibrated on held-out parts of your own training data with reference interpolators; it is not a guarantee.',
];

export interface ModelPrediction {
  prediction: ReportPrediction;
  flattest: ReportFlattest;
}

function notAvailable(reason: string, measuredTestLoss: number | null): ReportPrediction {
  return {
    available: false, reason, testLoss: null, interval: null, extrapolated: false, ratio: null, disagreement: null, relativeLoss: null,
    verdict: { level: 'not-applicable', headline: 'No prediction', explanation: reason },
    calibration: null, measuredTestLoss, trainingRowsUsed: 0, caveats: PREDICTION_CAVEATS,
  };
}

export function unavailablePrediction(reason: string, measuredTestLoss: number | null): ModelPrediction {
  return {
    prediction: notAvailable(reason, measuredTestLoss),
    flattest: {
      normalized: null, lowerBound: null, modelNormalized: null, ratioToLowerBound: null, ratioToFound: null,
      foundToLowerBound: null, network: null, runs: [], trainingRowsUsed: 0,
    },
  };
}

/** Reads the model's prediction off a prepared calibration. */
export async function predictModel(
  setup: PredictionSetup,
  model: TwoLayerModel,
  flatness: ReportFlatness,
  interpolation: ReportInterpolation,
  measuredTestLoss: number | null,
  context?: ComputeContext,
): Promise<ModelPrediction> {
  const ratio = flatness.ratio.value;
  // F_sym / F_found must compare like with like: both on the rows the search used.
  const onRows = setup.rowsUsed === setup.totalRows
    ? { normalized: flatness.normalized.value, lowerBound: flatness.lowerBound.value }
    : await measureFlatness(model, setup.arrays, setup.loss, { signal: context?.signal });
  const found = setup.flattest.normalized;
  const lowerBound = setup.flattest.lowerBound ?? onRows.lowerBound;
  const divide = (a: number | null, b: number | null) => (a !== null && b !== null && b > 0 ? a / b : null);
  const flattest: ReportFlattest = {
    normalized: found,
    lowerBound,
    modelNormalized: onRows.normalized,
    ratioToLowerBound: ratio,
    ratioToFound: divide(onRows.normalized, found),
    foundToLowerBound: divide(found, lowerBound),
    network: setup.flattest.model ? foundNetworkArrays(setup.flattest.model) : null,
    runs: setup.flattest.runs,
    trainingRowsUsed: setup.rowsUsed,
  };
  if (ratio === null) {
    return { prediction: notAvailable(`no flatness ratio: ${flatness.ratio.reason ?? 'undefined'}`, measuredTestLoss), flattest };
  }
  if (setup.calibration.points.length < 3) {
    return { prediction: notAvailable('too few reference interpolators reached interpolation to calibrate the prediction', measuredTestLoss), flattest };
  }
  const modelDisagreement = setup.probe ? disagreement(model, setup.probe) : null;
  const { fit } = setup.calibration;
  const predicted = predictFromFit(fit, ratio, modelDisagreement);
  const relativeLoss = setup.meanPredictorLoss > 0 ? predicted.testLoss / setup.meanPredictorLoss : Infinity;
  const verdict: ReportVerdict = buildPredictionVerdict({
    ratio, ratioToFound: flattest.ratioToFound, interpolation, testLoss: predicted.testLoss, interval: predicted.interval,
    intervalLevel: fit.level, extrapolated: predicted.extrapolated, relativeLoss,
  });
  const caveats = [...PREDICTION_CAVEATS];
  if (setup.rowsUsed < setup.totalRows) caveats.push(`The search and calibration used a seeded subsample of ${setup.rowsUsed} of the ${setup.totalRows} training rows.`);
  if (setup.width !== model.hiddenDim) caveats.push(`The reference and searched networks had width ${setup.width} (the model has ${model.hiddenDim}); the flattest interpolator's width does not matter to the bound.`);
  if (!setup.probe) caveats.push('No flattest interpolator was found, so the prediction uses the ratio R alone.');
  if (predicted.interval === null) caveats.push(`Only ${fit.samples.length} reference interpolators reached interpolation: an ${Math.round(100 * fit.level)}% interval needs at least ${minimumPointsFor(fit.level) + 1}, so none is given.`);
  if (predicted.extrapolated) {
    const dRange = fit.disagreementRange ? `, disagreement ${modelDisagreement?.toPrecision(3)} against [${fit.disagreementRange.map((v) => v.toPrecision(3)).join(', ')}]` : '';
    caveats.push(`Extrapolation: the model (ratio ${ratio.toPrecision(3)} against the reference range [${fit.ratioRange.map((r) => r.toPrecision(3)).join(', ')}]${dRange}) lies outside the reference interpolators; the interval is widened by the extrapolated part and its level is not checked there.`);
  }
  return {
    prediction: {
      available: true,
      testLoss: predicted.testLoss,
      interval: predicted.interval,
      extrapolated: predicted.extrapolated,
      ratio,
      disagreement: modelDisagreement,
      relativeLoss,
      verdict,
      calibration: calibrationReport(setup.calibration, setup.budget.splits, setup.budget.trainFraction),
      measuredTestLoss,
      trainingRowsUsed: setup.rowsUsed,
      caveats,
    },
    flattest,
  };
}
