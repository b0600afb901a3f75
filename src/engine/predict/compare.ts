import type { CompareRequest } from '../../shared/analysisRequest';
import type { BackendRequest, ComparisonReport, ComparisonRow, LossKind } from '../../shared/report';
import { REPORT_SCHEMA_VERSION } from '../../shared/report';
import type { TwoLayerModel } from '../model/types';
import type { AnyDataset, Dataset } from '../data/types';
import { materialize, needsMemoryNote } from '../data/rows';
import { parseActivation } from '../math/activations';
import { makeLossSpec } from '../math/losses';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import { analyzeLoaded } from '../analysis/analyzeLoaded';
import { loadModel } from '../load/modelLoader';
import { openDataset } from '../load/dataLoader';
import { badInput } from '../errors';
import { TOOL_VERSION } from '../version';
import { withPlan } from '../compute/progressPlan';
import { comparisonStages } from '../analysis/progressStages';
import { kendallTauFinite } from './kendall';
import { calibrationReport } from './calibration';
import { topHessianEigenvalue } from './topEigenvalue';
import {
  DEFAULT_PREDICTION_BUDGET, type PredictionBudget, type PredictionSetup, architectureOf, predictModel,
  predictionUnavailableReason, preparePrediction,
} from './predictor';

export type { CompareRequest };

/** Measures ranked against the measured test loss (Kendall tau-b). */
export const COMPARED_MEASURES = ['trace', 'normalized', 'ratio', 'pathNorm', 'topEigenvalue', 'predictedTestLoss'] as const;

/** Loads the models and data, then compares them (one calibration and flattest search per architecture). */
export async function compareModels(request: CompareRequest, context?: ComputeContext, budget: PredictionBudget = DEFAULT_PREDICTION_BUDGET): Promise<ComparisonReport> {
  if (request.modelPaths.length === 0) throw badInput(undefined, 'compare needs at least one model');
  let activation;
  if (request.activation !== undefined) {
    activation = parseActivation(request.activation);
    if (activation === null) throw badInput(undefined, `unknown activation '${request.activation}'`);
  }
  const data = await inMemoryForCompare(await openDataset(request.dataPath));
  const testData = request.testDataPath ? await openDataset(request.testDataPath) : null;
  const models: TwoLayerModel[] = [];
  for (const path of request.modelPaths) {
    throwIfCancelled(context);
    models.push(await loadModel(path, { ...(activation ? { activation } : {}), expectedInputDim: data.d }));
  }
  // Progress as one monotone fraction of the whole comparison (compute/progressPlan.ts).
  const stages = comparisonStages(models.length, { n: data.n, m: models[0]?.hiddenDim ?? 1, d: data.d, testRows: testData?.n ?? 0 });
  return withPlan(stages, context, (planned) => compareLoaded(models, data, testData, request.loss ?? 'mse', planned, budget, request.backend ?? 'auto'));
}

/** The comparison trains reference networks on the data: it must fit in memory. */
async function inMemoryForCompare(data: AnyDataset): Promise<Dataset> {
  const inMemory = await materialize(data);
  if (inMemory === null) throw badInput(data.source.path, needsMemoryNote('compare', data).replace(/\.$/, ''));
  return inMemory;
}

/** The comparison on models and data already in memory. */
export async function compareLoaded(
  models: readonly TwoLayerModel[],
  data: Dataset,
  testData: AnyDataset | null,
  lossKind: LossKind,
  context?: ComputeContext,
  budget: PredictionBudget = DEFAULT_PREDICTION_BUDGET,
  backend: BackendRequest = 'auto',
): Promise<ComparisonReport> {
  const first = models[0];
  if (!first) throw badInput(undefined, 'compare needs at least one model');
  const loss = makeLossSpec(lossKind, first.outputDim);
  const notes: string[] = [];
  // Each model is predicted exactly as `analyze --predict` would: with the setup of its own
  // architecture (activation, biases). Models that differ only in width share one setup.
  const setups = new Map<string, Promise<PredictionSetup>>();
  const setupFor = (model: TwoLayerModel, tolerance: number): Promise<PredictionSetup> => {
    const architecture = architectureOf(model);
    const modelLoss = makeLossSpec(lossKind, model.outputDim);
    // The setup does not depend on the width (budget.referenceWidth), so the key leaves it out.
    const key = JSON.stringify([{ ...architecture, width: 0 }, tolerance, model.outputDim]);
    let setup = setups.get(key);
    if (!setup) {
      setup = preparePrediction(data, modelLoss, architecture, tolerance, budget, context);
      setups.set(key, setup);
    }
    return setup;
  };
  notes.push('Top eigenvalue: largest Hessian eigenvalue of the training loss (Lanczos, exact Hessian-vector products).');

  const rows: ComparisonRow[] = [];
  for (const model of models) {
    throwIfCancelled(context);
    const report = await analyzeLoaded(model, data, { loss: lossKind, backend, testData }, context);
    const testLoss = report.test?.loss ?? null;
    const unavailable = predictionUnavailableReason(makeLossSpec(lossKind, model.outputDim), model.activation, model.outputDim);
    const predicted = unavailable === null
      ? (await predictModel(await setupFor(model, report.interpolation.tolerance), model, report.flatness, report.interpolation, testLoss, context)).prediction
      : null;
    if (unavailable !== null) notes.push(`No prediction for ${model.source.path}: ${unavailable}.`);
    rows.push({
      path: model.source.path,
      hiddenDim: model.hiddenDim,
      interpolates: report.interpolation.interpolates,
      trace: report.flatness.trace,
      normalized: report.flatness.normalized.value,
      ratio: report.flatness.ratio.value,
      pathNorm: report.flatness.pathNorm.value,
      topEigenvalue: await topHessianEigenvalue(model, data, loss, context),
      predictedTestLoss: predicted?.testLoss ?? null,
      disagreement: predicted?.disagreement ?? null,
      interval: predicted?.interval ?? null,
      verdict: predicted?.available ? predicted.verdict : report.verdict,
      testLoss,
      rank: 0,
      warnings: report.warnings,
    });
  }
  // Best first: predicted test loss, ties broken by the ratio; models without a prediction last.
  const key = (row: ComparisonRow) => [row.predictedTestLoss ?? Infinity, row.ratio ?? Infinity] as const;
  rows.sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
  rows.forEach((row, i) => { row.rank = i + 1; });

  let kendallTau: Record<string, number | null> | null = null;
  if (testData) {
    const measured = rows.map((r) => r.testLoss);
    kendallTau = Object.fromEntries(COMPARED_MEASURES.map((measure) => [measure, kendallTauFinite(rows.map((r) => r[measure]), measured, 1e-6)]));
    if (rows.length < 3) notes.push('Kendall tau with fewer than 3 models says little.');
  }
  // The report-level calibration and bound are those of the first model's setup (one per architecture).
  const firstSetup = setups.size ? await setups.values().next().value! : null;
  if (setups.size > 1) notes.push(`${setups.size} calibrations, one per distinct activation and biases; the calibration shown is the first model's.`);
  const calibration = firstSetup ? calibrationReport(firstSetup.calibration, firstSetup.budget.splits, firstSetup.budget.trainFraction) : null;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'flatness-lens', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    data: { path: data.source.path, n: data.n, d: data.d },
    test: testData ? { path: testData.source.path, n: testData.n } : null,
    loss: { kind: loss.kind, convention: loss.convention },
    lowerBound: firstSetup?.flattest.lowerBound ?? null,
    models: rows,
    calibration,
    flattestNormalized: firstSetup?.flattest.normalized ?? null,
    kendallTau,
    notes,
  };
}
