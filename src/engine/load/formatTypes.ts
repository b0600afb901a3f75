import type { Dataset } from '../data/types';
import type { ActivationSpec, TwoLayerModel } from '../model/types';

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 ** 3;

export interface ModelLoadOptions {
  /** Used when the file stores no activation (file metadata wins over this). */
  activation?: ActivationSpec;
  /** Number of input columns of the data: settles ambiguous weight orientations. */
  expectedInputDim?: number;
  /** Refuse files larger than this before reading them (default 2 GiB). */
  maxFileBytes?: number;
  /** Longest an HDF5 file may take to parse before it is refused (default 5 s + 1 s per 8 MiB). */
  hdf5BudgetMs?: number;
  /** Stops a long read (an HDF5 parse) when aborted. */
  signal?: AbortSignal;
}

/**
 * One model file format. Formats are tried in registry order; `fallback` formats (generic
 * JSON, an unidentified zip) only when no specific format sniffed the bytes, so specific
 * readers (Keras, TF.js, PyTorch, ONNX) can simply be appended.
 */
export interface ModelFormat {
  name: string;
  /** One line for error messages and the docs, e.g. 'safetensors (.safetensors)'. */
  description: string;
  fallback?: boolean;
  sniff(bytes: Uint8Array, path: string): boolean;
  load(bytes: Uint8Array, path: string, options: ModelLoadOptions): Promise<TwoLayerModel> | TwoLayerModel;
}

export interface DataLoadOptions {
  /** CSV: names of the target columns, or how many trailing columns are targets (default: the last one). */
  targetColumns?: string[] | number;
  /** Refuse files larger than this before reading them (default 2 GiB). */
  maxFileBytes?: number;
  /** .npy inputs: the file holding the targets (default: the sibling named by the X -> y rule). */
  targetsPath?: string;
  /**
   * .npy pairs, .npz with stored members and CSV larger than this many bytes are streamed from disk
   * instead of read into memory (default 64 MiB; 0 streams every such file). Streamed files are
   * not bound by maxFileBytes.
   */
  streamAboveBytes?: number;
}

/** One data file format; same registry rules as ModelFormat. */
export interface DataFormat {
  name: string;
  description: string;
  fallback?: boolean;
  sniff(bytes: Uint8Array, path: string): boolean;
  load(bytes: Uint8Array, path: string, options: DataLoadOptions): Promise<Dataset> | Dataset;
}
