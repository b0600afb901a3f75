/** The conformal rank's guard: the level must lie strictly in (0, 1) and one point is enough at level 1/2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conformalHalfWidth, conformalRank, conformalScale, heldOutCoverage, scaleHalfWidth } from '../../src/engine/predict/conformal';

test('conformal rank: ceil(level (K + 1)), null outside (0, 1), with no points, or when it exceeds K', () => {
  assert.equal(conformalRank(1, 0.5), 1);
  assert.equal(conformalRank(4, 0.8), 4);
  assert.equal(conformalRank(15, 0.8), 13);
  assert.equal(conformalRank(3, 0.8), null);
  for (const level of [0, 1, -0.1, 1.5, Number.NaN]) assert.equal(conformalRank(10, level), null, `level ${level}`);
  assert.equal(conformalRank(0, 0.5), null);
});

test('conformal scale: the noise enters only when the misfit is separated from it', () => {
  // Residuals 2, -2 with noise variances 0, 12: mean r^2 4 below the mean variance 6, so the plain
  // jackknife (half width 2 whatever the target's noise); with variances 0, 2: misfit 3, scores
  // 2/sqrt(3), 2/sqrt(5), rank 2 of 2 at level 1/2 gives 2/sqrt(3): half width 2 noise-free, 2 sqrt(4/3) at v = 1.
  const plain = conformalScale([2, -2], [0, 12], 0.5)!;
  assert.equal(plain.noiseSeparated, false);
  assert.equal(scaleHalfWidth(plain, 5), 2);
  const separated = conformalScale([2, -2], [0, 2], 0.5)!;
  assert.equal(separated.noiseSeparated, true);
  assert.ok(Math.abs(scaleHalfWidth(separated) - 2) < 1e-12);
  assert.ok(Math.abs(scaleHalfWidth(separated, 1) - 2 * Math.sqrt(4 / 3)) < 1e-12);
  assert.deepEqual(conformalScale([0, 0], [0, 0], 0.5), { quantile: 0, misfitVariance: 0, noiseSeparated: false });
});

test('held-out coverage: a held-out point whose residual is all known noise is inside', () => {
  // Targets 0, 1, 2, 3 and 100, the fit the mean of the others, level 1/2; the 100 carries a noise
  // variance of 1e6. Held out, the 100 meets the scale of 0..3: leave-one-out residuals 2, 2/3,
  // 2/3, 2 without noise, misfit variance 20/9, rank ceil(0.5 * 5) = 3 of the scores is
  // 2 / sqrt(20/9), so a target of noise variance 1e6 gets about 1342 against its residual
  // 100 - 1.5 = 98.5: inside. Each of 0..3 held out: the others' mean r^2 is below the 100's
  // variance, so the plain half width (above 31) against a residual below 27: inside.
  const fitter = (others: readonly number[]) => () => others.reduce((s, y) => s + y, 0) / others.length;
  const noise = (y: number) => (y === 100 ? 1e6 : 0);
  assert.deepEqual(heldOutCoverage([0, 1, 2, 3, 100], fitter, (y) => y, 0.5, noise), { inside: 5, checked: 5 });
  assert.deepEqual(heldOutCoverage([0, 1, 2, 3, 100], fitter, (y) => y, 0.5), { inside: 4, checked: 5 }, 'without the noise the 100 is outside');
});

test('conformal rank: no points give no rank even at a level so small the epsilon takes the rank to 0', () => {
  // ceil(1e-10 * (0 + 1) - 1e-9) is -0, which `rank <= count` alone would return as a rank.
  assert.equal(conformalRank(0, 1e-10), null);
});

test('conformal rank: a tiny level with points is the smallest residual, not rank -0', () => {
  assert.equal(conformalRank(5, 1e-12), 1);
  assert.equal(conformalHalfWidth([4, -1, 3, 2, 5], 1e-12), 1);
});

test('held-out coverage: the interval is closed, a held-out residual equal to the half width is inside', () => {
  // The zero predictor and targets +-3: each held-out point meets residuals of magnitude 3 in the
  // others, misfit variance 9, scores +-1, half width exactly 1 * sqrt(9) = 3, its own residual 3.
  // Ties are what the closed interval's <= is for (the conformal level counts them as covered).
  const zero = () => () => 0;
  assert.deepEqual(heldOutCoverage([3, -3, 3, -3, 3], zero, (y) => y, 0.5), { inside: 5, checked: 5 });
});
