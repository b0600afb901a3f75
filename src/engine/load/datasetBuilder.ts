import type { Dataset, DatasetSource } from '../data/types';
import { badInput } from '../errors';
import { formatShape } from '../io/tensors';

/** An array read for a dataset: values already converted to float32 in C order. */
export interface DataArray {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** Names accepted for the input and target arrays of .npz and JSON data (case-insensitive). */
export const DATA_ARRAY_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['x', 'y'],
  ['x_train', 'y_train'],
  ['inputs', 'targets'],
  ['features', 'labels'],
];

/**
 * Finds the first known (inputs, targets) pair among the names; null when none fits. Two names
 * that differ only in case ('X' and 'x') make the pair ambiguous: refused, naming both.
 */
export function pickDataPair(names: readonly string[], file: string): [string, string] | null {
  const lower = new Map<string, string[]>();
  for (const name of names) lower.set(name.toLowerCase(), [...(lower.get(name.toLowerCase()) ?? []), name]);
  const one = (key: string): string | undefined => {
    const found = lower.get(key);
    if (found !== undefined && found.length > 1) {
      throw badInput(file, `holds both ${found.map((name) => `'${name}'`).join(' and ')}: ambiguous, keep one of them`);
    }
    return found?.[0];
  };
  for (const [inputs, targets] of DATA_ARRAY_PAIRS) {
    const inputName = one(inputs);
    const targetName = one(targets);
    if (inputName !== undefined && targetName !== undefined) return [inputName, targetName];
  }
  return null;
}

export function describeDataPairs(): string {
  return DATA_ARRAY_PAIRS.map(([x, y]) => `${x}/${y}`).join(', ');
}

/**
 * Checks shapes and values and assembles the Dataset: X must be n x d (1-D X means d = 1),
 * y must be n or n x c (1-D y becomes n x 1), every value finite.
 */
export function buildDataset(
  inputs: DataArray,
  targets: DataArray,
  source: Omit<DatasetSource, 'inputName' | 'targetName'>,
  indexLabel: (array: DataArray, row: number, column: number) => string = arrayIndexLabel,
): Dataset {
  const file = source.path;
  const notes = [...source.notes];
  const { n, d, targetDim } = checkDataShapes(inputs, targets, file, notes);
  checkFinite(inputs, d, file, indexLabel);
  checkFinite(targets, targetDim, file, indexLabel);
  return {
    n,
    d,
    targetDim,
    inputs: inputs.values,
    targets: targets.values,
    source: { ...source, inputName: inputs.name, targetName: targets.name, notes },
  };
}

/** Name and shape of an array, before (or without) its values. */
export interface ArrayShape {
  name: string;
  shape: number[];
}

/**
 * The shape rules of buildDataset, for arrays in memory and streamed ones alike: X n x d (1-D X
 * is n x 1, noted in `notes`), y n or n x c, the same n, no empty dimension.
 */
export function checkDataShapes(inputs: ArrayShape, targets: ArrayShape, file: string, notes: string[]): { n: number; d: number; targetDim: number } {
  const [n, d] = matrixShape(inputs, file, 'inputs');
  const [targetRows, targetDim] = matrixShape(targets, file, 'targets');
  if (inputs.shape.length === 1) notes.push(`inputs '${inputs.name}' are 1-D: read as ${n} rows of 1 column`);
  if (targetRows !== n) {
    throw badInput(
      file,
      `inputs '${inputs.name}' have ${n} rows but targets '${targets.name}' have ${targetRows} (shapes ${formatShape(inputs.shape)} and ${formatShape(targets.shape)})`,
    );
  }
  if (n === 0) throw badInput(file, 'the dataset has no rows');
  if (d === 0) throw badInput(file, `inputs '${inputs.name}' have no columns`);
  return { n, d, targetDim };
}

function matrixShape(array: ArrayShape, file: string, role: string): [number, number] {
  if (array.shape.length === 1) return [array.shape[0]!, 1];
  if (array.shape.length === 2) return [array.shape[0]!, array.shape[1]!];
  throw badInput(file, `${role} '${array.name}' have shape ${formatShape(array.shape)}; expected a 1-D or 2-D array`);
}

function checkFinite(
  array: DataArray,
  columns: number,
  file: string,
  indexLabel: (array: DataArray, row: number, column: number) => string,
  firstRow = 0,
): void {
  const index = firstNonFinite(array.values);
  if (index < 0) return;
  const value = array.values[index]!;
  const what = Number.isNaN(value) ? 'NaN' : 'infinite (or too large for float32)';
  throw badInput(file, `${indexLabel(array, firstRow + Math.floor(index / columns), index % columns)} is ${what}`);
}

/** Index of the first NaN or infinite value, -1 when every value is finite. */
function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // value - value is NaN exactly for NaN and the infinities, and cheaper than Number.isFinite.
    const value = values[i]!;
    if (value - value !== 0) return i;
  }
  return -1;
}

/** checkFinite for rows [firstRow, ...) of an array read in chunks: the same wording. */
export function checkFiniteRows(
  array: DataArray,
  columns: number,
  file: string,
  firstRow: number,
  indexLabel: (array: DataArray, row: number, column: number) => string = arrayIndexLabel,
): void {
  checkFinite(array, columns, file, indexLabel, firstRow);
}

export function arrayIndexLabel(array: ArrayShape, row: number, column: number): string {
  return `'${array.name}' row ${row}, column ${column} (0-based)`;
}
