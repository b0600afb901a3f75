/**
 * Jackknife (leave-one-out) conformal intervals for a fitted regression, and an honest check of
 * them. With K exchangeable calibration points and out-of-fit residuals r_1..r_K, the interval
 * fit(x) +- |r|_(k), k = ceil((1 - alpha)(K + 1)) (the (1 - alpha)(1 + 1/K) empirical quantile),
 * covers a new point with probability >= 1 - alpha (split conformal; for the jackknife this holds
 * up to the leave-one-out fits' stability). With too few points (k > K) no finite interval has
 * the level, and none is given.
 */

/** Fits a predictor on a subset of the points. */
export type Fitter<P> = (points: readonly P[]) => (point: P) => number;

/** Rank of the order statistic of |residual| that gives the level, or null when K is too small. */
export function conformalRank(count: number, level: number): number | null {
  if (!(level > 0 && level < 1) || count < 1) return null;
  // The small epsilon keeps e.g. 0.8 * 15 = 12.000000000000002 at 12.
  const rank = Math.ceil(level * (count + 1) - 1e-9);
  return rank <= count ? rank : null;
}

/** Fewest points for which the level is attainable: ceil(level / (1 - level)). */
export function minimumPointsFor(level: number): number {
  return Math.ceil(level / (1 - level) - 1e-9);
}

/**
 * The part of a residual r not explained by known noise of variance v in its target:
 * sign(r) sqrt(max(0, r^2 - v)). With v = 0 it is r.
 */
export function denoised(residual: number, variance: number): number {
  return variance > 0 ? Math.sign(residual) * Math.sqrt(Math.max(0, residual * residual - variance)) : residual;
}

/** Variance of the noise in a point's target (sampling noise of a held-out estimate); none by default. */
export type TargetNoise<P> = (point: P) => number;

/** r_k = y_k - fit_{-k}(x_k): each point predicted by a fit that never saw it (less its target's known noise). */
export function leaveOneOutResiduals<P>(points: readonly P[], fitter: Fitter<P>, target: (point: P) => number, noise?: TargetNoise<P>): number[] {
  return points.map((point, k) => {
    const others = points.filter((_, i) => i !== k);
    return denoised(target(point) - fitter(others)(point), noise?.(point) ?? 0);
  });
}

/** The half width |r|_(rank) of the interval, or null when the level is not attainable. */
export function conformalHalfWidth(residuals: readonly number[], level: number): number | null {
  const rank = conformalRank(residuals.length, level);
  if (rank === null) return null;
  const sorted = residuals.map(Math.abs).sort((a, b) => a - b);
  return sorted[rank - 1]!;
}

export interface HeldOutCoverage {
  /** Points whose target lies inside the interval built without them. */
  inside: number;
  /** Points checked (those for which the others give an interval at the level). */
  checked: number;
}

/**
 * Coverage measured on points held out of everything: for each point, the fit and the interval's
 * quantile are computed from the other points only, and the point is checked against that
 * interval. Unlike the share of residuals under their own quantile, this can come out low.
 */
export function heldOutCoverage<P>(points: readonly P[], fitter: Fitter<P>, target: (point: P) => number, level: number, noise?: TargetNoise<P>): HeldOutCoverage {
  let inside = 0;
  let checked = 0;
  for (let k = 0; k < points.length; k++) {
    const others = points.filter((_, i) => i !== k);
    const halfWidth = conformalHalfWidth(leaveOneOutResiduals(others, fitter, target, noise), level);
    if (halfWidth === null) continue;
    checked++;
    const point = points[k]!;
    if (Math.abs(denoised(target(point) - fitter(others)(point), noise?.(point) ?? 0)) <= halfWidth) inside++;
  }
  return { inside, checked };
}
