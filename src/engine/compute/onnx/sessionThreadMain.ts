import { parentPort } from 'node:worker_threads';
import { OnnxSession, forgetKeptValues, isKeptFeed, keptValueCount } from './runtime';
import { type SessionThreadReply, type SessionThreadRequest, transferables } from './sessionThreadProtocol';

/**
 * Entry of the onnxruntime session thread (bundled as dist/onnxThread.js). onnxruntime-node runs
 * a session synchronously on the thread that calls it; here that is this thread, so the engine's
 * thread computes per-sample terms of one chunk while the kernels run on the next.
 * Requests are answered in the order they arrive.
 */
const sessions = new Map<number, OnnxSession>();
let nextSession = 1;
let queue: Promise<void> = Promise.resolve();

/** Outputs move to the engine's thread, except those kept here for a later run (those are copied). */
function post(reply: SessionThreadReply, kept: ReadonlySet<string> = new Set()): void {
  const arrays = reply.ok && reply.outputs ? Object.entries(reply.outputs).filter(([name]) => !kept.has(name)).map(([, data]) => data) : [];
  try {
    parentPort?.postMessage(reply, [...transferables(arrays), ...(reply.ok ? reply.returned ?? [] : [])]);
  } catch {
    // Buffers owned by the native side cannot be moved: they are copied.
    parentPort?.postMessage(reply);
  }
}

async function answer(request: SessionThreadRequest): Promise<SessionThreadReply> {
  switch (request.kind) {
    case 'create': {
      const session = await OnnxSession.create(request.model, request.threads);
      const handle = nextSession++;
      sessions.set(handle, session);
      return { id: request.id, ok: true, session: handle, outputNames: session.outputNames };
    }
    case 'run': {
      const session = sessions.get(request.session);
      if (!session) throw new Error(`no session ${request.session}`);
      const kept = new Set(Object.keys(request.options.keep ?? {}));
      const freed: Float32Array[] = [];
      for (const [name, feed] of Object.entries(request.feeds)) if (!isKeptFeed(feed) && !kept.has(name)) freed.push(feed.data);
      const outputs = await session.run(request.feeds, request.fetches, { keep: request.options.keep });
      freed.push(...forgetKeptValues(request.options.forget ?? []));
      return { id: request.id, ok: true, outputs, returned: transferables(freed) };
    }
    case 'census':
      return { id: request.id, ok: true, census: { sessions: sessions.size, keptValues: keptValueCount() } };
    case 'forget':
      return { id: request.id, ok: true, returned: transferables(forgetKeptValues(request.keys)) };
    case 'release': {
      const session = sessions.get(request.session);
      sessions.delete(request.session);
      await session?.release();
      return { id: request.id, ok: true };
    }
  }
}

parentPort?.on('message', (request: SessionThreadRequest) => {
  queue = queue.then(async () => {
    try {
      post(await answer(request), new Set(request.kind === 'run' ? Object.keys(request.options.keep ?? {}) : []));
    } catch (error) {
      post({ id: request.id, ok: false, message: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  });
});
parentPort?.postMessage({ ready: true });
