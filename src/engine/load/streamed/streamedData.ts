import { basename } from 'node:path';
import type { StreamedDataset } from '../../data/types';
import { isNpy } from '../../io/npy';
import { isZip } from '../../io/zip';
import { DEFAULT_MAX_FILE_BYTES, type DataLoadOptions } from '../formatTypes';
import { badInput } from '../../errors';
import { formatBytes } from '../readFileChecked';
import { findTargetsPath, targetsNotNpy } from '../formats/npyPairData';
import { type FileRanges, openFileRanges } from './fileRanges';
import { openStreamedArray } from './npyStream';
import { streamedPairDataset } from './streamedPair';
import { openStreamedNpz } from './npzStream';
import { openStreamedCsv, sniffsAsCsv } from './csvStream';

/**
 * Data files larger than this are streamed from disk by default (`--stream-above-mb`); smaller
 * ones are read into memory, where every analysis can use them directly.
 */
export const DEFAULT_STREAM_ABOVE_BYTES = 64 * 1024 * 1024;

const HEAD_BYTES = 4096;

/**
 * Opens the data as a streamed data set when the file is over the streaming threshold and its
 * format can be read by rows: an .npy pair, an .npz whose two arrays are stored (not deflated),
 * or CSV text. Returns null otherwise: the caller reads the file into memory (within the file-size
 * limit), as for compressed .npz members, JSON, HDF5 and PyTorch data.
 */
export async function openStreamedDataset(path: string, options: DataLoadOptions): Promise<StreamedDataset | null> {
  const threshold = options.streamAboveBytes ?? DEFAULT_STREAM_ABOVE_BYTES;
  const ranges = await openFileRanges(path);
  if (ranges.size <= threshold || ranges.size === 0) return null;
  const head = await ranges.read(0, Math.min(ranges.size, HEAD_BYTES));
  if (isNpy(head)) return streamNpyPair(ranges, options);
  if (options.targetsPath !== undefined) return null; // the in-memory loader refuses the combination
  if (isZip(head)) return openStreamedNpz(ranges);
  if (sniffsAsCsv(head, path)) return openStreamedCsv(ranges, head, options);
  return null;
}

async function streamNpyPair(ranges: FileRanges, options: DataLoadOptions): Promise<StreamedDataset | null> {
  const path = ranges.path;
  const targetsPath = await findTargetsPath(path, options);
  const inputs = await openStreamedArray(ranges, 0, ranges.size, basename(path));
  if (inputs === null) return fortranInMemory(ranges, options);
  const targetRanges = await openFileRanges(targetsPath);
  const targetHead = await targetRanges.read(0, Math.min(targetRanges.size, HEAD_BYTES));
  if (!isNpy(targetHead)) throw targetsNotNpy(targetsPath, targetHead);
  const targets = await openStreamedArray(targetRanges, 0, targetRanges.size, basename(targetsPath));
  if (targets === null) return fortranInMemory(targetRanges, options);
  return streamedPairDataset(inputs, targets, { path, format: 'npy-pair', notes: [`targets read from ${targetsPath}`] });
}

/**
 * A Fortran-ordered (column-major) array cannot be read by rows: it is read into memory and
 * transposed there (null: the in-memory loader takes it) when within the file-size limit.
 */
function fortranInMemory(ranges: FileRanges, options: DataLoadOptions): null {
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (ranges.size <= limit) return null;
  throw badInput(ranges.path, `is a Fortran-ordered (column-major) array, which cannot be read by rows, and at ${formatBytes(ranges.size)} it is over the limit of ${formatBytes(limit)} for reading into memory; save it in C order (np.ascontiguousarray) to stream it, or raise --max-file-mb`);
}
