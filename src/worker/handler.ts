/**
 * The worker's message loop, independent of how messages travel: it receives HostToWorker
 * messages, runs the engine with an AbortController per request, and answers with
 * WorkerToHost messages. main.ts wires it to process IPC; tests call it directly.
 */
import type { ComparisonReport, Report } from '../shared/report';
import type { AnalysisRequest, ComparisonRequest, HostToWorker, ModelSummary, WireError, WorkerToHost } from '../shared/protocol';
import { isEngineErrorCode } from '../shared/errorCodes';
import { isHostToWorker } from '../shared/protocol';

export interface EngineContext {
  signal?: AbortSignal;
  onProgress?: (stage: string, fraction: number) => void;
}

export interface WorkerEngine {
  analyze(request: AnalysisRequest, context: EngineContext): Promise<Report>;
  describe(modelPath: string): Promise<ModelSummary>;
  compare(request: ComparisonRequest, context: EngineContext): Promise<ComparisonReport>;
}


/** Turns anything thrown by the engine into a WireError; unknown exceptions are bugs ('internal'). */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const file = (error as { file?: unknown }).file;
    if (isEngineErrorCode(code)) {
      return { code, message: error.message, ...(typeof file === 'string' ? { file } : {}) };
    }
    return { code: 'internal', message: `internal error: ${error.message}${error.stack ? `\n${error.stack}` : ''}` };
  }
  return { code: 'internal', message: `internal error: ${String(error)}` };
}

/** Progress is throttled so a fast loop cannot flood the IPC channel. */
const PROGRESS_INTERVAL_MS = 100;

export class WorkerHandler {
  private readonly running = new Map<number, AbortController>();

  constructor(
    private readonly engine: WorkerEngine,
    private readonly send: (message: WorkerToHost) => void,
    private readonly exit: () => void = () => undefined,
  ) {}

  /** Number of requests in flight (for tests). */
  get active(): number {
    return this.running.size;
  }

  handle(message: unknown): Promise<void> {
    if (!isHostToWorker(message)) {
      this.send({ type: 'log', level: 'warn', message: `ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}` });
      return Promise.resolve();
    }
    return this.dispatch(message);
  }

  private async dispatch(message: HostToWorker): Promise<void> {
    switch (message.type) {
      case 'analyze':
        return this.run(message.id, (context) => this.engine.analyze(message.request, context), (report) => ({ type: 'result', id: message.id, report }));
      case 'describe':
        return this.run(message.id, () => this.engine.describe(message.modelPath), (summary) => ({ type: 'described', id: message.id, summary }));
      case 'compare':
        return this.run(message.id, (context) => this.engine.compare(message.request, context), (comparison) => ({ type: 'compared', id: message.id, comparison }));
      case 'cancel':
        this.running.get(message.id)?.abort();
        return;
      case 'shutdown':
        for (const controller of this.running.values()) controller.abort();
        this.exit();
        return;
    }
  }

  private async run<T>(id: number, work: (context: EngineContext) => Promise<T>, answer: (value: T) => WorkerToHost): Promise<void> {
    const controller = new AbortController();
    this.running.set(id, controller);
    let lastProgress = 0;
    const context: EngineContext = {
      signal: controller.signal,
      onProgress: (stage, fraction) => {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && fraction < 1) return;
        lastProgress = now;
        this.send({ type: 'progress', id, stage, fraction: Math.min(1, Math.max(0, fraction)) });
      },
    };
    try {
      const value = await work(context);
      if (controller.signal.aborted) {
        this.send({ type: 'failed', id, error: { code: 'cancelled', message: 'analysis cancelled' } });
      } else {
        this.send(answer(value));
      }
    } catch (error) {
      const wire = controller.signal.aborted ? { code: 'cancelled' as const, message: 'analysis cancelled' } : toWireError(error);
      this.send({ type: 'failed', id, error: wire });
    } finally {
      this.running.delete(id);
    }
  }
}
