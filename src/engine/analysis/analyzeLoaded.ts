import type { BackendRequest, LossKind, Report, ReportInterpolation } from '../../shared/report';
import { REPORT_SCHEMA_VERSION } from '../../shared/report';
import type { AnyDataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { describeModel } from '../model/describe';
import { type LossSpec, makeLossSpec } from '../math/losses';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import { defaultChunkRows } from '../compute/preactivations';
import { fallBackFromGpu, initBackend, isGpuFailure } from '../compute/backend';
import { evaluateLoss } from '../compute/forward';
import { badInput } from '../errors';
import { checkDataMatchesModel } from '../load/dataLoader';
import { type CurvatureSums, computeCurvatureSums } from './curvatureSums';
import { releaseCurvatureSessions } from '../compute/onnx/curvatureKernel';
import { leasePointSessions } from '../compute/onnx/pointsKernel';
import { buildFlatnessSection } from './flatness';
import { buildVerdict } from './verdict';
import type { AnalysisSection, SectionSwitches } from './sections';
import { CURVATURE_SECTION } from '../curvature/section';
import { predictionSection } from '../predict/section';
import { TOOL_VERSION } from '../version';

/** The optional analyses, in the order they run. */
const OPTIONAL_SECTIONS: readonly AnalysisSection[] = [CURVATURE_SECTION, predictionSection];

export const DEFAULT_INTERPOLATION_TOLERANCE = 1e-4;

export interface AnalysisOptions {
  loss?: LossKind;
  backend?: BackendRequest;
  /** Largest mean squared residual (regression) or error rate (classification) that counts as interpolation. */
  interpolationTolerance?: number;
  chunkRows?: number;
  sections?: SectionSwitches;
  testData?: AnyDataset | null;
}

export interface LoadTimings {
  loadModelMs: number;
  loadDataMs: number;
}

function interpolationOf(sums: CurvatureSums, tolerance: number): ReportInterpolation {
  if (sums.meanSquaredError !== null) {
    const measured = sums.meanSquaredError;
    return {
      interpolates: measured <= tolerance,
      criterion: `mean squared residual per output ${measured.toExponential(2)} ${measured <= tolerance ? '<=' : '>'} tolerance ${tolerance.toExponential(1)}`,
      tolerance,
      measured,
    };
  }
  const errorRate = 1 - (sums.accuracy ?? 0);
  return {
    interpolates: errorRate <= tolerance,
    criterion: `training error rate ${(errorRate * 100).toFixed(2)}% ${errorRate <= tolerance ? '<=' : '>'} tolerance ${(tolerance * 100).toFixed(2)}% (cross-entropy never reaches zero residuals; interpolation means every training point classified correctly)`,
    tolerance,
    measured: errorRate,
  };
}

/**
 * Runs every analysis on a model and data already in memory and assembles the report. When the
 * GPU fails during the run (lost device, out of memory) the analysis runs again on wasm, and the
 * report says so.
 */
export async function analyzeLoaded(
  model: TwoLayerModel,
  data: AnyDataset,
  options: AnalysisOptions = {},
  context?: ComputeContext,
  loadTimings: LoadTimings = { loadModelMs: 0, loadDataMs: 0 },
): Promise<Report> {
  try {
    return await analyzeLoadedOnce(model, data, options, context, loadTimings);
  } catch (error) {
    if (!isGpuFailure(error)) throw error;
    const fallback = await fallBackFromGpu(error.message);
    const report = await analyzeLoadedOnce(model, data, { ...options, backend: fallback.name }, context, loadTimings);
    report.backend.requested = options.backend ?? 'auto';
    report.warnings.push(`The GPU failed during the analysis (${error.message}); the analysis ran again on the ${fallback.name} backend.`);
    return report;
  }
}

async function analyzeLoadedOnce(
  model: TwoLayerModel,
  data: AnyDataset,
  options: AnalysisOptions,
  context: ComputeContext | undefined,
  loadTimings: LoadTimings,
): Promise<Report> {
  const started = performance.now();
  checkDataMatchesModel(model, data);
  const loss: LossSpec = makeLossSpec(options.loss ?? 'mse', model.outputDim);
  const warnings: string[] = [];
  if (model.activationSource === 'assumed') {
    warnings.push(`The model file does not store its activation; ReLU was assumed. Pass --activation if the network used another one.`);
  }
  if (model.outputLink !== 'identity') {
    warnings.push(`The model ends in a ${model.outputLink}; the loss is applied to the network output before it (the logits).`);
  }
  const backendStarted = performance.now();
  context?.onProgress?.('backend', 0);
  const backend = await initBackend(options.backend ?? 'auto');
  context?.onProgress?.('backend', 1);
  const backendInitMs = performance.now() - backendStarted;
  throwIfCancelled(context);

  const flatnessStarted = performance.now();
  const chunkRows = options.chunkRows ?? defaultChunkRows(model);
  const sums = await computeCurvatureSums(model, data, loss, { chunkRows, withInvariantDiagonal: true }, context);
  await releaseCurvatureSessions(model);
  if (!Number.isFinite(sums.lossValue)) {
    throw badInput(model.source.path, 'the loss is not finite on this data (overflow in the network output?)');
  }
  const flatness = buildFlatnessSection(model, loss, sums);
  const flatnessMs = performance.now() - flatnessStarted;
  const tolerance = options.interpolationTolerance ?? (loss.kind === 'ce' ? 0 : DEFAULT_INTERPOLATION_TOLERANCE);
  const interpolation = interpolationOf(sums, tolerance);
  if (!interpolation.interpolates) {
    warnings.push(`The model does not interpolate its training data (${interpolation.criterion}): the lower bound and the ratio certify flatness among interpolators only.`);
  }
  if (!flatness.atMinimum) warnings.push('Some neurons have negative curvature along their rescaling orbit: the model is not at a minimum.');
  const deadNeurons = flatness.perNeuron.filter((row) => row.status === 'dead').length;
  if (deadNeurons > 0) warnings.push(`${deadNeurons} of ${model.hiddenDim} neurons are dead (never active on the training data).`);

  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'flatness-lens', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    model: describeModel(model),
    data: {
      path: data.source.path,
      format: data.source.format,
      n: data.n,
      d: data.d,
      targetDim: data.targetDim,
      inputName: data.source.inputName,
      targetName: data.source.targetName,
      notes: data.source.notes,
    },
    // The session threads start with the first pass that has several chunks: named only when they ran.
    backend: { ...backend, chunkRows, ...(sums.lanes !== null && sums.lanes > 1 ? { lanes: sums.lanes } : {}) },
    loss: {
      kind: loss.kind,
      convention: loss.convention,
      appliedTo: model.outputLink === 'identity' ? 'the network output f(x)' : `the network output f(x) before its ${model.outputLink} output link`,
      value: sums.lossValue,
      meanSquaredError: sums.meanSquaredError,
      accuracy: sums.accuracy,
    },
    interpolation,
    flatness,
    verdict: buildVerdict(flatness, interpolation, model.activation),
    timings: {
      loadModelMs: loadTimings.loadModelMs,
      loadDataMs: loadTimings.loadDataMs,
      backendInitMs,
      flatnessMs,
      totalMs: 0,
    },
    warnings,
  };

  if (options.testData) {
    checkDataMatchesModel(model, options.testData);
    const testStarted = performance.now();
    const measured = await evaluateLoss(model, options.testData, loss, context);
    report.test = { path: options.testData.source.path, n: options.testData.n, ...measured };
    report.timings.testLossMs = performance.now() - testStarted;
  }

  const switches = options.sections ?? {};
  const endPointSessionLease = leasePointSessions();
  try {
    for (const section of OPTIONAL_SECTIONS) {
      if (!section.enabled(switches)) continue;
      throwIfCancelled(context);
      const sectionStarted = performance.now();
      await section.run({ model, data, testData: options.testData ?? null, loss, sums, report, switches, context });
      report.timings[`${section.name}Ms`] = performance.now() - sectionStarted;
    }
  } finally {
    await endPointSessionLease();
  }
  report.timings.totalMs = performance.now() - started + loadTimings.loadModelMs + loadTimings.loadDataMs;
  return report;
}
