/**
 * A training (or test) set. Two kinds implement one row API (readRows in rows.ts): a Dataset held
 * once in memory as float32, and a StreamedDataset read from disk chunk by chunk, so a file larger
 * than memory is analyzed with memory bounded by the chunk size.
 */
interface DatasetShape {
  n: number;
  d: number;
  /** Number of target columns (1 for scalar regression or class-index targets). */
  targetDim: number;
  source: DatasetSource;
}

/** Rows [start, start + rows) of a data set, row-major float32. */
export interface DataRows {
  /** rows x d. */
  inputs: Float32Array;
  /** rows x targetDim. */
  targets: Float32Array;
}

/** A data set held in memory. */
export interface Dataset extends DatasetShape {
  /** n x d row-major. */
  inputs: Float32Array;
  /** n x targetDim row-major: regression targets, one-hot rows, or class indices (targetDim 1). */
  targets: Float32Array;
}

/**
 * A data set read from disk on demand: values are converted to float32 per chunk and were checked
 * (shapes, finiteness) by a streamed pass when it was opened. Reads return fresh arrays.
 */
export interface StreamedDataset extends DatasetShape {
  streamed: true;
  readRows(start: number, rows: number): Promise<DataRows>;
  /** Only the targets of rows [start, start + rows): cheaper when inputs and targets are separate files. */
  readTargets(start: number, rows: number): Promise<Float32Array>;
}

/** Either kind: what the core analysis and the spectrum stream over. */
export type AnyDataset = Dataset | StreamedDataset;

export interface DatasetSource {
  path: string;
  format: string;          // 'npz', 'npy-pair', 'csv', 'json', ...
  /** Names of the arrays or columns read for inputs and targets. */
  inputName: string;
  targetName: string;
  notes: string[];
}
