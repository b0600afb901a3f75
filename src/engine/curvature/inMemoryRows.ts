import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { SeededRandom } from '../math/random';

/**
 * Rows [start, start + rows) of an in-memory data set's inputs (rows x d, a view): with
 * rowSubsample below, the one place the sharpness, landscape and loss-at-points passes read the data.
 */
export function inputRows(data: Dataset, start: number, rows: number): Float32Array {
  return data.inputs.subarray(start * data.d, (start + rows) * data.d);
}

/**
 * Multiply-adds one pass of adaptive sharpness or the landscape may cost (rows x m x max(d, c)):
 * about 5e8. Sharpness makes ~200 gradient passes (two such products each), so at ~10 GFLOP/s on
 * one wasm core it stays near 40 s. W1 (n 4096, m 512, d 50) is below it and uses every row;
 * W2 (n 60000, m 1024, d 784) uses 668 rows.
 */
export const OPTIONAL_PASS_WORK = 2 ** 29;

/** Most rows the sharpness and landscape passes use for this model. */
export function optionalRowBudget(model: TwoLayerModel): number {
  return Math.max(256, Math.floor(OPTIONAL_PASS_WORK / (model.hiddenDim * Math.max(model.inputDim, model.outputDim, 1))));
}

/** The data set itself when it has at most `maxRows` rows, else a seeded subsample of rows in their order. */
export function rowSubsample(data: Dataset, maxRows: number, seed: number): Dataset {
  if (data.n <= maxRows) return data;
  const rows = new SeededRandom(seed).permutation(data.n).slice(0, maxRows).sort((a, b) => a - b);
  const { d, targetDim } = data;
  const inputs = new Float32Array(maxRows * d);
  const targets = new Float32Array(maxRows * targetDim);
  rows.forEach((row, i) => {
    inputs.set(data.inputs.subarray(row * d, (row + 1) * d), i * d);
    targets.set(data.targets.subarray(row * targetDim, (row + 1) * targetDim), i * targetDim);
  });
  return { ...data, n: maxRows, inputs, targets };
}
