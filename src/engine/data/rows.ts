import type { AnyDataset, DataRows, Dataset, StreamedDataset } from './types';

/**
 * Largest data set (inputs and targets as float32) that the analyses needing random access or
 * many passes over a small set (adaptive sharpness, landscapes, the prediction's trainer,
 * disagreement) read into memory from a streamed file; above it they are skipped with a note.
 */
export const IN_MEMORY_DATA_BUDGET_BYTES = 1024 * 1024 * 1024;

export function isStreamed(data: AnyDataset): data is StreamedDataset {
  return 'streamed' in data && data.streamed;
}

/** Rows [start, start + rows): subarrays of a data set in memory, a fresh read of a streamed one. */
export function readRows(data: AnyDataset, start: number, rows: number): Promise<DataRows> {
  if (isStreamed(data)) return data.readRows(start, rows);
  return Promise.resolve({
    inputs: data.inputs.subarray(start * data.d, (start + rows) * data.d),
    targets: data.targets.subarray(start * data.targetDim, (start + rows) * data.targetDim),
  });
}

/** The targets of rows [start, start + rows). */
export function readTargets(data: AnyDataset, start: number, rows: number): Promise<Float32Array> {
  if (isStreamed(data)) return data.readTargets(start, rows);
  return Promise.resolve(data.targets.subarray(start * data.targetDim, (start + rows) * data.targetDim));
}

/** Bytes the data set takes in memory as float32 inputs and targets. */
export function inMemoryBytes(data: { n: number; d: number; targetDim: number }): number {
  return 4 * data.n * (data.d + data.targetDim);
}

/** Rows read per step when a streamed set is copied into memory or scanned. */
export const SCAN_CHUNK_ROWS = 16384;

/**
 * The data set in memory: itself when it already is, a copy of a streamed one when it fits the
 * budget, or null (the caller skips its analysis and says why, see needsMemoryNote).
 */
export async function materialize(data: AnyDataset, budgetBytes = IN_MEMORY_DATA_BUDGET_BYTES): Promise<Dataset | null> {
  if (!isStreamed(data)) return data;
  if (inMemoryBytes(data) > budgetBytes) return null;
  const inputs = new Float32Array(data.n * data.d);
  const targets = new Float32Array(data.n * data.targetDim);
  for (let start = 0; start < data.n; start += SCAN_CHUNK_ROWS) {
    const rows = Math.min(SCAN_CHUNK_ROWS, data.n - start);
    const chunk = await data.readRows(start, rows);
    inputs.set(chunk.inputs, start * data.d);
    targets.set(chunk.targets, start * data.targetDim);
  }
  return { n: data.n, d: data.d, targetDim: data.targetDim, inputs, targets, source: data.source };
}

/** The report's note for an analysis skipped because the streamed data does not fit the budget. */
export function needsMemoryNote(analysis: string, data: AnyDataset, budgetBytes = IN_MEMORY_DATA_BUDGET_BYTES): string {
  const mib = (bytes: number) => `${Math.ceil(bytes / (1024 * 1024))} MiB`;
  return `${analysis} skipped: it needs the data in memory, and ${data.n} rows x ${data.d} inputs (${mib(inMemoryBytes(data))} as float32) is above the budget of ${mib(budgetBytes)} for data streamed from disk.`;
}

/** One chunk of a pass over the data: rows [start, start + rows). */
export interface DataChunk extends DataRows {
  start: number;
  rows: number;
}

/**
 * The data in chunks of `chunkRows` rows, in order. A streamed set's next chunk is read from disk
 * while the current one is being worked on; one set in memory yields subarrays, so both give the
 * same values chunk by chunk.
 */
export async function* dataChunks(data: AnyDataset, chunkRows: number, first = 0): AsyncGenerator<DataChunk> {
  const size = (start: number) => Math.min(chunkRows, data.n - start);
  const read = (start: number) => {
    const pending = readRows(data, start, size(start));
    pending.catch(() => undefined); // a read the consumer never awaits must not go unhandled
    return pending;
  };
  let pending = first < data.n ? read(first) : null;
  for (let start = first; pending !== null; start += chunkRows) {
    const rows = await pending;
    pending = start + chunkRows < data.n ? read(start + chunkRows) : null;
    yield { start, rows: size(start), inputs: rows.inputs, targets: rows.targets };
  }
}
