/**
 * Jackknife (leave-one-out) conformal intervals for a fitted regression, and an honest check of
 * them. With K exchangeable calibration points and out-of-fit residuals r_1..r_K, the interval
 * fit(x) +- |r|_(k), k = ceil((1 - alpha)(K + 1)) (the (1 - alpha)(1 + 1/K) empirical quantile),
 * covers a new point with probability >= 1 - alpha (split conformal; for the jackknife this holds
 * up to the leave-one-out fits' stability). With too few points (k > K) no finite interval has
 * the level, and none is given.
 *
 * Targets with known noise. When target k is a noisy estimate (variance v_k) of the quantity the
 * interval is meant for, each residual is r_k = e_k + eps_k, misfit plus noise, and the interval
 * is wanted for e alone. The scores are normalized, s_k = |r_k| / sqrt(sigma^2 + v_k), with
 * sigma^2 = mean(r_k^2 - v_k) the moment estimate of the misfit's variance, and the half width for
 * a target of noise variance v is |s|_(k) sqrt(sigma^2 + v). When e and eps have the same shape up
 * to scale (both Gaussian, say) the scores of the calibration points and of a new target with
 * any v are exchangeable, so the level holds for a noise-free target (v = 0) as for a noisy one.
 * Subtracting v_k from each r_k^2 instead is right on average but not at the top ranks the
 * quantile reads, where the noise contributes more than its variance (for Gaussian e and eps at
 * the 80% rank about 1.64 v_k, of which 0.64 v_k stays): that interval over-covers the noise-free
 * target, and does not improve with more points.
 */

/** Fits a predictor on a subset of the points. */
export type Fitter<P> = (points: readonly P[]) => (point: P) => number;

/** Rank of the order statistic of |residual| that gives the level, or null when K is too small. */
export function conformalRank(count: number, level: number): number | null {
  if (!(level > 0 && level < 1) || count < 1) return null;
  // The small epsilon keeps e.g. 0.8 * 15 = 12.000000000000002 at 12.
  const rank = Math.max(1, Math.ceil(level * (count + 1) - 1e-9));
  return rank <= count ? rank : null;
}

/** Fewest points for which the level is attainable: ceil(level / (1 - level)). */
export function minimumPointsFor(level: number): number {
  return Math.ceil(level / (1 - level) - 1e-9);
}

/** Variance of the noise in a point's target (sampling noise of a held-out estimate); none by default. */
export type TargetNoise<P> = (point: P) => number;

/** r_k = y_k - fit_{-k}(x_k): each point predicted by a fit that never saw it. */
export function leaveOneOutResiduals<P>(points: readonly P[], fitter: Fitter<P>, target: (point: P) => number): number[] {
  return points.map((point, k) => {
    const others = points.filter((_, i) => i !== k);
    return target(point) - fitter(others)(point);
  });
}

/** The half width |r|_(rank) of the interval, or null when the level is not attainable. */
export function conformalHalfWidth(residuals: readonly number[], level: number): number | null {
  const rank = conformalRank(residuals.length, level);
  if (rank === null) return null;
  const sorted = residuals.map(Math.abs).sort((a, b) => a - b);
  return sorted[rank - 1]!;
}

/** The normalized conformal quantile for targets with known noise (see the module comment). */
export interface ConformalScale {
  /** |s|_(rank) of the normalized scores s_k = r_k / sqrt(misfitVariance + v_k). */
  quantile: number;
  /** Variance of the residuals the targets' noise does not explain (mean r_k^2 when the noise is not separated). */
  misfitVariance: number;
  /**
   * False when mean(r_k^2 - v_k) is not positive (the misfit cannot be told apart from the noise):
   * then the scale is the plain jackknife's, for targets as noisy as the calibration's, whatever
   * the target's noise (it over-covers a noise-free target).
   */
  noiseSeparated: boolean;
}

export function conformalScale(residuals: readonly number[], variances: readonly number[], level: number): ConformalScale | null {
  const count = residuals.length;
  if (conformalRank(count, level) === null) return null;
  const meanSquare = residuals.reduce((sum, r) => sum + r * r, 0) / count;
  const misfit = meanSquare - variances.reduce((sum, v) => sum + v, 0) / count;
  const noiseSeparated = misfit > 0;
  const misfitVariance = noiseSeparated ? misfit : meanSquare;
  if (!(misfitVariance > 0)) return { quantile: 0, misfitVariance: 0, noiseSeparated };
  const scores = residuals.map((r, k) => r / Math.sqrt(misfitVariance + (noiseSeparated ? variances[k]! : 0)));
  return { quantile: conformalHalfWidth(scores, level)!, misfitVariance, noiseSeparated };
}

/** Half width of the interval for a target with noise variance `targetVariance` (0: the noise-free quantity). */
export function scaleHalfWidth(scale: ConformalScale, targetVariance = 0): number {
  return scale.quantile * Math.sqrt(scale.misfitVariance + (scale.noiseSeparated ? targetVariance : 0));
}

/** The scale from each point's leave-one-out residual and its target's noise variance. */
export function leaveOneOutScale<P>(points: readonly P[], fitter: Fitter<P>, target: (point: P) => number, level: number, noise?: TargetNoise<P>): ConformalScale | null {
  return conformalScale(leaveOneOutResiduals(points, fitter, target), points.map((p) => noise?.(p) ?? 0), level);
}

export interface HeldOutCoverage {
  /** Points whose target lies inside the interval built without them. */
  inside: number;
  /** Points checked (those for which the others give an interval at the level). */
  checked: number;
}

/**
 * Coverage measured on points held out of everything: for each point, the fit and the interval's
 * scale are computed from the other points only, and the point's own (noisy) target is checked
 * against the interval for a target of its noise variance. Unlike the share of residuals under
 * their own quantile, this can come out low.
 */
export function heldOutCoverage<P>(points: readonly P[], fitter: Fitter<P>, target: (point: P) => number, level: number, noise?: TargetNoise<P>): HeldOutCoverage {
  let inside = 0;
  let checked = 0;
  for (let k = 0; k < points.length; k++) {
    const others = points.filter((_, i) => i !== k);
    const scale = leaveOneOutScale(others, fitter, target, level, noise);
    if (scale === null) continue;
    checked++;
    const point = points[k]!;
    if (Math.abs(target(point) - fitter(others)(point)) <= scaleHalfWidth(scale, noise?.(point) ?? 0)) inside++;
  }
  return { inside, checked };
}
