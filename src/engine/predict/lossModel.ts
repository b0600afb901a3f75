/**
 * The predictor of held-out loss fitted on the reference interpolators:
 *
 *   log(L + floor) = a + b log(rho + D)     (b >= 0), or, without D,   a + c log R   (c >= 0),
 *
 * D the mean disagreement with the flattest interpolators found (disagreement.ts), R = F_sym / F_LB.
 * The form says: an interpolator's loss is the flattest ones' (rho, in units of b) plus how far it
 * strays from them between the training points. For each rho on a log grid (a, b) is least squares
 * with the sign constraint; the rho of smallest error wins. R enters only when there is no
 * flattest interpolator to measure D against: the validation study compared a + b log(rho + D)
 * + c log R with the D-only form, and leaving each task out, the other tasks always favored the
 * D-only form (docs/validation/README.md); RATIO_TERM_WITH_D switches the combined form back on.
 */
export const RATIO_TERM_WITH_D = false;

export interface LossSample {
  ratio: number;
  /** Null when no flattest interpolator was available to compare with. */
  disagreement: number | null;
  heldOutLoss: number;
  /** Sampling variance of log(heldOutLoss + floor) as an estimate of the population loss (0: exact). */
  logVariance?: number;
}

export interface LossModel {
  /** Null: the model does not use D. */
  rho: number | null;
  a: number;
  b: number;
  c: number;
  /** Added before taking logs so a zero loss stays finite. */
  floor: number;
}

export function predictLog(model: LossModel, ratio: number, disagreement: number | null): number {
  const dTerm = model.rho !== null && model.b !== 0 ? model.b * Math.log(model.rho + Math.max(0, disagreement ?? 0)) : 0;
  return model.a + dTerm + model.c * Math.log(Math.max(ratio, 1e-12));
}

export function logTarget(sample: LossSample, floor: number): number {
  return Math.log(Math.max(0, sample.heldOutLoss) + floor);
}

/** Solves the small symmetric system M beta = v (Gaussian elimination, partial pivoting). */
function solve(matrix: number[][], vector: number[]): number[] | null {
  const size = vector.length;
  const a = matrix.map((row, i) => [...row, vector[i]!]);
  for (let col = 0; col < size; col++) {
    let pivot = col;
    for (let r = col + 1; r < size; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-14) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < size; r++) {
      if (r === col) continue;
      const factor = a[r]![col]! / a[col]![col]!;
      for (let q = col; q <= size; q++) a[r]![q] = a[r]![q]! - factor * a[col]![q]!;
    }
  }
  return a.map((row, i) => row[size]! / row[i]!);
}

/** Least squares of y on an intercept and the given columns, with non-negative slopes (null if infeasible). */
function constrainedFit(columns: readonly (readonly number[])[], y: readonly number[]): { intercept: number; slopes: number[]; error: number } | null {
  const n = y.length;
  const size = columns.length + 1;
  const value = (i: number, q: number) => (q === 0 ? 1 : columns[q - 1]![i]!);
  const normal = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  const rhs = new Array<number>(size).fill(0);
  let yy = 0;
  for (let i = 0; i < n; i++) {
    yy += y[i]! * y[i]!;
    for (let p = 0; p < size; p++) {
      const vp = value(i, p);
      rhs[p] = rhs[p]! + vp * y[i]!;
      for (let q = p; q < size; q++) normal[p]![q] = normal[p]![q]! + vp * value(i, q);
    }
  }
  for (let p = 0; p < size; p++) {
    for (let q = 0; q < p; q++) normal[p]![q] = normal[q]![p]!;
    // A whisper of ridge on the slopes keeps collinear columns solvable.
    if (p > 0) normal[p]![p] = normal[p]![p]! + 1e-9 * n;
  }
  const beta = solve(normal, rhs);
  if (beta === null || beta.slice(1).some((slope) => slope < 0)) return null;
  // ||y - X beta||^2 = y'y - 2 beta'X'y + beta'X'X beta.
  let error = yy;
  for (let p = 0; p < size; p++) {
    error -= 2 * beta[p]! * rhs[p]!;
    for (let q = 0; q < size; q++) error += beta[p]! * normal[p]![q]! * beta[q]!;
  }
  return { intercept: beta[0]!, slopes: beta.slice(1), error: Math.max(0, error) };
}

/** Log-spaced grid for rho, relative to the typical held-out loss. */
function rhoGrid(samples: readonly LossSample[], floor: number): number[] {
  const losses = samples.map((s) => Math.max(s.heldOutLoss, 0) + floor).sort((p, q) => p - q);
  const scale = losses[Math.floor(losses.length / 2)] ?? 1;
  return Array.from({ length: 25 }, (_, i) => scale * Math.pow(10, -4 + i * 0.25));
}

export function fitLossModel(samples: readonly LossSample[], floor: number): LossModel {
  const y = samples.map((s) => logTarget(s, floor));
  const logR = samples.map((s) => Math.log(Math.max(s.ratio, 1e-12)));
  const haveD = samples.length > 0 && samples.every((s) => s.disagreement !== null);
  let best: LossModel = { rho: null, a: y.length ? y.reduce((s, v) => s + v, 0) / y.length : 0, b: 0, c: 0, floor };
  let bestError = y.reduce((s, v) => s + (v - best.a) ** 2, 0);
  const consider = (rho: number | null, logD: number[] | null) => {
    const sets: { d: boolean; r: boolean }[] = logD
      ? (RATIO_TERM_WITH_D ? [{ d: true, r: true }, { d: true, r: false }, { d: false, r: true }] : [{ d: true, r: false }])
      : [{ d: false, r: true }];
    for (const set of sets) {
      const columns = [...(set.d ? [logD!] : []), ...(set.r ? [logR] : [])];
      const fit = constrainedFit(columns, y);
      if (!fit || fit.error >= bestError - 1e-12) continue;
      bestError = fit.error;
      best = {
        rho: set.d ? rho : null,
        a: fit.intercept,
        b: set.d ? fit.slopes[0]! : 0,
        c: set.r ? fit.slopes[set.d ? 1 : 0]! : 0,
        floor,
      };
    }
  };
  if (!haveD || RATIO_TERM_WITH_D) consider(null, null);
  if (haveD) {
    const columnFor = (rho: number) => samples.map((s) => Math.log(rho + Math.max(0, s.disagreement!)));
    for (const rho of rhoGrid(samples, floor)) consider(rho, columnFor(rho));
    // Refine rho around the best grid value by halving steps in log10 (the grid step is 0.25).
    for (let step = 0.125; step > 0.004 && best.rho !== null; step /= 2) {
      const center = best.rho;
      for (const factor of [Math.pow(10, -step), Math.pow(10, step)]) consider(center * factor, columnFor(center * factor));
    }
  }
  return best;
}
