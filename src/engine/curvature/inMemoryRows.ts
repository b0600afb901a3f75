import type { Dataset } from '../data/types';

/**
 * Rows [start, start + rows) of an in-memory data set's inputs (rows x d, a view): the one place
 * the sharpness, landscape and loss-at-points passes read the data.
 */
export function inputRows(data: Dataset, start: number, rows: number): Float32Array {
  return data.inputs.subarray(start * data.d, (start + rows) * data.d);
}
