/** The conformal rank's guard: the level must lie strictly in (0, 1) and one point is enough at level 1/2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conformalRank, denoised, heldOutCoverage } from '../../src/engine/predict/conformal';

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

test('held-out coverage: a held-out point whose residual is all known noise is inside', () => {
  // Targets 0, 1, 2, 3 and 100, the fit the mean of the others, level 1/2; the 100 carries a noise
  // variance of 1e6. Held out, the 100 meets the interval of 0..3: their leave-one-out residuals
  // are 2, 2/3, 2/3, 2, the rank ceil(0.5 * 5) = 3 gives the half width 2, and its residual
  // 100 - 1.5 = 98.5 less the noise is sqrt(max(0, 98.5^2 - 1e6)) = 0: inside. Each of 0..3 held
  // out meets a half width above 32 (the 100's residual counts 0) and a residual below 27: inside.
  const fitter = (others: readonly number[]) => () => others.reduce((s, y) => s + y, 0) / others.length;
  const noise = (y: number) => (y === 100 ? 1e6 : 0);
  assert.deepEqual(heldOutCoverage([0, 1, 2, 3, 100], fitter, (y) => y, 0.5, noise), { inside: 5, checked: 5 });
  assert.deepEqual(heldOutCoverage([0, 1, 2, 3, 100], fitter, (y) => y, 0.5), { inside: 4, checked: 5 }, 'without the noise the 100 is outside');
});
