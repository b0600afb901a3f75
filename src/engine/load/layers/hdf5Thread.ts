import { existsSync } from 'node:fs';
import * as nodePath from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ErrorCode, FlatnessLensError, badInput } from '../../errors';
import type { Hdf5ReaderName, Hdf5Readers } from './hdf5Readers';

/**
 * HDF5 files are parsed by h5wasm in a worker thread that is terminated when it runs past a
 * time budget: a corrupt file can make the HDF5 library loop forever inside one synchronous call,
 * which nothing in the calling thread could interrupt. The thread runs a reader from the closed
 * list in hdf5Readers.ts and posts back its result (structured-cloned) or its FlatnessLensError.
 */
export const DEFAULT_HDF5_BUDGET_MS = 30_000;

export interface Hdf5ThreadRequest<N extends Hdf5ReaderName = Hdf5ReaderName> {
  reader: N;
  bytes: Uint8Array;
  file: string;
  options: Parameters<Hdf5Readers[N]>[2];
}

export type Hdf5ThreadReply =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ErrorCode; message: string; file: string | undefined } };

/** How the thread is started: the bundled script next to this bundle, or the TypeScript source through tsx. */
function threadScript(): { script: string; eval: boolean } | null {
  if (__filename.endsWith('.ts')) {
    const source = nodePath.join(__dirname, 'hdf5ThreadMain.ts');
    const tsx = JSON.stringify(__dirname);
    return { script: `require(require.resolve('tsx/cjs', { paths: [${tsx}] })); require(${JSON.stringify(source)});`, eval: true };
  }
  const bundled = nodePath.join(__dirname, 'hdf5Thread.js');
  return existsSync(bundled) ? { script: bundled, eval: false } : null;
}

export function errorFromReply(error: Extract<Hdf5ThreadReply, { ok: false }>['error']): FlatnessLensError {
  const prefix = error.file !== undefined ? `${error.file}: ` : '';
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new FlatnessLensError(error.code, message, error.file);
}

/**
 * Runs `reader` on the bytes in a worker thread; rejects with a bad-input error naming the file
 * when it takes longer than `budgetMs`, or a cancellation when `signal` aborts, and in both
 * cases terminates the thread.
 */
export async function runHdf5Reader<N extends Hdf5ReaderName>(
  request: Hdf5ThreadRequest<N>,
  budgetMs = DEFAULT_HDF5_BUDGET_MS,
  signal?: AbortSignal,
): Promise<ReturnType<Hdf5Readers[N]> extends Promise<infer T> ? T : ReturnType<Hdf5Readers[N]>> {
  const started = threadScript();
  if (started === null) {
    // A bundle built without the thread script: read in this thread, without a time budget.
    const { HDF5_READERS } = await import('./hdf5Readers');
    const reader = HDF5_READERS[request.reader] as (bytes: Uint8Array, file: string, options: unknown) => unknown;
    return (await reader(request.bytes, request.file, request.options)) as never;
  }
  const worker = new Worker(started.script, { eval: started.eval, stdout: true, stderr: true });
  worker.stdout.resume();
  worker.stderr.resume();
  try {
    return await new Promise((resolve, reject) => {
      const seconds = Math.max(1, Math.round(budgetMs / 1000));
      const timer = setTimeout(() => {
        reject(badInput(request.file, `the HDF5 file could not be read in ${seconds} s (the HDF5 library did not finish: a corrupt file?); reading was stopped`));
      }, budgetMs);
      const onAbort = () => reject(new FlatnessLensError('cancelled', 'analysis cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      worker.once('message', (reply: Hdf5ThreadReply) => {
        settle();
        if (reply.ok) resolve(reply.value as never);
        else reject(errorFromReply(reply.error));
      });
      worker.once('error', (error) => {
        settle();
        reject(badInput(request.file, `the HDF5 library failed on the file (${error.message.split('\n')[0]})`));
      });
      worker.once('exit', (code) => {
        settle();
        reject(badInput(request.file, `the HDF5 reader stopped (exit ${code}) before reading the file (out of memory on a corrupt file?)`));
      });
      worker.postMessage(request);
    });
  } finally {
    await worker.terminate();
  }
}
