import * as fs from 'node:fs';
import type { Report } from '../../shared/report';
import { type CheckpointStep, type TrajectoryPoint, trajectoryPointFromReport } from '../../shared/trajectory';
import type { AnyDataset, Dataset } from '../data/types';
import { materialize, needsMemoryNote } from '../data/rows';
import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import { initBackend } from '../compute/backend';
import { makeLossSpec } from '../math/losses';
import { loadModel } from '../load/modelLoader';
import { analyzeLoaded } from '../analysis/analyzeLoaded';
import { loadTestData, loadTrainingData, parseActivationOption } from '../analyze';
import type { AnalyzeRequest } from '../../shared/analysisRequest';
import { topHessianEigenvalue } from '../predict/topEigenvalue';
import {
  DEFAULT_PREDICTION_BUDGET, type PredictionBudget, type PredictionSetup, architectureOf, predictModel,
  predictionUnavailableReason, preparePrediction, unavailablePrediction,
} from '../predict/predictor';
import { stepFromFileName } from './checkpointFiles';
import { badInput } from '../errors';

/** What `analyze` takes, less the model and the sections, plus the run's own options. */
export interface TrajectoryOptions extends Omit<AnalyzeRequest, 'modelPath' | 'sections'> {
  /** Largest Hessian eigenvalue per checkpoint (Lanczos). */
  topEigenvalue?: boolean;
  /** Calibrated predicted test loss per checkpoint (one calibration for the run). */
  predict?: boolean;
  predictionBudget?: PredictionBudget;
}

export interface SessionTimings {
  loadDataMs: number;
  backendInitMs: number;
}

/**
 * The work a run's checkpoints share: the training and test data are loaded once, the compute
 * backend initialized once, and the prediction's calibration (the expensive part of --predict)
 * built once per architecture. Each checkpoint then costs one core analysis: exactly what
 * `analyze` runs on it (analyzeLoaded with the same options), so the figures are the same.
 */
export class TrajectorySession {
  private readonly predictionSetups = new Map<string, Promise<PredictionSetup>>();
  /** The training data in memory for the prediction (null when streamed and over the budget). */
  private inMemory: Promise<Dataset | null> | null = null;

  private constructor(
    readonly options: TrajectoryOptions,
    readonly data: AnyDataset,
    readonly testData: AnyDataset | null,
    private readonly activation: ActivationSpec | undefined,
    readonly timings: SessionTimings,
    readonly backendName: string,
  ) {}

  static async open(options: TrajectoryOptions, context?: ComputeContext): Promise<TrajectorySession> {
    const activation = parseActivationOption(options.activation);
    const started = performance.now();
    const data = await loadTrainingData(options);
    const testData = await loadTestData(options);
    const loadDataMs = performance.now() - started;
    throwIfCancelled(context);
    const backendStarted = performance.now();
    const backend = await initBackend(options.backend ?? 'auto');
    const backendInitMs = performance.now() - backendStarted;
    return new TrajectorySession(options, data, testData, activation, { loadDataMs, backendInitMs }, backend.name);
  }

  /** Loads and analyzes one checkpoint; the step comes from the file when stored, else its name. */
  async analyze(path: string, context?: ComputeContext, fileStep: CheckpointStep = stepFromFileName(path)): Promise<{ point: TrajectoryPoint; report: Report }> {
    throwIfCancelled(context);
    const started = performance.now();
    let modifiedAt: string;
    try {
      modifiedAt = fs.statSync(path).mtime.toISOString();
    } catch {
      throw badInput(path, 'no such file (was the checkpoint removed?)');
    }
    const model = await loadModel(path, {
      ...(this.activation ? { activation: this.activation } : {}),
      expectedInputDim: this.data.d,
      maxFileBytes: this.options.maxFileBytes,
    });
    const loadModelMs = performance.now() - started;
    const report = await analyzeLoaded(model, this.data, {
      loss: this.options.loss,
      backend: this.options.backend,
      interpolationTolerance: this.options.interpolationTolerance,
      chunkRows: this.options.chunkRows,
      testData: this.testData,
    }, context, { loadModelMs, loadDataMs: 0 });
    if (this.options.predict) await this.addPrediction(model, report, context);
    const point = trajectoryPointFromReport(report, fileStep, modifiedAt);
    if (this.options.topEigenvalue) {
      throwIfCancelled(context);
      point.topEigenvalue = await topHessianEigenvalue(model, this.data, makeLossSpec(this.options.loss ?? 'mse', model.outputDim), context);
    }
    point.analysisMs = performance.now() - started;
    return { point, report };
  }

  private async addPrediction(model: TwoLayerModel, report: Report, context?: ComputeContext): Promise<void> {
    const loss = makeLossSpec(this.options.loss ?? 'mse', model.outputDim);
    const measured = report.test?.loss ?? null;
    const reason = predictionUnavailableReason(loss, model.activation, model.outputDim);
    if (reason !== null) {
      Object.assign(report, unavailablePrediction(reason, measured));
      return;
    }
    const architecture = architectureOf(model);
    const key = JSON.stringify([architecture, report.interpolation.tolerance]);
    this.inMemory ??= materialize(this.data);
    const inMemory = await this.inMemory;
    if (inMemory === null) {
      Object.assign(report, unavailablePrediction(needsMemoryNote('The prediction', this.data), measured));
      return;
    }
    let setup = this.predictionSetups.get(key);
    if (setup === undefined) {
      setup = preparePrediction(inMemory, loss, architecture, report.interpolation.tolerance,
        this.options.predictionBudget ?? DEFAULT_PREDICTION_BUDGET, context);
      this.predictionSetups.set(key, setup);
      setup.catch(() => this.predictionSetups.delete(key));
    }
    const result = await predictModel(await setup, model, report.flatness, report.interpolation, measured, context);
    report.prediction = result.prediction;
    report.flattest = result.flattest;
  }
}
