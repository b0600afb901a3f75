import type { BackendRequest, LossKind } from './report';

/** Which optional analyses to run besides the flatness core. */
export interface SectionSwitches {
  spectrum?: boolean;
  sharpness?: boolean;
  landscape?: boolean;
  predict?: boolean;
}

/** Everything the CLI, the worker process and tests pass to analyze files on disk. */
export interface AnalyzeRequest {
  modelPath: string;
  dataPath: string;
  /** For .npy inputs whose targets are in another file. */
  targetsPath?: string;
  /** CSV: names of target columns, or how many trailing columns are targets. */
  targetColumns?: string[] | number;
  testDataPath?: string;
  /** e.g. 'relu', 'leaky_relu:0.1', 'relu^2'; used when the file stores no activation. */
  activation?: string;
  loss?: LossKind;
  backend?: BackendRequest;
  interpolationTolerance?: number;
  maxFileBytes?: number;
  /** Data files larger than this are streamed from disk instead of read into memory (default 64 MiB). */
  streamAboveBytes?: number;
  chunkRows?: number;
  sections?: SectionSwitches;
}

/** Several models of one data set, compared with one shared calibration. */
export interface CompareRequest {
  modelPaths: string[];
  dataPath: string;
  testDataPath?: string;
  /** Activation for files that do not store one, e.g. 'relu' or 'leaky_relu:0.1'. */
  activation?: string;
  loss?: LossKind;
  backend?: BackendRequest;
}
