const TILE = 32;

/** rows x cols row-major float64 -> cols x rows row-major float32, in cache-sized tiles. */
export function transposeToFloat32(values: Float64Array, rows: number, cols: number): Float32Array {
  const result = new Float32Array(rows * cols);
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        for (let col = c0; col < c1; col++) result[col * rows + r] = values[r * cols + col]!;
      }
    }
  }
  return result;
}
