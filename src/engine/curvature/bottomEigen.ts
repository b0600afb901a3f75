import type { ComputeContext } from '../compute/context';
import { type LanczosRun, type SymmetricOperator, lanczos, norm, orthogonalize, ritzPairs } from './lanczos';
import type { SeededRandom } from '../math/random';

/**
 * The k smallest eigenvalues of several symmetric operators ("views"), with a criterion that
 * certifies them as the smallest rather than merely as eigenvalues:
 *
 * 1. Lanczos with full reorthogonalization on the operator deflated by the pairs locked so far,
 *    P H P with P = I - Y Y^T, from a fresh random start orthogonal to Y;
 * 2. lock every Ritz pair at the bottom whose residual r is <= tolerance * scale, with r^2 / gap too
 *    (resolved from its neighbors, Kato-Temple), and that is smaller
 *    than the k-th locked value (a single Krylov space holds one copy of a repeated eigenvalue, so a
 *    null space of dimension 21 needs the restarts to come out as 21 zeros);
 * 3. stop when a fresh deflated run's smallest Ritz value theta_1 has converged, or theta_1 - r_1 is
 *    not below the k-th locked value: the extreme Ritz value of a random-start Krylov space moves to
 *    the smallest eigenvalue of the complement first, and nothing smaller showed up. Otherwise (step
 *    or round cap) the values are reported as not converged.
 */
export interface BottomOptions {
  k: number;
  /** Relative residual tolerance: ||H v - lambda v|| <= tolerance * scale. */
  tolerance: number;
  /** Per view, the spectral scale max |lambda| the tolerance is relative to. */
  scales: number[];
  /** Lanczos steps per round. */
  maxSteps: number;
  maxRounds?: number;
  random: SeededRandom;
  context?: ComputeContext;
  /** Per view, a finished Lanczos run on the undeflated operator whose converged pairs may be locked. */
  initial?: Array<LanczosRun | null>;
}

export interface BottomResult {
  /** Smallest first; up to k values (fewer only when the operator is smaller). */
  values: number[];
  residuals: number[];
  converged: boolean[];
  /** True when the verification run found nothing below the k-th value. */
  certified: boolean;
  /** Operator applications spent. */
  products: number;
  rounds: number;
  notes: string[];
}

interface Locked { value: number; residual: number; vector: Float64Array }

interface ViewState {
  locked: Locked[];
  done: boolean;
  certified: boolean;
  products: number;
  rounds: number;
  /** Unconverged bottom Ritz values of the last run, reported when fewer than k were locked. */
  fallback: Array<{ value: number; residual: number }>;
  notes: string[];
}

/**
 * Ritz pair j is accepted when its residual r is within the tolerance and, relative to the gap to
 * the neighboring Ritz values, small enough that the Kato-Temple bound r^2 / gap on its distance
 * to an eigenvalue is too: a Ritz value inside an unresolved cluster is not an eigenvalue yet.
 */
function resolved(values: Float64Array, residuals: Float64Array, j: number, tolerance: number, exact: boolean): boolean {
  if (exact) return true;
  const r = residuals[j]!;
  if (!(r <= tolerance)) return false;
  let gap = Infinity;
  if (j > 0) gap = Math.min(gap, values[j]! - values[j - 1]!);
  if (j + 1 < values.length) gap = Math.min(gap, values[j + 1]! - values[j]!);
  return r * r <= tolerance * gap;
}

function project(vector: Float64Array, locked: Locked[]): Float64Array {
  if (locked.length === 0) return vector;
  const basis = locked.map((pair) => pair.vector);
  const result = vector.slice();
  orthogonalize(result, basis);
  orthogonalize(result, basis);
  return result;
}

