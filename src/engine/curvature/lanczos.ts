import type { ComputeContext } from '../compute/context';
import { throwIfCancelled } from '../compute/context';
import { tridiagonalEigen } from './symmetricEigen';

/**
 * Symmetric linear operators applied to several vectors at once (one data pass per batch).
 * `runs[i]` says which Lanczos process vector i belongs to, so that processes on different
 * (related) operators can share one batch.
 */
export interface SymmetricOperator {
  size: number;
  apply(vectors: Float64Array[], runs: number[], context?: ComputeContext): Promise<Float64Array[]>;
}

export function dot(x: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * y[i]!;
  return sum;
}

/**
 * w -= Q Q^T w for the orthonormal basis Q (one classical Gram-Schmidt pass), four basis vectors
 * per sweep so that w is read once per four projections.
 */
export function orthogonalize(w: Float64Array, basis: Float64Array[]): void {
  const length = w.length;
  const projections = new Float64Array(basis.length);
  let k = 0;
  for (; k + 4 <= basis.length; k += 4) {
    const q0 = basis[k]!, q1 = basis[k + 1]!, q2 = basis[k + 2]!, q3 = basis[k + 3]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < length; i++) {
      const value = w[i]!;
      s0 += value * q0[i]!;
      s1 += value * q1[i]!;
      s2 += value * q2[i]!;
      s3 += value * q3[i]!;
    }
    projections[k] = s0; projections[k + 1] = s1; projections[k + 2] = s2; projections[k + 3] = s3;
  }
  for (; k < basis.length; k++) projections[k] = dot(w, basis[k]!);
  k = 0;
  for (; k + 4 <= basis.length; k += 4) {
    const q0 = basis[k]!, q1 = basis[k + 1]!, q2 = basis[k + 2]!, q3 = basis[k + 3]!;
    const p0 = projections[k]!, p1 = projections[k + 1]!, p2 = projections[k + 2]!, p3 = projections[k + 3]!;
    for (let i = 0; i < length; i++) w[i] = w[i]! - p0 * q0[i]! - p1 * q1[i]! - p2 * q2[i]! - p3 * q3[i]!;
  }
  for (; k < basis.length; k++) subtractScaled(w, projections[k]!, basis[k]!);
}

/** w -= scale * q, in place. */
export function subtractScaled(w: Float64Array, scale: number, q: Float64Array): void {
  for (let i = 0; i < w.length; i++) w[i] = w[i]! - scale * q[i]!;
}

export function norm(x: Float64Array): number {
  return Math.sqrt(dot(x, x));
}

/** One Lanczos process: its tridiagonal coefficients and orthonormal basis. */
export interface LanczosRun {
  alphas: number[];
  betas: number[];
  basis: Float64Array[];
  /** True when beta fell to rounding level: the Krylov space is invariant and the Ritz values exact. */
  exhausted: boolean;
}

export interface LanczosOptions {
  /** Largest number of steps for each process. */
  maxSteps: number;
  /** Called after every step of a process; return true to stop that process early. */
  shouldStop?: (index: number, run: LanczosRun) => boolean;
  context?: ComputeContext;
}

/**
 * Runs one Lanczos process per start vector, in lockstep so that each step is one batched
 * operator application, with full reorthogonalization against the whole basis: the Ritz values
 * are then free of the ghost copies of plain Lanczos.
 */
export async function lanczos(operator: SymmetricOperator, starts: Float64Array[], options: LanczosOptions): Promise<LanczosRun[]> {
  const runs: LanczosRun[] = starts.map((start) => {
    const length = norm(start);
    if (!(length > 0)) throw new RangeError('Lanczos start vector is zero');
    return { alphas: [], betas: [], basis: [start.map((x) => x / length)], exhausted: false };
  });
  const maxSteps = Math.min(options.maxSteps, operator.size);
  const active = new Set(runs.map((_, index) => index));
  while (active.size > 0) {
    throwIfCancelled(options.context);
    const indices = [...active];
    const products = await operator.apply(
      indices.map((index) => runs[index]!.basis[runs[index]!.basis.length - 1]!), indices, options.context);
    indices.forEach((index, position) => {
      const run = runs[index]!;
      const w = products[position]!;
      const current = run.basis[run.basis.length - 1]!;
      const alpha = dot(w, current);
      run.alphas.push(alpha);
      // Classical Gram-Schmidt against the whole basis, repeated once when it cancelled most of w
      // ("twice is enough", Kahan-Parlett): the basis stays orthogonal to rounding level.
      let before = norm(w);
      let beta = before;
      for (let pass = 0; pass < 2; pass++) {
        orthogonalize(w, run.basis);
        beta = norm(w);
        if (beta > 0.7 * before) break;
        before = beta;
      }
      const scale = Math.max(...run.alphas.map(Math.abs), ...run.betas.map(Math.abs), 1e-300);
      const stop = (): void => { active.delete(index); };
      if (beta <= 1e-10 * scale) {
        run.exhausted = true;
        stop();
        return;
      }
      run.betas.push(beta);
      if (run.alphas.length >= maxSteps || options.shouldStop?.(index, run)) {
        stop();
        return;
      }
      const next = new Float64Array(w.length);
      for (let i = 0; i < w.length; i++) next[i] = w[i]! / beta;
      run.basis.push(next);
    });
    const longest = Math.max(...runs.map((run) => run.alphas.length));
    options.context?.onProgress?.('Lanczos', Math.min(1, longest / maxSteps));
  }
  return runs;
}

/** Ritz pairs of a finished run: values ascending, residual estimates |beta_K s_K|, vectors on demand. */
export interface RitzPairs {
  values: Float64Array;
  residuals: Float64Array;
  /** Ritz vector k (in the operator's space), computed from the basis. */
  vector(k: number): Float64Array;
  /** First components of the eigenvectors of T, squared: the Gauss quadrature weights. */
  weights: Float64Array;
}

export function ritzPairs(run: LanczosRun): RitzPairs {
  const size = run.alphas.length;
  const { values, vectors } = tridiagonalEigen(run.alphas, run.betas.slice(0, size - 1));
  const lastBeta = run.exhausted ? 0 : run.betas[size - 1] ?? 0;
  const residuals = new Float64Array(size);
  const weights = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    residuals[k] = Math.abs(lastBeta * vectors[(size - 1) * size + k]!);
    weights[k] = vectors[k]! ** 2;
  }
  return {
    values,
    residuals,
    weights,
    vector(k: number): Float64Array {
      const dimension = run.basis[0]!.length;
      const result = new Float64Array(dimension);
      for (let i = 0; i < size; i++) {
        const coefficient = vectors[i * size + k]!;
        const q = run.basis[i]!;
        for (let p = 0; p < dimension; p++) result[p] = result[p]! + coefficient * q[p]!;
      }
      return result;
    },
  };
}
