/** A named array read from a model or data file, converted to float64 in C (row-major) order. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float64Array;
  /** The dtype as the file stored it, e.g. '<f4', 'F32', 'json'. */
  dtype: string;
}

/** True for dtypes that hold floating-point values (the only ones accepted for weights). */
export function isFloatDtype(dtype: string): boolean {
  return /^([<>=|]?f\d+|F\d+|BF16|json)$/i.test(dtype);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
