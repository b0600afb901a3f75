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
import { type TrainingArrays, toTrainingArrays } from './trainer';
import { type CalibrationResult, buildCalibration, calibrationReport, predictFromFit } from './calibration';
import { DEFAULT_FLATTEST_OPTIONS, type FlattestResult, foundNetworkArrays, searchFlattest } from './flattest';
import { measureFlatness } from './measure';

/** Work limits of the prediction: the trainer is float64 JS on the data in memory. */
export interface PredictionBudget {
  /** Training rows used by the search and the calibration (a seeded subsample above this). */
  maxRows: number;
  /** Widest network trained. */
  maxWidth: number;
  /** Cap on rows x width x d per training step; rows, then width, shrink to fit (high-dimensional inputs). */
  maxWorkPerStep: number;
  splits: number;
  trainFraction: number;
  flattestRestarts: number;
  maxSteps: number;
  seed: number;
}

export const DEFAULT_PREDICTION_BUDGET: PredictionBudget = {
  maxRows: 400,
  maxWidth: 256,
  maxWorkPerStep: 8e6,
  splits: 2,
  trainFraction: 0.8,
  flattestRestarts: 1,
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
  const wantedWidth = Math.min(budget.maxWidth, architecture.width);
  const maxRows = Math.min(budget.maxRows, Math.max(100, Math.floor(budget.maxWorkPerStep / (wantedWidth * d))));
  const rows = data.n > maxRows
    ? new SeededRandom(budget.seed).permutation(data.n).slice(0, maxRows).sort((a, b) => a - b)
    : undefined;
  const arrays = toTrainingArrays(data, rows);
  // Reference interpolators must fit more tightly than the model is asked to.
  const targetMse = Math.min(interpolationTolerance, 1e-5);
  const widthCap = Math.min(budget.maxWidth, Math.max(16, Math.floor(budget.maxWorkPerStep / (arrays.n * d))));
  const width = Math.min(widthCap, Math.max(architecture.width, Math.ceil((2 * arrays.n) / d)));
  const calibration = await buildCalibration(arrays, loss, {
    width, activation: architecture.activation, hiddenBias: architecture.hiddenBias, outputBias: architecture.outputBias,
    targetMse, maxSteps: budget.maxSteps, seed: budget.seed, splits: budget.splits, trainFraction: budget.trainFraction,
  }, context);
  const widths = [...new Set([width, Math.min(widthCap, 2 * width)])];
  const flattest = await searchFlattest(arrays, loss, {
    ...DEFAULT_FLATTEST_OPTIONS, widths, restarts: budget.flattestRestarts, activation: architecture.activation,
    hiddenBias: architecture.hiddenBias, outputBias: architecture.outputBias, targetMse,
    maxSteps: budget.maxSteps, seed: budget.seed,
  }, context);
  return { arrays, rowsUsed: arrays.n, totalRows: data.n, loss, architecture, budget, width, targetMse, calibration, flattest };
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
    available: false, reason, testLoss: null, interval: null, extrapolated: false, ratio: null,
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
  const predicted = predictFromFit(setup.calibration.fit, ratio);
  const verdict: ReportVerdict = buildPredictionVerdict({
    ratio, ratioToFound: flattest.ratioToFound, interpolation, testLoss: predicted.testLoss, interval: predicted.interval,
    extrapolated: predicted.extrapolated,
  });
  const caveats = [...PREDICTION_CAVEATS];
  if (setup.rowsUsed < setup.totalRows) caveats.push(`The search and calibration used a seeded subsample of ${setup.rowsUsed} of the ${setup.totalRows} training rows.`);
  if (setup.width < setup.architecture.width) caveats.push(`To bound the cost, reference and searched networks had width ${setup.width} (the model has ${setup.architecture.width}).`);
  if (predicted.extrapolated) caveats.push(`The model's ratio ${ratio.toPrecision(3)} lies outside the reference range [${setup.calibration.fit.ratioRange.map((r) => r.toPrecision(3)).join(', ')}]: the prediction is extrapolated and its interval widened.`);
  return {
    prediction: {
      available: true,
      testLoss: predicted.testLoss,
      interval: predicted.interval,
      extrapolated: predicted.extrapolated,
      ratio,
      verdict,
      calibration: calibrationReport(setup.calibration, setup.budget.splits, setup.budget.trainFraction),
      measuredTestLoss,
      trainingRowsUsed: setup.rowsUsed,
      caveats,
    },
    flattest,
  };
}
