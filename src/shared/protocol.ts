/**
 * The one message protocol of the extension: host <-> worker process and host <-> webview.
 * Every message is a discriminated union on `type`; the guards below validate what arrives
 * over an untyped channel (IPC, postMessage) before anything acts on it.
 */
import type { AnalyzeRequest, CompareRequest } from './analysisRequest';
import type { ComparisonReport, Report, ReportModel } from './report';
import type { ModelStatistics } from './modelStatistics';
import { type TrajectoryRunView, isTrajectoryRunView } from './trajectory';

/* ------------------------------------------------------------------ shared pieces */

import type { ErrorCode } from './errorCodes';

export type { ErrorCode };

/** An error as it crosses a process or webview boundary. */
export interface WireError {
  code: ErrorCode;
  message: string;
  file?: string;
  /** Last lines of the worker's output, when the worker died. */
  log?: string;
}

/** What the host asks the engine to analyze. */
export type AnalysisRequest = AnalyzeRequest;

/** Several models of one data set, one shared calibration. */
export type ComparisonRequest = CompareRequest;

/** What the custom editor shows about a model file without analyzing it: the report's model section and tensor statistics. */
export type ModelSummary = ReportModel & { statistics?: ModelStatistics };

/* ------------------------------------------------------------------ host -> worker */

export type HostToWorker =
  | { type: 'analyze'; id: number; request: AnalysisRequest }
  | { type: 'describe'; id: number; modelPath: string }
  | { type: 'compare'; id: number; request: ComparisonRequest }
  | { type: 'cancel'; id: number }
  | { type: 'shutdown' };

/* ------------------------------------------------------------------ worker -> host */

export type WorkerToHost =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; id: number; stage: string; fraction: number }
  | { type: 'result'; id: number; report: Report }
  | { type: 'described'; id: number; summary: ModelSummary }
  | { type: 'compared'; id: number; comparison: ComparisonReport }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

/* ------------------------------------------------------------------ host -> webview */

/** Where the report came from and what the user can change about it. */
export interface ReportContext {
  modelUri: string;
  modelLabel: string;
  dataLabel: string;
  /** How the training data was chosen: quick pick, sidecar file, example. */
  dataSource: 'picked' | 'sidecar' | 'example' | 'request';
}

/** The data a model is associated with, as the model view names it. */
export interface AssociatedData {
  trainingLabel: string;
  testLabel: string | null;
  source: ReportContext['dataSource'];
}

/** A compared model: the local path the engine reports it under, and how the user knows it. */
export interface RankedModel {
  path: string;
  modelUri: string;
  modelLabel: string;
}

/**
 * A re-run over a finished result: while it runs the result stays visible under a progress
 * strip; a cancelled re-run leaves it with a notice, a failed one shows its error above it.
 */
export type RerunStatus =
  | { status: 'running'; message: string }
  | { status: 'cancelled'; message: string }
  | { status: 'failed'; error: WireError };

/** Everything one report panel shows; also what it persists for a window reload. */
export type ViewState =
  | { kind: 'report'; report: Report; context: ReportContext; rerun?: RerunStatus }
  | { kind: 'comparison'; reports: { report: Report; context: ReportContext }[]; rerun?: RerunStatus }
  /** Compare Models: the engine's ranking by predicted test loss (one shared calibration). */
  | { kind: 'ranking'; comparison: ComparisonReport; models: RankedModel[]; dataLabel: string; rerun?: RerunStatus }
  | { kind: 'error'; error: WireError; context: ReportContext | null }
  | { kind: 'progress'; message: string; context: ReportContext | null }
  | { kind: 'summary'; summary: ModelSummary | null; error: WireError | null; modelUri: string; data?: AssociatedData | null }
  /** A watched training folder: one point per analyzed checkpoint (Track Training Folder). */
  | { kind: 'trajectory'; run: TrajectoryRunView };

/** A view state that holds a finished result (what a re-run keeps on screen). */
export type FinishedViewState = Extract<ViewState, { kind: 'report' | 'comparison' | 'ranking' }>;

export function isFinished(state: ViewState): state is FinishedViewState {
  return state.kind === 'report' || state.kind === 'comparison' || state.kind === 'ranking';
}

/**
 * What the webview saves with setState and the panel serializer reads back after a window
 * reload: one shape for both sides. A running re-run is not saved (it does not survive the reload).
 */
export interface PersistedViewState {
  version: 1;
  state: ViewState;
}

export function persistedViewState(state: ViewState): PersistedViewState {
  if (isFinished(state) && state.rerun?.status === 'running') {
    const { rerun: _running, ...rest } = state;
    return { version: 1, state: rest as ViewState };
  }
  return { version: 1, state };
}

export type HostToWebview =
  | { type: 'show'; state: ViewState }
  | { type: 'progress'; stage: string; fraction: number }
  | { type: 'captureCharts'; requestId: number };

/* ------------------------------------------------------------------ webview -> host */

export type ExportFormat = 'json' | 'html' | 'markdown' | 'csv' | 'png';

