/**
 * A training (or test) set held once in memory as float32; analyses stream over it in chunks.
 */
export interface Dataset {
  n: number;
  d: number;
  /** Number of target columns (1 for scalar regression or class-index targets). */
  targetDim: number;
  /** n x d row-major. */
  inputs: Float32Array;
  /** n x targetDim row-major: regression targets, one-hot rows, or class indices (targetDim 1). */
  targets: Float32Array;
  source: DatasetSource;
}

export interface DatasetSource {
  path: string;
  format: string;          // 'npz', 'npy-pair', 'csv', 'json', ...
  /** Names of the arrays or columns read for inputs and targets. */
  inputName: string;
  targetName: string;
  notes: string[];
}
