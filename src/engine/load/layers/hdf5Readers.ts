import { readKerasH5 } from './kerasH5';
import { readKerasV3Weights } from './kerasV3';

/** The HDF5 readers the worker thread can run (hdf5Thread.ts), by name: a closed list. */
export const HDF5_READERS = {
  'keras-h5': (bytes: Uint8Array, file: string, _options: { maxFileBytes?: number | undefined }) => readKerasH5(bytes, file),
  'keras-v3-weights': (bytes: Uint8Array, file: string, _options: Record<string, never>) => readKerasV3Weights(bytes, file),
};

export type Hdf5Readers = typeof HDF5_READERS;
export type Hdf5ReaderName = keyof Hdf5Readers;
