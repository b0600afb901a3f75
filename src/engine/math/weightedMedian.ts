/**
 * min over c in R^dim of S(c) = sum_i w_i ||y_i - c||, the weighted (geometric) median problem that
 * the certified bound with an output bias needs (FLATNESS.md section 4). One dimension: the
 * weighted median, exact. Several: Weiszfeld's iteration with the Vardi-Zhang step at data
 * points, and a certified lower bound from the dual problem
 *   max { sum_i v_i . y_i : ||v_i|| <= w_i, sum_i v_i = 0 }  <=  min_c S(c),
 * so the returned `value` never exceeds the true minimum, however early the iteration stops.
 */
export interface WeightedMedianResult {
  /** A certified lower bound on min_c S(c) (the exact minimum in one dimension, up to rounding). */
  value: number;
  /** S at `center`: an upper bound on the minimum. */
  upper: number;
  center: Float64Array;
  iterations: number;
}

export interface WeightedMedianOptions {
  /** Stop when upper - value <= relativeGap * upper. */
  relativeGap?: number;
  maxIterations?: number;
}

/** S(c) = sum_i w_i ||y_i - c|| for row-major points (n x dim). */
export function weightedDistanceSum(points: Float64Array, weights: Float64Array, dim: number, center: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]! * distance(points, i, dim, center);
  return total;
}

export function minimizeWeightedDistanceSum(
  points: Float64Array,
  weights: Float64Array,
  dim: number,
  options: WeightedMedianOptions = {},
): WeightedMedianResult {
  const n = weights.length;
  if (n === 0) return { value: 0, upper: 0, center: new Float64Array(dim), iterations: 0 };
  if (dim === 1) return weightedMedian1d(points, weights);
  // About 3e7 multiply-adds of iterations by default (each iteration is a few passes over the points);
  // an early stop only loosens the certified value, never invalidates it.
  const affordable = Math.max(20, Math.min(2000, Math.floor(3e7 / (n * dim))));
  return weiszfeld(points, weights, dim, options.relativeGap ?? 1e-12, options.maxIterations ?? affordable);
}

function distance(points: Float64Array, i: number, dim: number, center: ArrayLike<number>): number {
  let squared = 0;
  for (let o = 0; o < dim; o++) squared += (points[i * dim + o]! - center[o]!) ** 2;
  return Math.sqrt(squared);
}

function weightedMedian1d(values: Float64Array, weights: Float64Array): WeightedMedianResult {
  const order = Array.from(values.keys()).sort((p, q) => values[p]! - values[q]!);
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  // The first value where the cumulative weight reaches half the total minimizes the
  // piecewise-linear convex sum: its left slope is <= 0 and its right slope >= 0.
  let cumulative = 0;
  let median = values[order[order.length - 1]!]!;
  for (const i of order) {
    cumulative += weights[i]!;
    if (2 * cumulative >= total) { median = values[i]!; break; }
  }
  const center = Float64Array.of(median);
  const value = weightedDistanceSum(values, weights, 1, center);
  return { value, upper: value, center, iterations: 0 };
}

/** Weighted coordinate mean: the start of the iteration. */
function weightedMean(points: Float64Array, weights: Float64Array, dim: number): Float64Array {
  const center = new Float64Array(dim);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i]!;
    for (let o = 0; o < dim; o++) center[o] = center[o]! + weights[i]! * points[i * dim + o]!;
  }
  if (total > 0) for (let o = 0; o < dim; o++) center[o] = center[o]! / total;
  return center;
}

/**
 * Lower bound from dual vectors built at `center`: v_i = w_i (y_i - c) / ||y_i - c|| (for points at
 * the center, the subgradient that best cancels the rest), shifted to sum to zero and shrunk
 * back into the balls ||v_i|| <= w_i.
 */
