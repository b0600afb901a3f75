/**
 * Eigen-decomposition of a small dense symmetric matrix by cyclic Jacobi rotations (the Lanczos
 * tridiagonal matrices are at most a few hundred wide). Returns eigenvalues in ascending order
 * and the matching eigenvectors as columns: vectors[i * size + k] is component i of vector k.
 */
export function symmetricEigen(matrix: Float64Array, size: number): { values: Float64Array; vectors: Float64Array } {
  const a = matrix.slice();
  const v = new Float64Array(size * size);
  for (let i = 0; i < size; i++) v[i * size + i] = 1;
  let scale = 0;
  for (let e = 0; e < a.length; e++) scale = Math.max(scale, Math.abs(a[e]!));
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < size; p++) for (let q = p + 1; q < size; q++) off += a[p * size + q]! ** 2;
    if (off <= (1e-30 * scale) ** 2 || off === 0) break;
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q]!;
        if (apq === 0) continue;
        const app = a[p * size + p]!;
        const aqq = a[q * size + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < size; k++) {
          const akp = a[k * size + p]!;
          const akq = a[k * size + q]!;
          a[k * size + p] = cs * akp - sn * akq;
          a[k * size + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p * size + k]!;
          const aqk = a[q * size + k]!;
          a[p * size + k] = cs * apk - sn * aqk;
          a[q * size + k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < size; k++) {
          const vkp = v[k * size + p]!;
          const vkq = v[k * size + q]!;
          v[k * size + p] = cs * vkp - sn * vkq;
          v[k * size + q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((x, y) => a[x * size + x]! - a[y * size + y]!);
  const values = new Float64Array(size);
  const vectors = new Float64Array(size * size);
  order.forEach((source, target) => {
    values[target] = a[source * size + source]!;
    for (let i = 0; i < size; i++) vectors[i * size + target] = v[i * size + source]!;
  });
  return { values, vectors };
}

/** Eigen-decomposition of the symmetric tridiagonal matrix with diagonal alphas and off-diagonal betas. */
export function tridiagonalEigen(alphas: readonly number[], betas: readonly number[]): { values: Float64Array; vectors: Float64Array } {
  const size = alphas.length;
  const matrix = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    matrix[i * size + i] = alphas[i]!;
    if (i + 1 < size) {
      matrix[i * size + i + 1] = betas[i]!;
      matrix[(i + 1) * size + i] = betas[i]!;
    }
  }
  return symmetricEigen(matrix, size);
}
