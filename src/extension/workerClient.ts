/**
 * The extension host's side of the background process: forks dist/worker.js lazily, sends it
 * typed requests, routes answers back, cancels, and notices when it dies. After a crash (or a
 * kill to stop a cancelled request or a request past its time limit) the next request starts a
 * fresh worker. No vscode import.
 */
import type { ComparisonReport, Report } from '../shared/report';
import type { AnalysisRequest, ComparisonRequest, HostToWorker, ModelSummary, WireError, WorkerToHost } from '../shared/protocol';
import { isWorkerToHost } from '../shared/protocol';

/** The part of a ChildProcess the client uses (a fake in tests). */
export interface WorkerProcessHandle {
  readonly pid?: number | undefined;
  send(message: HostToWorker): boolean;
  kill(signal?: NodeJS.Signals): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly stdout?: NodeJS.ReadableStream | null;
  readonly stderr?: NodeJS.ReadableStream | null;
}

export interface WorkerLaunchOptions {
  memoryLimitMb: number;
}

export type ForkWorker = (options: WorkerLaunchOptions) => WorkerProcessHandle;

export class WorkerError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.name = 'WorkerError';
  }
}

export interface RequestCallbacks {
  onProgress?: (stage: string, fraction: number) => void;
}

interface Pending {
  kind: RequestKind;
  /** The file(s) the request reads, for naming them when it hangs. */
  file: string;
  resolve(value: unknown): void;
  reject(error: WorkerError): void;
  onProgress?: (stage: string, fraction: number) => void;
  cancelRequested: boolean;
  /** Set when the request ran past its time limit and the worker was killed for it. */
  timedOutAfterMs?: number;
  timer?: ReturnType<typeof setTimeout>;
}

export type RequestKind = 'analyze' | 'describe' | 'compare';

/** How long a cancelled request may take to stop before the worker is killed. */
export const CANCEL_GRACE_MS = 700;

/**
 * Time limits per request kind, after which the worker is killed and restarted and the request
 * fails naming its file. Describing a model only reads it: a file that takes longer is hung (a
 * corrupt HDF5 file can make the parser loop), and a hung worker would block every later request.
 * Analyses have no limit: they can take minutes on large data and the user can cancel them.
 */
export const DEFAULT_REQUEST_TIMEOUTS_MS: Readonly<Partial<Record<RequestKind, number>>> = { describe: 60_000 };
const LOG_LINES_KEPT = 200;

export class WorkerClient {
  private child: WorkerProcessHandle | null = null;
  private childLimitMb = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly logLines: string[] = [];
  private killedOnPurpose = false;
  /** The current worker has said 'ready': request time limits run from then. */
  private childReady = false;
  private disposed = false;
  /** How many workers this client has started (for the status and tests). */
  starts = 0;