function dualBound(points: Float64Array, weights: Float64Array, dim: number, center: Float64Array): number {
  const n = weights.length;
  const duals = new Float64Array(n * dim);
  const atCenter: number[] = [];
  const pull = new Float64Array(dim);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += weights[i]!;
    const d = distance(points, i, dim, center);
    if (d === 0) { atCenter.push(i); continue; }
    for (let o = 0; o < dim; o++) {
      const v = (weights[i]! * (points[i * dim + o]! - center[o]!)) / d;
      duals[i * dim + o] = v;
      pull[o] = pull[o]! + v;
    }
  }
  if (!(total > 0)) return 0;
  // Points sitting at the center absorb as much of -pull as their balls allow.
  let remaining = Math.sqrt(pull.reduce((s, v) => s + v * v, 0));
  for (const i of atCenter) {
    if (!(remaining > 0)) break;
    const share = Math.min(1, weights[i]! / remaining);
    for (let o = 0; o < dim; o++) {
      const v = -pull[o]! * share;
      duals[i * dim + o] = v;
      pull[o] = pull[o]! + v;
    }
    remaining = Math.sqrt(pull.reduce((s, v) => s + v * v, 0));
  }
  const shrink = 1 / (1 + remaining / total);
  let value = 0;
  for (let i = 0; i < n; i++) {
    const share = weights[i]! / total;
    for (let o = 0; o < dim; o++) {
      const v = (duals[i * dim + o]! - pull[o]! * share) * shrink;
      value += v * (points[i * dim + o]! - center[o]!);
    }
  }
  return value;
}

function nearestPoint(points: Float64Array, dim: number, center: Float64Array): number {
  let nearest = 0;
  let smallest = Infinity;
  for (let i = 0; i < points.length / dim; i++) {
    const d = distance(points, i, dim, center);
    if (d < smallest) { smallest = d; nearest = i; }
  }
  return nearest;
}

function weiszfeld(points: Float64Array, weights: Float64Array, dim: number, relativeGap: number, maxIterations: number): WeightedMedianResult {
  const n = weights.length;
  let center = weightedMean(points, weights, dim);
  let upper = weightedDistanceSum(points, weights, dim, center);
  let lower = dualBound(points, weights, dim, center);
  let best = center;
  let iterations = 0;
  while (iterations < maxIterations && upper - lower > relativeGap * upper) {
    iterations++;
    const numerator = new Float64Array(dim);
    let denominator = 0;
    const pull = new Float64Array(dim);
    let coincident = -1;
    for (let i = 0; i < n; i++) {
      const d = distance(points, i, dim, center);
      if (d === 0) { coincident = i; continue; }
      const q = weights[i]! / d;
      denominator += q;
      for (let o = 0; o < dim; o++) {
        numerator[o] = numerator[o]! + q * points[i * dim + o]!;
        pull[o] = pull[o]! + q * (points[i * dim + o]! - center[o]!);
      }
    }
    if (!(denominator > 0)) break;
    const next = new Float64Array(dim);
    for (let o = 0; o < dim; o++) next[o] = numerator[o]! / denominator;
    if (coincident >= 0) {
      // Vardi-Zhang: at a data point, move only as far as its own weight does not hold the center.
      const strength = Math.sqrt(pull.reduce((s, v) => s + v * v, 0));
      const hold = strength > 0 ? Math.min(1, weights[coincident]! / strength) : 1;
      for (let o = 0; o < dim; o++) next[o] = (1 - hold) * next[o]! + hold * center[o]!;
    }
    center = next;
    const value = weightedDistanceSum(points, weights, dim, center);
    if (value < upper) { upper = value; best = center; }
    lower = Math.max(lower, dualBound(points, weights, dim, center));
    // Weiszfeld approaches a minimum at a data point only sublinearly: try the nearest data point
    // itself, where the dual certificate is exact when it is the minimum.
    const nearest = nearestPoint(points, dim, center);
    const vertex = points.slice(nearest * dim, (nearest + 1) * dim);
    const atVertex = weightedDistanceSum(points, weights, dim, vertex);
    if (atVertex < upper) { upper = atVertex; best = vertex; }
    lower = Math.max(lower, dualBound(points, weights, dim, vertex));
    if (coincident >= 0 && center.every((v, o) => v === points[coincident * dim + o])) break;
  }
  return { value: Math.min(lower, upper), upper, center: best, iterations };
}
