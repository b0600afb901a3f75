import type { DataRows, DatasetSource, StreamedDataset } from '../../data/types';
import { SCAN_CHUNK_ROWS } from '../../data/rows';
import { checkDataShapes, checkFiniteRows } from '../datasetBuilder';
import type { StreamedArray } from './npyStream';

/**
 * A streamed data set from an inputs array and a targets array on disk (an .npy pair, or the two
 * stored members of an .npz). The shapes are checked from the headers, then one streamed pass
 * checks that every value is finite as float32, with the same messages as data read into memory.
 */
export async function streamedPairDataset(
  inputs: StreamedArray,
  targets: StreamedArray,
  source: Omit<DatasetSource, 'inputName' | 'targetName'>,
): Promise<StreamedDataset> {
  const file = source.path;
  const notes = [...source.notes];
  const { n, d, targetDim } = checkDataShapes(inputs, targets, file, notes);
  notes.push(`streamed from disk in chunks (${n} rows are not held in memory)`);
  for (let start = 0; start < n; start += SCAN_CHUNK_ROWS) {
    const rows = Math.min(SCAN_CHUNK_ROWS, n - start);
    const [inputValues, targetValues] = await Promise.all([inputs.readRows(start, rows), targets.readRows(start, rows)]);
    checkFiniteRows({ name: inputs.name, shape: inputs.shape, values: inputValues }, d, file, start);
    checkFiniteRows({ name: targets.name, shape: targets.shape, values: targetValues }, targetDim, file, start);
  }
  return {
    streamed: true,
    n,
    d,
    targetDim,
    source: { ...source, inputName: inputs.name, targetName: targets.name, notes },
    async readRows(start: number, rows: number): Promise<DataRows> {
      checkRange(start, rows, n);
      const [inputValues, targetValues] = await Promise.all([inputs.readRows(start, rows), targets.readRows(start, rows)]);
      return { inputs: inputValues, targets: targetValues };
    },
    readTargets(start: number, rows: number): Promise<Float32Array> {
      checkRange(start, rows, n);
      return targets.readRows(start, rows);
    },
  };
}

export function checkRange(start: number, rows: number, n: number): void {
  if (!(Number.isInteger(start) && Number.isInteger(rows) && start >= 0 && rows >= 0 && start + rows <= n)) {
    throw new RangeError(`rows ${start} to ${start + rows} are outside the data set's ${n} rows`);
  }
}
