import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCalibration, predictFromFit, splitRows } from '../../src/engine/predict/calibration';
import { conformalHalfWidth, conformalRank, denoised, heldOutCoverage, leaveOneOutResiduals, minimumPointsFor } from '../../src/engine/predict/conformal';
import { type LossSample, fitLossModel, predictLog } from '../../src/engine/predict/lossModel';
import { kendallTau, kendallTauFinite } from '../../src/engine/predict/kendall';
import { SeededRandom } from '../../src/engine/math/random';

function meanFitter(points: readonly { y: number }[]): (point: { y: number }) => number {
  const mean = points.reduce((s, p) => s + p.y, 0) / points.length;
  return () => mean;
}

test('conformal rank: the (1 - alpha)(1 + 1/K) quantile, none when K is too small', () => {
  assert.equal(conformalRank(16, 0.8), 14);
  assert.equal(conformalRank(15, 0.8), 13);
  assert.equal(conformalRank(22, 0.8), 19);
  assert.equal(conformalRank(4, 0.8), 4);
  assert.equal(conformalRank(3, 0.8), null);
  assert.equal(conformalRank(9, 0.9), 9);
  assert.equal(conformalRank(8, 0.9), null);
  assert.equal(minimumPointsFor(0.8), 4);
  assert.equal(minimumPointsFor(0.9), 9);
  assert.equal(conformalHalfWidth([0.5, -3, 1, -2, 0.1], 0.8), 3);
  assert.equal(conformalHalfWidth([0.5, -3, 1, -2, 0.1, 0.2, -0.4, 0.3, 0.05], 0.8), 2);
  assert.equal(conformalHalfWidth([1, 2, 3], 0.8), null);
});

test('leave-one-out residuals are out of fit and keep their sign (known answer)', () => {
  const points = [1, 2, 4, 9].map((y) => ({ y }));
  // With the mean as the fit, y_k - mean(others) = (K / (K - 1)) (y_k - mean(all)); mean(all) = 4.
  const residuals = leaveOneOutResiduals(points, meanFitter, (p) => p.y);
  const expected = [1, 2, 4, 9].map((y) => (4 / 3) * (y - 4));
  residuals.forEach((r, k) => assert.ok(Math.abs(r - expected[k]!) < 1e-12, `residual ${k}: ${r} vs ${expected[k]}`));
});

test('held-out coverage checks each point against an interval built without it (known answer)', () => {
  // Six points: five at 0 and one at 10. Left out, a zero point sees residuals of the other four
  // zeros (-2) and the ten (+10) under the mean of five: rank ceil(0.8 x 6) = 5 of 5 -> half width 10;
  // its own residual is 0 - 2 = -2: inside. The ten, left out, sees five zeros: half width 0, its
  // residual is 10: outside. So 5 of 6.
  const points = [0, 0, 0, 0, 0, 10].map((y) => ({ y }));
  assert.deepEqual(heldOutCoverage(points, meanFitter, (p) => p.y, 0.8), { inside: 5, checked: 6 });
  // Too few points for the level: nothing is checked rather than a figure that holds by construction.
  assert.deepEqual(heldOutCoverage(points.slice(0, 4), meanFitter, (p) => p.y, 0.8), { inside: 0, checked: 0 });
});

/** Reference points of a known law: log L = log(0.01 + D) + N(0, sd^2) (R carries no information). */
function lawPoints(random: SeededRandom, count: number, sd: number): LossSample[] {
  return Array.from({ length: count }, () => {
    const disagreement = Math.exp(random.uniform() * 8 - 6);
    const ratio = Math.exp(random.uniform() * 4);
    return { ratio, disagreement, heldOutLoss: (0.01 + disagreement) * Math.exp(sd * random.normal()) };
  });
}

test('the loss model recovers a known law and stays monotone', () => {
  const random = new SeededRandom(5);
  const points = lawPoints(random, 20, 0);
  const model = fitLossModel(points, 1e-9);
  assert.ok(Math.abs(model.b - 1) < 0.02, `b ${model.b}`);
  assert.equal(model.c, 0);
  for (const p of lawPoints(random, 10, 0)) {
    const predicted = Math.exp(predictLog(model, p.ratio, p.disagreement));
    assert.ok(Math.abs(predicted / p.heldOutLoss - 1) < 0.05, `${predicted} vs ${p.heldOutLoss}`);
  }
  // Without D it falls back to a power of R.
  const ratioOnly = fitLossModel(points.map((p) => ({ ratio: p.ratio, disagreement: null, heldOutLoss: 0.02 * p.ratio ** 2 })), 1e-9);
  assert.equal(ratioOnly.rho, null);
  assert.ok(Math.abs(ratioOnly.c - 2) < 1e-6 && Math.abs(Math.exp(ratioOnly.a) - 0.02) < 1e-6);
  // A loss that falls with D cannot be fitted with a negative slope: the slopes stay >= 0.
  const falling = fitLossModel(points.map((p) => ({ ...p, heldOutLoss: 1 / (1 + p.disagreement!) })), 1e-9);
  assert.ok(falling.b >= 0 && falling.c >= 0);
});

