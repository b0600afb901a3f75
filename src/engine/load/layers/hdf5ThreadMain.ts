import { parentPort } from 'node:worker_threads';
import { isFlatnessLensError } from '../../errors';
import { HDF5_READERS } from './hdf5Readers';
import { loadModule } from './hdf5';
import type { Hdf5ThreadReply, Hdf5ThreadRequest } from './hdf5Thread';

/** Entry of the HDF5 worker thread (bundled as dist/hdf5Thread.js): one reply per request, by id. */
async function answer(request: Hdf5ThreadRequest & { id: number }): Promise<void> {
  let reply: Hdf5ThreadReply;
  try {
    const reader = HDF5_READERS[request.reader] as (bytes: Uint8Array, file: string, options: unknown) => unknown;
    reply = { ok: true, value: await reader(request.bytes, request.file, request.options) };
  } catch (error) {
    reply = isFlatnessLensError(error)
      ? { ok: false, error: { code: error.code, message: error.message, file: error.file } }
      : { ok: false, error: { code: 'bad-input', message: `the HDF5 library could not read the file (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`, file: request.file } };
  }
  parentPort?.postMessage({ ...reply, id: request.id });
}

parentPort?.on('message', (request: Hdf5ThreadRequest & { id: number }) => {
  void answer(request);
});

// Ready once h5wasm is initialized: the caller's time budget covers reading, not starting up.
void loadModule().then(() => parentPort?.postMessage({ ready: true }), () => parentPort?.postMessage({ ready: true }));