export async function smallestEigenpairs(
  operator: SymmetricOperator,
  viewCount: number,
  options: BottomOptions,
): Promise<BottomResult[]> {
  const size = operator.size;
  const k = Math.min(options.k, size);
  const maxRounds = options.maxRounds ?? k + 3;
  const states: ViewState[] = Array.from({ length: viewCount }, () => ({
    locked: [], done: k === 0, certified: k === 0, products: 0, rounds: 0, fallback: [], notes: [],
  }));
  const tolerance = (view: number): number => options.tolerance * options.scales[view]!;
  const complement = (view: number): number => size - states[view]!.locked.length;

  /** Locks what a finished (deflated) run found for one view, or concludes the search. */
  const absorb = (view: number, run: LanczosRun, concluding = true): void => {
    const state = states[view]!;
    if (concluding) state.rounds++;
    const pairs = ritzPairs(run);
    const tol = tolerance(view);
    const kth = state.locked.length >= k ? state.locked[k - 1]!.value : Infinity;
    // Ritz values of the deflated operator on the complement; the locked directions are excluded.
    const fresh: Locked[] = [];
    let smallestConverged = true;
    for (let j = 0; j < pairs.values.length; j++) {
      if (!resolved(pairs.values, pairs.residuals, j, tol, run.exhausted)) { if (j === 0) smallestConverged = false; break; }
      if (!(pairs.values[j]! < kth - tol) && state.locked.length + fresh.length >= k) break;
      const vector = project(pairs.vector(j), state.locked);
      const length = norm(vector);
      if (!(length > 0.5)) continue;
      for (let p = 0; p < vector.length; p++) vector[p] = vector[p]! / length;
      fresh.push({ value: pairs.values[j]!, residual: pairs.residuals[j]!, vector });
      if (fresh.length >= k) break;
    }
    state.fallback = Array.from({ length: Math.min(k, pairs.values.length) }, (_, j) => ({ value: pairs.values[j]!, residual: pairs.residuals[j]! }));
    if (fresh.length === 0) {
      if (!concluding) return;
      state.done = true;
      // Nothing converged below the k-th value, and the interval [theta_1 - r_1, theta_1 + r_1]
      // that holds an eigenvalue of the complement lies above it: the k locked ones are the smallest.
      const clear = pairs.values.length > 0 && pairs.values[0]! - pairs.residuals[0]! >= kth - tol;
      if (state.locked.length >= k && (smallestConverged || clear)) state.certified = true;
      else if (complement(view) === 0) state.certified = state.locked.length >= k;
      else state.notes.push(`the smallest eigenvalues did not converge in ${run.alphas.length} Lanczos steps (round ${state.rounds})`);
      return;
    }
    const orthonormal: Locked[] = [];
    for (const pair of fresh) {
      const vector = project(pair.vector, [...state.locked, ...orthonormal]);
      const length = norm(vector);
      if (!(length > 0.5)) continue;
      for (let p = 0; p < vector.length; p++) vector[p] = vector[p]! / length;
      orthonormal.push({ ...pair, vector });
    }
    state.locked = [...state.locked, ...orthonormal].sort((x, y) => x.value - y.value).slice(0, k);
    if (complement(view) === 0) { state.done = true; state.certified = state.locked.length >= k; }
  };

  // A finished undeflated run (the top-eigenvalue run) seeds the locked set: its converged bottom
  // Ritz pairs are locked, and the first deflated run is then already a verification run.
  options.initial?.forEach((run, view) => { if (run && !states[view]!.done) absorb(view, run, false); });

  for (let round = 0; round < maxRounds; round++) {
    const views = states.flatMap((state, view) => (state.done ? [] : [view]));
    if (views.length === 0) break;
    const starts: Float64Array[] = [];
    for (const view of views) {
      let start = project(options.random.normals(size), states[view]!.locked);
      if (!(norm(start) > 0)) start = project(options.random.normals(size), states[view]!.locked);
      starts.push(start);
    }
    const deflated: SymmetricOperator = {
      size,
      async apply(vectors, runs, context) {
        const inputs = vectors.map((vector, i) => project(vector, states[views[runs[i]!]!]!.locked));
        const outputs = await operator.apply(inputs, runs.map((run) => views[run]!), context);
        runs.forEach((run) => { states[views[run]!]!.products++; });
        return outputs.map((output, i) => project(output, states[views[runs[i]!]!]!.locked));
      },
    };
    const runs = await lanczos(deflated, starts, {
      maxSteps: options.maxSteps,
      context: options.context,
      shouldStop: (index, run) => {
        const view = views[index]!;
        const steps = run.alphas.length;
        if (steps >= complement(view)) return true;
        const need = Math.max(1, Math.min(k - states[view]!.locked.length, complement(view)));
        if (steps < need + 2 || steps % 2 !== 0) return false;
        const pairs = ritzPairs(run);
        for (let j = 0; j < Math.min(need + 1, pairs.values.length); j++) {
          if (pairs.residuals[j]! > tolerance(view)) return false;
        }
        return true;
      },
    });
    runs.forEach((run, index) => absorb(views[index]!, run));
  }

  return states.map((state) => {
    const notes = [...state.notes];
    if (!state.done) notes.push(`the search for the smallest eigenvalues stopped after ${state.rounds} deflated Lanczos rounds before a verification run confirmed them`);
    const values = state.locked.map((pair) => pair.value);
    const residuals = state.locked.map((pair) => pair.residual);
    const converged = state.locked.map(() => state.certified);
    for (const extra of state.fallback) {
      if (values.length >= k) break;
      if (values.some((value) => value === extra.value)) continue;
      values.push(extra.value);
      residuals.push(extra.residual);
      converged.push(false);
    }
    const order = values.map((_, i) => i).sort((x, y) => values[x]! - values[y]!);
    return {
      values: order.map((i) => values[i]!),
      residuals: order.map((i) => residuals[i]!),
      converged: order.map((i) => converged[i]!),
      certified: state.certified,
      products: state.products,
      rounds: state.rounds,
      notes,
    };
  });
}
