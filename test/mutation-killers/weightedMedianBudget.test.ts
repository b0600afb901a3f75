/**
 * The default iteration budget of the weighted geometric median (src/engine/math/weightedMedian.ts):
 * about 3e7 multiply-adds of iterations, at least 20, at most 2000. A test of it costs that budget,
 * so it lives apart from weightedMedian.test.ts, which the mutation run executes once per mutant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeWeightedDistanceSum } from '../../src/engine/math/weightedMedian';

const F = Float64Array;

/** (-3, 0), (3, 0), (0, 3) with weight 1 and (0, 1) with weight 0.25: the weighted mean is the light point (0, 1). */
const KITE = { points: F.of(-3, 0, 3, 0, 0, 3, 0, 1), weights: F.of(1, 1, 1, 0.25) };

/** The minimum lies on x = 0 by symmetry: golden-section search of a convex function of y. */
function kiteMinimum(): number {
  const f = (y: number) => 2 * Math.sqrt(9 + y * y) + Math.abs(3 - y) + 0.25 * Math.abs(y - 1);
  let lo = 0;
  let hi = 3;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 200; k++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (f(a) < f(b)) hi = b; else lo = a;
  }
  return f((lo + hi) / 2);
}

test('the default iteration budget: about 3e7 multiply-adds (at least 20, at most 2000) stops a slow iteration', () => {
  // The light kite needs 127 iterations to close a gap of 0 (as far as rounding lets it); embedded
  // in 75 000 dimensions (n dim = 3e5) the budget is 3e7 / 3e5 = 100 iterations.
  const dim = 75_000;
  const { points: plane, weights } = KITE;
  const points = new F(4 * dim);
  for (let i = 0; i < 4; i++) points.set(plane.subarray(2 * i, 2 * i + 2), i * dim);
  const unbounded = minimizeWeightedDistanceSum(plane, weights, 2, { relativeGap: 0 });
  assert.ok(unbounded.iterations > 100, `the plane kite takes ${unbounded.iterations} iterations`);
  const r = minimizeWeightedDistanceSum(points, weights, dim, { relativeGap: 0 });
  assert.equal(r.iterations, 100);
  const exact = kiteMinimum();
  assert.ok(r.value <= exact * (1 + 1e-15) && exact - r.value <= 1e-9 * exact, `certified ${r.value} vs ${exact}`);
});
