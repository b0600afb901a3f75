import {
  TRAJECTORY_SCHEMA_VERSION, type TrajectoryFailure, type TrajectoryPoint, type TrajectoryReport, orderPoints,
} from '../../shared/trajectory';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import { isFlatnessLensError } from '../errors';
import { makeLossSpec } from '../math/losses';
import { TOOL_VERSION } from '../version';
import { listCheckpoints, orderCheckpoints } from './checkpointFiles';
import { type TrajectoryOptions, TrajectorySession } from './session';

export interface TrajectoryRequest extends TrajectoryOptions {
  /** Checkpoint files and folders of checkpoints. */
  checkpoints: string[];
  /** Record unreadable checkpoints as failures instead of stopping at the first. */
  skipFailures?: boolean;
}

export interface TrajectoryProgress {
  /** Called after each checkpoint with the points so far (in analysis order). */
  onPoint?: (point: TrajectoryPoint, index: number, total: number) => void;
}

/** Analyzes every checkpoint of a run with the work shared across them (see TrajectorySession). */
export async function analyzeTrajectory(
  request: TrajectoryRequest,
  context?: ComputeContext & TrajectoryProgress,
): Promise<TrajectoryReport> {
  const started = performance.now();
  const exclude = [request.dataPath, request.testDataPath, request.targetsPath].filter((p): p is string => p !== undefined);
  const { files, order } = orderCheckpoints(listCheckpoints(request.checkpoints, exclude));
  const session = await TrajectorySession.open(request, context);
  const points: TrajectoryPoint[] = [];
  const failures: TrajectoryFailure[] = [];
  const checkpointsStarted = performance.now();
  const inner: ComputeContext = {
    ...(context?.signal ? { signal: context.signal } : {}),
    ...(context?.onProgress ? {
      onProgress: (stage: string, fraction: number) => context.onProgress!(`${points.length + failures.length + 1}/${files.length} ${stage}`, fraction),
    } : {}),
  };
  for (const [index, file] of files.entries()) {
    throwIfCancelled(context);
    try {
      const { point } = await session.analyze(file.path, inner, file.fileStep);
      points.push(point);
      context?.onPoint?.(point, index, files.length);
    } catch (error) {
      if (!request.skipFailures || !isFlatnessLensError(error) || error.code === 'cancelled' || error.code === 'internal') throw error;
      failures.push({ path: file.path, message: error.message });
    }
  }
  const checkpointsMs = performance.now() - checkpointsStarted;
  const ordered = orderPoints(points);
  const byStoredStep = ordered.some((point, i) => point !== points[i]) || (points.length > 0 && points.every((p) => p.stepSource === 'checkpoint'));
  const loss = makeLossSpec(request.loss ?? 'mse', 1);
  const notes: string[] = [];
  if (order === 'modification-time') notes.push('Not every file name states a step or epoch: checkpoints are ordered by modification time.');
  if (points.some((p) => p.stepKind === 'epoch') && points.some((p) => p.stepKind === 'step')) {
    notes.push('Some checkpoints state an epoch and others a step: the step axis mixes the two.');
  }
  const bounds = new Set(points.map((p) => p.lowerBound).filter((b): b is number => b !== null));
  if (bounds.size > 1) notes.push('The certified bound differs between checkpoints (different architectures or activations in one run).');
  return {
    schemaVersion: TRAJECTORY_SCHEMA_VERSION,
    tool: { name: 'flatness-lens', version: TOOL_VERSION },
    createdAt: new Date().toISOString(),
    data: { path: session.data.source.path, n: session.data.n, d: session.data.d },
    test: session.testData ? { path: session.testData.source.path, n: session.testData.n } : null,
    loss: { kind: loss.kind, convention: loss.convention },
    backend: session.backendName,
    order: byStoredStep ? 'step' : order,
    points: ordered,
    failures,
    timings: { ...session.timings, checkpointsMs, totalMs: performance.now() - started },
    notes,
  };
}
