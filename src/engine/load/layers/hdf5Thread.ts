import { Worker } from 'node:worker_threads';
import { type ThreadScript, threadScript } from '../../threadScript';
import { type ErrorCode, FlatnessLensError, badInput } from '../../errors';
import type { Hdf5ReaderName, Hdf5Readers } from './hdf5Readers';

/**
 * HDF5 files are parsed by h5wasm in a worker thread that is terminated when it runs past a
 * time budget: a corrupt file can make the HDF5 library loop forever inside one synchronous call,
 * which nothing in the calling thread could interrupt. The thread runs a reader from the closed
 * list in hdf5Readers.ts and posts back its result (structured-cloned) or its FlatnessLensError.
 */
/**
 * The default time budget: 5 s plus 1 s per 8 MiB. h5wasm reads Keras files at well over
 * 100 MiB/s, so a file that takes this long is not being read but looped over.
 */
export function defaultHdf5BudgetMs(bytes: number): number {
  return 5_000 + Math.ceil(bytes / (8 * 1024 * 1024)) * 1_000;
}

export interface Hdf5ThreadRequest<N extends Hdf5ReaderName = Hdf5ReaderName> {
  reader: N;
  bytes: Uint8Array;
  file: string;
  options: Parameters<Hdf5Readers[N]>[2];
}

export type Hdf5ThreadReply =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ErrorCode; message: string; file: string | undefined } };


export function errorFromReply(error: Extract<Hdf5ThreadReply, { ok: false }>['error']): FlatnessLensError {
  const prefix = error.file !== undefined ? `${error.file}: ` : '';
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new FlatnessLensError(error.code, message, error.file);
}

/**
 * One idle thread is kept (unreferenced, so it never keeps the process alive) and reused: starting
 * a thread and h5wasm costs far more than reading a Keras file. A thread that timed out, failed or
 * is busy is never reused.
 */
class ThreadPool {
  private idle: Worker | null = null;
  private nextId = 1;

  /** A thread that has started and initialized h5wasm (started now, or the idle one). */
  async take(script: ThreadScript): Promise<Worker> {
    const reused = this.idle;
    this.idle = null;
    if (reused !== null) {
      reused.ref();
      return reused;
    }
    const worker = new Worker(script.script, { eval: script.eval });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: unknown) => {
        if (typeof message !== 'object' || message === null || !('ready' in message)) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        resolve();
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw new FlatnessLensError('internal', `the HDF5 reader thread could not start (${error instanceof Error ? error.message : String(error)})`);
    });
    return worker;
  }

  give(worker: Worker): void {
    if (this.idle !== null) {
      void worker.terminate();
      return;
    }
    worker.unref();
    this.idle = worker;
  }

  id(): number {
    return this.nextId++;
  }
}

const threads = new ThreadPool();

/**
 * Runs `reader` on the bytes in a worker thread; rejects with a bad-input error naming the file
 * when it takes longer than `budgetMs`, or a cancellation when `signal` aborts, and in both
 * cases terminates the thread.
 */
export async function runHdf5Reader<N extends Hdf5ReaderName>(
  request: Hdf5ThreadRequest<N>,
  budgetMs = defaultHdf5BudgetMs(request.bytes.length),
  signal?: AbortSignal,
): Promise<ReturnType<Hdf5Readers[N]> extends Promise<infer T> ? T : ReturnType<Hdf5Readers[N]>> {
  const started = threadScript(__filename, 'hdf5ThreadMain.ts', 'hdf5Thread.js');
  if (started === null) {
    // A bundle built without the thread script: read in this thread, without a time budget.
    const { HDF5_READERS } = await import('./hdf5Readers');
    const reader = HDF5_READERS[request.reader] as (bytes: Uint8Array, file: string, options: unknown) => unknown;
    return (await reader(request.bytes, request.file, request.options)) as never;
  }
  const worker = await threads.take(started);
  const id = threads.id();
  let reusable = false;
  try {
    return await new Promise((resolve, reject) => {
      const seconds = Math.max(1, Math.round(budgetMs / 1000));
      const timer = setTimeout(() => {
        reject(badInput(request.file, `the HDF5 file could not be read in ${seconds} s (the HDF5 library did not finish: a corrupt file?); reading was stopped`));
      }, budgetMs);
      const onAbort = () => reject(new FlatnessLensError('cancelled', 'analysis cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const onMessage = (reply: Hdf5ThreadReply & { id: number }) => {
        if (reply.id !== id) return;
        settle();
        reusable = true;
        if (reply.ok) resolve(reply.value as never);
        else reject(errorFromReply(reply.error));
      };
      const onError = (error: Error) => {
        settle();
        reject(badInput(request.file, `the HDF5 library failed on the file (${error.message.split('\n')[0]})`));
      };
      const onExit = (code: number) => {
        settle();
        reject(badInput(request.file, `the HDF5 reader stopped (exit ${code}) before reading the file (out of memory on a corrupt file?)`));
      };
      function settle() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      }
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({ ...request, id });
    });
  } finally {
    if (reusable) threads.give(worker);
    else await worker.terminate();
  }
}
