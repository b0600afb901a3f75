import { Worker } from 'node:worker_threads';
import { threadScript } from '../../threadScript';
import { type Feed, type OnnxRunner, OnnxSession, type RunOptions, isKeptFeed, onnxThreads } from './runtime';
import { BufferPool, type SessionThreadReply, type SessionThreadRequest, type ThreadCensus, transferables } from './sessionThreadProtocol';

/**
 * onnxruntime sessions that run on their own thread (sessionThreadMain.ts). onnxruntime-node's
 * `run` is a synchronous native call on the calling thread: on the engine's thread it leaves no
 * room for the JavaScript between two runs of a chunk, so the per-sample terms and the float64
 * near-kink test could never overlap the kernels. On this thread they can, when the caller keeps
 * more than one chunk in flight. Where the thread cannot start, sessions run on the calling thread.
 */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<SessionThreadRequest>;

class SessionThread {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: SessionThreadReply & { ok: true }) => void; reject: (error: Error) => void }>();
  private failure: Error | null = null;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: SessionThreadReply) => this.settle(reply));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the onnxruntime thread exited (code ${code})`)));
    worker.unref();
  }

  static async start(): Promise<SessionThread | null> {
    const script = threadScript(__filename, 'sessionThreadMain.ts', 'onnxThread.js');
    if (script === null) return null;
    const worker = new Worker(script.script, { eval: script.eval });
    // Only these listeners are removed: the worker's own (which reference its port) stay.
    let onReady = (): void => undefined;
    let onError = (_error: Error): void => undefined;
    let onExit = (_code: number): void => undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onReady = () => resolve();
        onError = reject;
        onExit = (code) => reject(new Error(`exited with code ${code}`));
        worker.once('message', onReady).once('error', onError).once('exit', onExit);
      });
    } catch {
      await worker.terminate();
      return null;
    } finally {
      worker.off('message', onReady).off('error', onError).off('exit', onExit);
    }
    return new SessionThread(worker);
  }

  request(message: Request, transfer: ArrayBuffer[] = []): Promise<SessionThreadReply & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Referenced while a request is pending (a run must be able to finish), otherwise not.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  private settle(reply: SessionThreadReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok && reply.returned) pool.give(reply.returned);
    if (reply.ok) waiting.resolve(reply);
    else waiting.reject(new Error(reply.message));
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/** Buffers the threads gave back, filled again by later feeds. */
const pool = new BufferPool();

type Lane = { thread: SessionThread; handle: number };

/**
 * Sessions on the threads are released when their owner is collected: sessions are cached per
 * model (sessionCache.ts), and a prediction measures dozens of reference networks, whose
 * sessions (weights and memory arenas) would otherwise stay on the threads for good.
 */
const releaseWhenCollected = new FinalizationRegistry<readonly Lane[]>((lanes) => {
  for (const { thread, handle } of lanes) thread.request({ kind: 'release', session: handle }).catch(() => undefined);
});

/**
 * One session per lane, each on its own thread with one intra-op thread: a run goes to the lane
 * its options name. Independent single-threaded runs keep every core busy without the barrier
 * waits of one session's threads on a core that JavaScript also needs.
 */
class LaneSession implements OnnxRunner {
  constructor(private readonly lanesOf: readonly Lane[], readonly outputNames: readonly string[]) {
    releaseWhenCollected.register(this, lanesOf, this);
  }

  get lanes(): number {
    return this.lanesOf.length;
  }

  /**
   * Feeds move to the thread: those the caller gives up (`move`) as they are, the others as copies
   * (into reused buffers), so the caller keeps its arrays.
   */
  async run(feeds: Record<string, Feed>, fetches: readonly string[] = this.outputNames, options: RunOptions = {}): Promise<Record<string, Float32Array>> {
    const lane = this.lanesOf[(options.lane ?? 0) % this.lanesOf.length]!;
    const copies: Record<string, Feed> = {};
    const moved: Float32Array[] = [];
    for (const [name, feed] of Object.entries(feeds)) {
      if (isKeptFeed(feed)) {
        copies[name] = feed;
      } else if (feed.move && transferables([feed.data]).length === 1) {
        moved.push(feed.data);
        copies[name] = { data: feed.data, dims: feed.dims };
      } else {
        const data = pool.take(feed.data.length);
        data.set(feed.data);
        moved.push(data);
        copies[name] = { data, dims: feed.dims };
      }
    }
    const { keep, forget } = options;
    const reply = await lane.thread.request({ kind: 'run', session: lane.handle, feeds: copies, fetches, options: { keep, forget } }, transferables(moved));
    if (!reply.outputs) throw new Error('the onnxruntime thread returned no outputs');
    return reply.outputs;
  }

  async forget(keys: readonly string[]): Promise<void> {
    await Promise.all(this.lanesOf.map(({ thread }) => thread.request({ kind: 'forget', keys })));
  }

  async release(): Promise<void> {
    releaseWhenCollected.unregister(this);
    await Promise.all(this.lanesOf.map(({ thread, handle }) => thread.request({ kind: 'release', session: handle })));
  }
}

let threads: Promise<SessionThread[]> | null = null;

/** The session threads, one per core, started on first use. */
function sessionThreads(): Promise<SessionThread[]> {
  threads ??= startThreads(onnxThreads());
  return threads;
}

/** What each session thread holds: sessions and kept values (tests and diagnostics). */
export async function sessionThreadCensus(): Promise<ThreadCensus[]> {
  const running = threads ? await threads : [];
  return Promise.all(running.map(async (thread) => (await thread.request({ kind: 'census' })).census!));
}

async function startThreads(count: number): Promise<SessionThread[]> {
  const started = await Promise.all(Array.from({ length: count }, () => SessionThread.start()));
  return started.filter((thread): thread is SessionThread => thread !== null);
}

/**
 * The session on one lane per core (each its own thread, one intra-op thread each), or on this
 * thread with one intra-op thread per core where no session thread can start.
 */
export async function createLaneSession(model: Uint8Array): Promise<OnnxRunner> {
  const running = await sessionThreads();
  if (running.length === 0) return OnnxSession.create(model);
  const created = await Promise.all(running.map(async (thread) => {
    const reply = await thread.request({ kind: 'create', model, threads: 1 });
    if (reply.session === undefined || !reply.outputNames) throw new Error('the onnxruntime thread created no session');
    return { thread, handle: reply.session, outputNames: reply.outputNames };
  }));
  return new LaneSession(created, created[0]!.outputNames);
}