export interface ChartImage {
  name: string;
  /** data:image/png;base64,... */
  dataUrl: string;
}

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'analyze'; modelUri: string }
  /** Re-run the analysis with the generalization prediction. */
  | { type: 'predict'; modelUri: string }
  | { type: 'changeTrainingData'; modelUri: string }
  | { type: 'export'; format: ExportFormat }
  | { type: 'cancel' }
  | { type: 'chartImages'; requestId: number; images: ChartImage[] }
  | { type: 'openFile'; uri: string }
  /** Open the latest report of a model (a name clicked in a comparison), analyzing it if there is none. */
  | { type: 'openReport'; modelUri: string }
  /** Save report.flattest.network of the panel's report (of this model, in a comparison) as safetensors. */
  | { type: 'saveFlattest'; modelUri: string }
  /** The user closed the cancelled/failed re-run notice above a result. */
  | { type: 'dismissRerun' };

/* ------------------------------------------------------------------ guards */

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isString = (value: unknown): value is string => typeof value === 'string';

export function isWireError(value: unknown): value is WireError {
  return isRecord(value) && isString(value.code) && isString(value.message);
}

export function isHostToWorker(value: unknown): value is HostToWorker {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'analyze':
      return isNumber(value.id) && isRecord(value.request) && isString(value.request.modelPath) && isString(value.request.dataPath);
    case 'describe':
      return isNumber(value.id) && isString(value.modelPath);
    case 'compare':
      return isNumber(value.id) && isRecord(value.request) && Array.isArray(value.request.modelPaths)
        && value.request.modelPaths.length > 0 && value.request.modelPaths.every(isString) && isString(value.request.dataPath);
    case 'cancel':
      return isNumber(value.id);
    case 'shutdown':
      return true;
    default:
      return false;
  }
}

export function isWorkerToHost(value: unknown): value is WorkerToHost {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
      return isNumber(value.pid);
    case 'progress':
      return isNumber(value.id) && isString(value.stage) && isNumber(value.fraction);
    case 'result':
      return isNumber(value.id) && isRecord(value.report);
    case 'described':
      return isNumber(value.id) && isRecord(value.summary);
    case 'compared':
      return isNumber(value.id) && isRecord(value.comparison) && Array.isArray(value.comparison.models);
    case 'failed':
      return isNumber(value.id) && isWireError(value.error);
    case 'log':
      return isString(value.message) && (value.level === 'info' || value.level === 'warn' || value.level === 'error');
    default:
      return false;
  }
}

const EXPORT_FORMATS: readonly ExportFormat[] = ['json', 'html', 'markdown', 'csv', 'png'];

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'ready':
    case 'cancel':
    case 'dismissRerun':
      return true;
    case 'analyze':
    case 'predict':
    case 'saveFlattest':
    case 'openReport':
    case 'changeTrainingData':
      return isString(value.modelUri);
    case 'export':
      return EXPORT_FORMATS.includes(value.format as ExportFormat);
    case 'chartImages':
      return isNumber(value.requestId) && Array.isArray(value.images)
        && value.images.every((image) => isRecord(image) && isString(image.name) && isString(image.dataUrl) && image.dataUrl.startsWith('data:image/png;base64,'));
    case 'openFile':
      return isString(value.uri);
    default:
      return false;
  }
}

function isContext(value: unknown): value is ReportContext {
  return isRecord(value) && isString(value.modelUri) && isString(value.modelLabel) && isString(value.dataLabel) && isString(value.dataSource);
}

function isReportLike(value: unknown): value is Report {
  return isRecord(value) && isRecord(value.verdict) && isString(value.verdict.headline) && isRecord(value.flatness) && isRecord(value.model);
}

function isRerun(value: unknown): value is RerunStatus | undefined {
  if (value === undefined) return true;
  if (!isRecord(value)) return false;
  return value.status === 'failed' ? isWireError(value.error) : (value.status === 'running' || value.status === 'cancelled') && isString(value.message);
}

/** A view state as it comes back from an untyped channel (webview state, postMessage). */
export function isViewState(value: unknown): value is ViewState {
  if (!isRecord(value)) return false;
  switch (value.kind) {
    case 'report':
      return isReportLike(value.report) && isContext(value.context) && isRerun(value.rerun);
    case 'comparison':
      return Array.isArray(value.reports) && value.reports.length > 0
        && value.reports.every((entry) => isRecord(entry) && isReportLike(entry.report) && isContext(entry.context)) && isRerun(value.rerun);
    case 'ranking':
      return isRecord(value.comparison) && Array.isArray(value.comparison.models) && Array.isArray(value.models)
        && value.models.every((m) => isRecord(m) && isString(m.path) && isString(m.modelUri) && isString(m.modelLabel)) && isString(value.dataLabel) && isRerun(value.rerun);
    case 'error':
      return isWireError(value.error) && (value.context === null || isContext(value.context));
    case 'progress':
      return isString(value.message) && (value.context === null || isContext(value.context));
    case 'summary':
      return isString(value.modelUri) && (value.summary === null || isRecord(value.summary)) && (value.error === null || isWireError(value.error));
    case 'trajectory':
      return isTrajectoryRunView(value.run);
    default:
      return false;
  }
}

export function isPersistedViewState(value: unknown): value is PersistedViewState {
  return isRecord(value) && value.version === 1 && isViewState(value.state);
}

export function isHostToWebview(value: unknown): value is HostToWebview {
  if (!isRecord(value)) return false;
  switch (value.type) {
    case 'show':
      return isRecord(value.state) && isString(value.state.kind);
    case 'progress':
      return isString(value.stage) && isNumber(value.fraction);
    case 'captureCharts':
      return isNumber(value.requestId);
    default:
      return false;
  }
}
