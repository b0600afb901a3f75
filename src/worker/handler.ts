/**
 * The worker's message loop, independent of how messages travel: it receives HostToWorker
 * messages, runs the engine with an AbortController per request, and answers with
 * WorkerToHost messages. main.ts wires it to process IPC; tests call it directly.
 */
import { inspect } from 'node:util';
import type { ComparisonReport, Report } from '../shared/report';
import type { AnalysisRequest, ComparisonRequest, HostToWorker, ModelSummary, WireError, WorkerToHost } from '../shared/protocol';
import { isEngineErrorCode } from '../shared/errorCodes';
import { isHostToWorker } from '../shared/protocol';
import { requestProblem } from './validate';

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

/** A short, safe description of anything (BigInt, circular objects, throwing getters) for a log line. */
export function describeValue(value: unknown): string {
  try {
    return inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 200 }).slice(0, 300);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Progress is throttled so a fast loop cannot flood the IPC channel. */
const PROGRESS_INTERVAL_MS = 100;

export class WorkerHandler {
  private readonly running = new Map<number, AbortController>();
  /** Every request id received: each gets exactly one answer. */
  private readonly seen = new Set<number>();

  constructor(
    private readonly engine: WorkerEngine,
    private readonly send: (message: WorkerToHost) => void,
    private readonly exit: () => void = () => undefined,
  ) {}

  /** Number of requests in flight (for tests). */
  get active(): number {
    return this.running.size;
  }

  /** Never throws: a malformed message (BigInt, circular, unknown type) is logged safely and, if it names a request id, answered. */
  handle(message: unknown): Promise<void> {
    try {
      if (!isHostToWorker(message)) {
        this.refuseMalformed(message);
        return Promise.resolve();
      }
      if ('id' in message && message.type !== 'cancel' && this.seen.has(message.id)) {
        // The id's one answer belongs to the first request that used it.
        this.send({ type: 'log', level: 'warn', message: `refused a ${message.type} request: id ${message.id} is already in use` });
        if (!this.running.has(message.id)) this.send({ type: 'failed', id: message.id, error: { code: 'bad-input', message: `request id ${message.id} was already used; ids must be unique` } });
        return Promise.resolve();
      }
      const problem = requestProblem(message);
      if (problem !== null) {
        this.refuseMalformed(message, problem);
        return Promise.resolve();
      }
      return this.dispatch(message);
    } catch (error) {
      this.send({ type: 'log', level: 'error', message: `could not handle a message: ${describeValue(error)}` });
      return Promise.resolve();
    }
  }

  private refuseMalformed(message: unknown, problem = 'its fields are missing or of the wrong type'): void {
    this.send({ type: 'log', level: 'warn', message: `ignored a malformed message (${problem}): ${describeValue(message)}` });
    const id = typeof message === 'object' && message !== null && 'id' in message ? (message as { id: unknown }).id : undefined;
    const type = typeof message === 'object' && message !== null && 'type' in message ? (message as { type: unknown }).type : undefined;
    if (typeof id === 'number' && Number.isSafeInteger(id) && (type === 'analyze' || type === 'describe' || type === 'compare') && !this.seen.has(id)) {
      this.seen.add(id);
      this.send({ type: 'failed', id, error: { code: 'bad-input', message: `malformed ${type} request ${id}: ${problem}` } });
    }
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
    this.seen.add(id);
    this.running.set(id, controller);
    let lastProgress = 0;
    let lastStage = '';
    const context: EngineContext = {
      signal: controller.signal,
      onProgress: (stage, fraction) => {
        const now = Date.now();
        // A new stage always goes out, so the webview lists every stage by name.
        if (now - lastProgress < PROGRESS_INTERVAL_MS && fraction < 1 && stage === lastStage) return;
        lastProgress = now;
        lastStage = stage;
        this.send({ type: 'progress', id, stage, fraction: Math.min(1, Math.max(0, fraction)) });
      },
    };
    let reply: WorkerToHost;
    try {
      const value = await work(context);
      reply = controller.signal.aborted ? { type: 'failed', id, error: { code: 'cancelled', message: 'analysis cancelled' } } : answer(value);
    } catch (error) {
      const wire = controller.signal.aborted ? { code: 'cancelled' as const, message: 'analysis cancelled' } : toWireError(error);
      reply = { type: 'failed', id, error: wire };
    } finally {
      this.running.delete(id);
    }
    try {
      this.send(reply);
    } catch (error) {
      // The answer could not be sent (not serializable): the request still gets its one answer.
      this.send({ type: 'failed', id, error: { code: 'internal', message: `internal error: the answer could not be sent (${describeValue(error)})` } });
    }
  }
}
