/** The conformal rank's guard: the level must lie strictly in (0, 1) and one point is enough at level 1/2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conformalRank, denoised } from '../../src/engine/predict/conformal';

test('conformal rank: ceil(level (K + 1)), null outside (0, 1), with no points, or when it exceeds K', () => {
  assert.equal(conformalRank(1, 0.5), 1);
  assert.equal(conformalRank(4, 0.8), 4);
  assert.equal(conformalRank(15, 0.8), 13);
  assert.equal(conformalRank(3, 0.8), null);
  for (const level of [0, 1, -0.1, 1.5, Number.NaN]) assert.equal(conformalRank(10, level), null, `level ${level}`);
  assert.equal(conformalRank(0, 0.5), null);
});

test('denoised keeps the sign and removes the known variance', () => {
  assert.equal(denoised(-5, 16), -3);
  assert.equal(denoised(5, 16), 3);
  assert.equal(denoised(2, 16), 0);
  assert.equal(denoised(-2.5, 0), -2.5);
});