  constructor(
    private readonly fork: ForkWorker,
    private readonly options: () => WorkerLaunchOptions,
    /** Each line of the worker's output and of the client's events; worker log messages carry their level. */
    private readonly log: (line: string, level?: 'info' | 'warn' | 'error') => void = () => undefined,
    private readonly cancelGraceMs = CANCEL_GRACE_MS,
    private readonly timeoutsMs: Readonly<Partial<Record<RequestKind, number>>> = DEFAULT_REQUEST_TIMEOUTS_MS,
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** The last lines the worker wrote (stdout, stderr and log messages). */
  recentLog(): string {
    return this.logLines.join('\n');
  }

  analyze(request: AnalysisRequest, callbacks: RequestCallbacks = {}): { id: number; result: Promise<Report> } {
    const id = this.nextId++;
    const result = this.request<Report>(id, 'analyze', request.modelPath, { type: 'analyze', id, request }, callbacks);
    return { id, result };
  }

  /** Several models on one data set with one shared calibration (slow: it trains ~20 networks). */
  compare(request: ComparisonRequest, callbacks: RequestCallbacks = {}): { id: number; result: Promise<ComparisonReport> } {
    const id = this.nextId++;
    const result = this.request<ComparisonReport>(id, 'compare', request.modelPaths.join(', '), { type: 'compare', id, request }, callbacks);
    return { id, result };
  }

  describe(modelPath: string): Promise<ModelSummary> {
    const id = this.nextId++;
    return this.request<ModelSummary>(id, 'describe', modelPath, { type: 'describe', id, modelPath }, {});
  }

  /** Asks the worker to stop a request; kills the worker if it has not stopped in time. */
  cancel(id: number): void {
    const pending = this.pending.get(id);
    if (!pending || pending.cancelRequested) return;
    pending.cancelRequested = true;
    const child = this.child;
    child?.send({ type: 'cancel', id });
    const timer = setTimeout(() => {
      if (this.pending.has(id) && this.child === child && child !== null) {
        this.record(`[host] request ${id} did not stop within ${this.cancelGraceMs} ms of Cancel: restarting the worker`);
        this.killedOnPurpose = true;
        child.kill('SIGKILL');
      }
    }, this.cancelGraceMs);
    timer.unref?.();
  }

  cancelAll(): void {
    for (const id of [...this.pending.keys()]) this.cancel(id);
  }

  dispose(): void {
    this.disposed = true;
    const child = this.child;
    if (child) {
      this.killedOnPurpose = true;
      try {
        child.send({ type: 'shutdown' });
      } catch {
        // already gone
      }
      child.kill();
    }
    this.child = null;
    this.failAll({ code: 'cancelled', message: 'the extension is shutting down' });
  }

  private request<T>(id: number, kind: RequestKind, file: string, message: HostToWorker, callbacks: RequestCallbacks): Promise<T> {
    if (this.disposed) return Promise.reject(new WorkerError({ code: 'internal', message: 'the analysis worker has been disposed' }));
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        kind, file, cancelRequested: false, ...(callbacks.onProgress ? { onProgress: callbacks.onProgress } : {}),
        resolve: (value) => {
          clearTimeout(pending.timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(pending.timer);
          reject(error);
        },
      };
      this.pending.set(id, pending);
      try {
        const child = this.ensureWorker();
        this.startTimer(id, pending, child);
        if (!child.send(message)) this.record(`[host] the worker's channel is congested (request ${id} queued)`);
      } catch (error) {
        this.pending.delete(id);
        clearTimeout(pending.timer);
        reject(new WorkerError({ code: 'worker-crashed', message: `could not start the analysis worker: ${error instanceof Error ? error.message : String(error)}`, log: this.recentLog() }));
      }
    });
  }

  /**
   * Kills and (on the next request) restarts the worker when a request runs past its kind's
   * limit, counted from when the worker is ready (its start-up is not the request's time).
   */
  private startTimer(id: number, pending: Pending, child: WorkerProcessHandle): void {
    const limit = this.timeoutsMs[pending.kind];
    if (limit === undefined || pending.timer !== undefined || !this.childReady) return;
    pending.timer = setTimeout(() => {
      if (this.pending.get(id) !== pending || this.child !== child) return;
      this.record(`[host] ${pending.kind} of ${pending.file} did not finish within ${formatSeconds(limit)}: restarting the analysis worker`, 'warn');
      pending.timedOutAfterMs = limit;
      this.killedOnPurpose = true;
      child.kill('SIGKILL');
    }, limit);
    pending.timer.unref?.();
  }

  private ensureWorker(): WorkerProcessHandle {
    const wanted = this.options();
    if (this.child !== null && this.childLimitMb !== wanted.memoryLimitMb && this.pending.size <= 1) {
      this.record(`[host] memory limit changed to ${wanted.memoryLimitMb} MB: restarting the worker`);
      this.killedOnPurpose = true;
      this.child.kill();
      this.child = null;
    }
    if (this.child !== null) return this.child;
    this.killedOnPurpose = false;
    this.childReady = false;
    const child = this.fork(wanted);
    this.child = child;
    this.childLimitMb = wanted.memoryLimitMb;
    this.starts++;
    this.record(`[host] started analysis worker ${this.starts} (pid ${child.pid ?? '?'}, --max-old-space-size=${wanted.memoryLimitMb})`);
    child.on('message', (message) => this.onMessage(child, message));
    child.on('error', (error) => this.record(`[worker] process error: ${error.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    this.pipe(child.stdout, 'stdout');
    this.pipe(child.stderr, 'stderr');
    return child;
  }

  private pipe(stream: NodeJS.ReadableStream | null | undefined, label: string): void {
    if (!stream) return;
    let partial = '';
    stream.on('data', (chunk: Buffer | string) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.record(`[worker ${label}] ${line}`);
    });
  }

  private record(line: string, level?: 'info' | 'warn' | 'error'): void {
    this.logLines.push(line);
    if (this.logLines.length > LOG_LINES_KEPT) this.logLines.splice(0, this.logLines.length - LOG_LINES_KEPT);
    this.log(line, level);
  }

  private onMessage(child: WorkerProcessHandle, raw: unknown): void {
    if (child !== this.child) return;
    if (!isWorkerToHost(raw)) {
      this.record(`[host] ignored a malformed message from the worker: ${safeDescription(raw)}`);
      return;
    }
    const message: WorkerToHost = raw;
    switch (message.type) {
      case 'ready':
        this.record(`[worker] ready (pid ${message.pid})`);
        this.childReady = true;
        for (const [id, pending] of this.pending) this.startTimer(id, pending, child);
        return;
      case 'log':
        this.record(`[worker ${message.level}] ${message.message}`, message.level);
        return;
      case 'progress':
        this.pending.get(message.id)?.onProgress?.(message.stage, message.fraction);
        return;
      case 'result':
      case 'described':
      case 'compared': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        pending.resolve(message.type === 'result' ? message.report : message.type === 'described' ? message.summary : message.comparison);
        return;
      }
      case 'failed': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        pending.reject(new WorkerError(message.error));
        return;
      }
    }
  }

  private onExit(child: WorkerProcessHandle, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = null;
    const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
    this.record(`[host] analysis worker exited (${how})`);
    if (this.killedOnPurpose) {
      this.killedOnPurpose = false;
      const hung = [...this.pending.values()].find((pending) => pending.timedOutAfterMs !== undefined);
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        if (pending.timedOutAfterMs !== undefined) {
          pending.reject(new WorkerError({
            code: 'bad-input', file: pending.file,
            message: `${pending.file}: could not be read in ${formatSeconds(pending.timedOutAfterMs)} (corrupt file?); the analysis process was stopped and restarted`,
          }));
        } else {
          pending.reject(new WorkerError(pending.cancelRequested
            ? { code: 'cancelled', message: 'analysis cancelled' }
            : { code: 'cancelled', message: hung !== undefined
              ? `the analysis worker was restarted because ${hung.file} hung; run the analysis again`
              : 'the analysis worker was restarted; run the analysis again' }));
        }
      }
      return;
    }
    const log = this.recentLog();
    const outOfMemory = /heap out of memory|Allocation failed|ERR_WORKER_OUT_OF_MEMORY|RangeError: Array buffer allocation failed/i.test(log) || signal === 'SIGABRT' || code === 134;
    const message = outOfMemory
      ? `The analysis process ran out of memory (limit ${this.childLimitMb} MB, setting flatnessLens.memoryLimitMb) and stopped (${how}).`
      : `The analysis process stopped unexpectedly (${how}).`;
    this.failAll({ code: 'worker-crashed', message, log });
  }

  private failAll(error: WireError): void {
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new WorkerError(error));
    }
  }
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** A log-safe description of anything (JSON.stringify throws on BigInt and cycles). */
function safeDescription(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 200);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
