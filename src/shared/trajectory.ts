/**
 * Flatness over training: one point per checkpoint of a run, read off that checkpoint's full
 * analysis report. Shared by the engine (CLI `trajectory`), the extension's training watcher
 * and the trajectory webview, so every view shows the same figures as `analyze`.
 */
import type { MultiModelHeader, Report, ReportVerdict } from './report';

export const TRAJECTORY_SCHEMA_VERSION = '1.0.0';

/** Where a checkpoint's step came from: the checkpoint dict, its file name, or nowhere. */
export type StepSource = 'checkpoint' | 'file-name' | null;

export interface TrajectoryPoint {
  path: string;
  /** The step (or epoch, see stepKind) of the checkpoint, null when neither the file nor its name has one. */
  step: number | null;
  stepKind: 'step' | 'epoch' | null;
  stepSource: StepSource;
  /** ISO time of the file's last modification. */
  modifiedAt: string;
  format: string;
  hiddenDim: number;
  trainingLoss: number;
  interpolates: boolean;
  rawTrace: number;
  /** F_sym; null where the theory does not define it (reason in warnings). */
  normalizedFlatness: number | null;
  lowerBound: number | null;
  ratio: number | null;
  pathNorm: number | null;
  /** Largest Hessian eigenvalue, when asked for. */
  topEigenvalue?: number | null;
  /** Loss on the test data, when given. */
  testLoss?: number | null;
  /** Calibrated predicted test loss, when asked for (null when the prediction is unavailable). */
  predictedTestLoss?: number | null;
  verdict: ReportVerdict;
  warnings: string[];
  /** Time spent on this checkpoint (load and analysis). */
  analysisMs: number;
}

export interface TrajectoryFailure {
  path: string;
  message: string;
}

export interface TrajectoryReport extends MultiModelHeader {
  backend: string;
  /** How the checkpoints were ordered. */
  order: 'step' | 'file-name' | 'modification-time' | 'as-given';
  points: TrajectoryPoint[];
  /** Checkpoints that could not be analyzed (only when the run was asked to skip them). */
  failures: TrajectoryFailure[];
  timings: { loadDataMs: number; backendInitMs: number; checkpointsMs: number; totalMs: number };
  notes: string[];
}

export interface CheckpointStep {
  step: number | null;
  stepKind: 'step' | 'epoch' | null;
  stepSource: StepSource;
}

const numberOrNull = (value: number | null | undefined): number | null => (value === undefined ? null : value);

/**
 * The point of one checkpoint from its analysis report. The step stored in the checkpoint
 * (report.model.checkpoint) wins over the one read from the file name.
 */
export function trajectoryPointFromReport(report: Report, fileStep: CheckpointStep, modifiedAt: string): TrajectoryPoint {
  const stored = report.model.checkpoint;
  const step: CheckpointStep = stored?.step !== undefined
    ? { step: stored.step, stepKind: 'step', stepSource: 'checkpoint' }
    : stored?.epoch !== undefined
      ? { step: stored.epoch, stepKind: 'epoch', stepSource: 'checkpoint' }
      : fileStep;
  const point: TrajectoryPoint = {
    path: report.model.path,
    ...step,
    modifiedAt,
    format: report.model.format,
    hiddenDim: report.model.hiddenDim,
    trainingLoss: report.loss.value,
    interpolates: report.interpolation.interpolates,
    rawTrace: report.flatness.trace,
    normalizedFlatness: report.flatness.normalized.value,
    lowerBound: report.flatness.lowerBound.value,
    ratio: report.flatness.ratio.value,
    pathNorm: report.flatness.pathNorm.value,
    verdict: report.prediction?.available ? report.prediction.verdict : report.verdict,
    warnings: report.warnings,
    analysisMs: report.timings.totalMs,
  };
  if (report.test) point.testLoss = report.test.loss;
  if (report.prediction) point.predictedTestLoss = numberOrNull(report.prediction.testLoss);
  return point;
}

/** Points in training order: by step when every point has one, else in the given order (stable). */
export function orderPoints(points: readonly TrajectoryPoint[]): TrajectoryPoint[] {
  if (points.length > 0 && points.every((p) => p.step !== null)) {
    return points.map((p, i) => ({ p, i })).sort((a, b) => a.p.step! - b.p.step! || a.i - b.i).map(({ p }) => p);
  }
  return [...points];
}

/** What the extension's trajectory panel shows of a watched training folder. */
export interface TrajectoryRunView {
  folderUri: string;
  folderLabel: string;
  dataLabel: string;
  /** False once the user stopped watching (the chart stays, frozen). */
  watching: boolean;
  /** Analyzed checkpoints in training order. */
  points: TrajectoryPoint[];
  /** The URI of each point's file (same order), for opening it. */
  uris: string[];
  /** Checkpoint file names waiting for analysis or being analyzed. */
  pending: string[];
  failures: TrajectoryFailure[];
}

export function isTrajectoryRunView(value: unknown): value is TrajectoryRunView {
  if (typeof value !== 'object' || value === null) return false;
  const run = value as Record<string, unknown>;
  return typeof run.folderUri === 'string' && typeof run.folderLabel === 'string' && typeof run.dataLabel === 'string'
    && typeof run.watching === 'boolean' && Array.isArray(run.points) && Array.isArray(run.uris) && Array.isArray(run.pending) && Array.isArray(run.failures)
    && run.points.every((p) => typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>).path === 'string'
      && typeof (p as Record<string, unknown>).rawTrace === 'number');
}
