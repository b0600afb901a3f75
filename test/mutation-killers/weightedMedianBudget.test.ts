/**
 * The default iteration budget of the weighted geometric median (src/engine/math/weightedMedian.ts):
 * about 3e7 multiply-adds of iterations, at least 20, at most 2000. A test of it costs that budget,
 * so it lives apart from weightedMedian.test.ts, which the mutation run executes once per mutant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeWeightedDistanceSum } from '../../src/engine/math/weightedMedian';
import { kite, kiteMinimum } from './kite';

const KITE = kite(0.25);

test('the default iteration budget: about 3e7 multiply-adds (at least 20, at most 2000) stops a slow iteration', () => {
  // The light kite needs 127 iterations to close a gap of 0 (as far as rounding lets it); embedded
  // in 75 000 dimensions (n dim = 3e5) the budget is 3e7 / 3e5 = 100 iterations.
  const dim = 75_000;
  const { points: plane, weights } = KITE;
  const points = new Float64Array(4 * dim);
  for (let i = 0; i < 4; i++) points.set(plane.subarray(2 * i, 2 * i + 2), i * dim);
  const unbounded = minimizeWeightedDistanceSum(plane, weights, 2, { relativeGap: 0 });
  assert.ok(unbounded.iterations > 100, `the plane kite takes ${unbounded.iterations} iterations`);
  const r = minimizeWeightedDistanceSum(points, weights, dim, { relativeGap: 0 });
  assert.equal(r.iterations, 100);
  const exact = kiteMinimum(0.25).value;
  assert.ok(r.value <= exact * (1 + 1e-15) && exact - r.value <= 1e-9 * exact, `certified ${r.value} vs ${exact}`);
});