test('known target noise is taken out of each residual, and only that', () => {
  assert.equal(denoised(0.5, 0), 0.5);
  assert.ok(Math.abs(denoised(-0.5, 0.09) - -0.4) < 1e-12);
  assert.equal(denoised(0.2, 0.09), 0);
  // With noise on the mean fitter's targets: residuals (4/3)(y - 4) shrunk by their own variance.
  const points = [1, 2, 4, 9].map((y) => ({ y, v: 0.25 }));
  const residuals = leaveOneOutResiduals(points, meanFitter, (p) => p.y, (p) => p.v);
  [1, 2, 4, 9].forEach((y, k) => {
    const r = (4 / 3) * (y - 4);
    assert.ok(Math.abs(residuals[k]! - Math.sign(r) * Math.sqrt(Math.max(0, r * r - 0.25))) < 1e-12);
  });
});

test('the 80% interval covers 70-90% of fresh points, and the held-out check agrees', () => {
  const random = new SeededRandom(11);
  let inside = 0;
  let checkedInside = 0;
  let checked = 0;
  const trials = 150;
  for (let t = 0; t < trials; t++) {
    const fit = fitCalibration(lawPoints(random, 16, 0.5), 1e-9, 0.8, t < 15);
    const [fresh] = lawPoints(random, 1, 0.5);
    const prediction = predictFromFit(fit, fresh!.ratio, fresh!.disagreement);
    const [low, high] = prediction.interval!;
    if (fresh!.heldOutLoss >= low && fresh!.heldOutLoss <= high) inside++;
    checkedInside += fit.coverage.inside;
    checked += fit.coverage.checked;
  }
  assert.equal(checked, 15 * 16);
  const coverage = inside / trials;
  assert.ok(coverage >= 0.7 && coverage <= 0.9, `fresh-point coverage ${coverage}`);
  const heldOut = checkedInside / checked;
  assert.ok(heldOut >= 0.7 && heldOut <= 0.9, `held-out coverage ${heldOut}`);
});

test('too few reference points: no interval; outside the reference range: flagged and widened', () => {
  const random = new SeededRandom(12);
  const few = fitCalibration(lawPoints(random, 3, 0.3), 1e-9);
  assert.equal(few.halfWidth, null);
  assert.equal(predictFromFit(few, 2, 0.1).interval, null);
  const fit = fitCalibration(lawPoints(random, 20, 0.3), 1e-9);
  const inside = predictFromFit(fit, Math.sqrt(fit.ratioRange[0] * fit.ratioRange[1]), 0.01);
  assert.equal(inside.extrapolated, false);
  const edge = predictFromFit(fit, fit.ratioRange[1], 0.01);
  const far = predictFromFit(fit, 100 * fit.ratioRange[1], 0.01);
  assert.ok(far.extrapolated);
  const width = (p: { interval: [number, number] | null }) => Math.log(p.interval![1] / p.interval![0]);
  assert.ok(width(far) > width(edge) + 1, `${width(far)} vs ${width(edge)}`);
  assert.ok(predictFromFit(fit, 2, 1e6).extrapolated, 'a disagreement beyond the reference range is an extrapolation');
});

test('splits are disjoint, cover the data and are reproducible', () => {
  const { train, heldOut } = splitRows(50, 0.8, 7);
  assert.equal(train.length, 40);
  assert.equal(new Set([...train, ...heldOut]).size, 50);
  assert.deepEqual(splitRows(50, 0.8, 7), { train, heldOut });
  assert.notDeepEqual(splitRows(50, 0.8, 8).train, train);
});

test('Kendall tau-b on known inputs', () => {
  assert.equal(kendallTau([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(kendallTau([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // 5 concordant, 1 discordant pair: (5 - 1) / 6.
  assert.ok(Math.abs(kendallTau([1, 2, 3, 4], [1, 2, 4, 3])! - 4 / 6) < 1e-12);
  // Ties: x = [1, 1, 2], y = [1, 2, 3]: pairs (1,2) tied in x; (1,3), (2,3) concordant -> 2 / sqrt(2 * 3).
  assert.ok(Math.abs(kendallTau([1, 1, 2], [1, 2, 3])! - 2 / Math.sqrt(6)) < 1e-12);
  // Pairs tied in both count in neither.
  assert.equal(kendallTau([1, 1, 2], [5, 5, 6]), 1);
  assert.equal(kendallTau([1, 1], [2, 3]), null);
  // Within the tolerance, values tie.
  assert.ok(Math.abs(kendallTau([1, 1 + 1e-9, 2], [3, 2, 4], 1e-6)! - 2 / Math.sqrt(6)) < 1e-12);
  assert.ok(Math.abs(kendallTau([1, 1 + 1e-9, 2], [3, 2, 4])! - 1 / 3) < 1e-12);
  assert.equal(kendallTauFinite([1, null, 3, NaN], [1, 5, 2, 0]), 1);
});
