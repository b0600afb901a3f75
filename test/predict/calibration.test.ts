import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitCalibration, predictFromFit, splitRows } from '../../src/engine/predict/calibration';
import {
  conformalHalfWidth, conformalRank, conformalScale, heldOutCoverage, leaveOneOutResiduals, minimumPointsFor, scaleHalfWidth,
} from '../../src/engine/predict/conformal';
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

test('known target noise: normalized scores, the half width for a target of any noise variance (known answer)', () => {
  // Residuals 3, -4, 1, 0 with noise variances 1, 0, 3, 0: mean r^2 = 6.5, mean v = 1, misfit 5.5;
  // scores |r| / sqrt(5.5 + v): 3/sqrt(6.5), 4/sqrt(5.5), 1/sqrt(8.5), 0; rank ceil(0.5 x 5) = 3 of
  // them is 3/sqrt(6.5), so the noise-free half width is 3 sqrt(5.5 / 6.5) and a target of noise
  // variance 1 gets 3.
  const scale = conformalScale([3, -4, 1, 0], [1, 0, 3, 0], 0.5)!;
  assert.equal(scale.noiseSeparated, true);
  assert.ok(Math.abs(scale.misfitVariance - 5.5) < 1e-12);
  assert.ok(Math.abs(scaleHalfWidth(scale) - 3 * Math.sqrt(5.5 / 6.5)) < 1e-12);
  assert.ok(Math.abs(scaleHalfWidth(scale, 1) - 3) < 1e-12);
  // Noise-free targets: the plain jackknife half width; a noisy target's interval is wider.
  const plain = conformalScale([3, -4, 1, 0], [0, 0, 0, 0], 0.5)!;
  assert.ok(Math.abs(scaleHalfWidth(plain) - 3) < 1e-12);
  assert.ok(Math.abs(scaleHalfWidth(plain, 6.5) - 3 * Math.sqrt(2)) < 1e-12);
  // Residuals no larger than their noise explains: the misfit cannot be separated, the plain jackknife stays.
  const noisy = conformalScale([0.1, -0.2, 0.1, 0.3], [1, 1, 1, 1], 0.5)!;
  assert.equal(noisy.noiseSeparated, false);
  assert.ok(Math.abs(scaleHalfWidth(noisy) - 0.2) < 1e-12);
  assert.equal(conformalScale([1, 2, 3], [0, 0, 0], 0.8), null);
});

test('known target noise: the interval holds 80% of noise-free targets, where subtracting each variance over-covers', () => {
  // Residuals misfit + noise, e ~ N(0, 0.2^2) and eps_k ~ N(0, v_k) with sd 0.2-0.6, K = 100; the
  // new target is noise-free. Subtracting v_k from each r_k^2 (the former rule) covers about 94%.
  const random = new SeededRandom(21);
  const trials = 1500;
  let clean = 0;
  let noisy = 0;
  let former = 0;
  for (let t = 0; t < trials; t++) {
    const variances = Array.from({ length: 100 }, () => (0.4 * (0.5 + random.uniform())) ** 2);
    const residuals = variances.map((v) => 0.2 * random.normal() + Math.sqrt(v) * random.normal());
    const scale = conformalScale(residuals, variances, 0.8)!;
    const misfit = 0.2 * random.normal();
    if (Math.abs(misfit) <= scaleHalfWidth(scale)) clean++;
    if (Math.abs(misfit + Math.sqrt(variances[0]!) * random.normal()) <= scaleHalfWidth(scale, variances[0]!)) noisy++;
    const subtracted = residuals.map((r, k) => Math.sqrt(Math.max(0, r * r - variances[k]!)));
    if (Math.abs(misfit) <= conformalHalfWidth(subtracted, 0.8)!) former++;
  }
  assert.ok(clean / trials >= 0.74 && clean / trials <= 0.86, `noise-free coverage ${clean / trials}`);
  assert.ok(noisy / trials >= 0.74 && noisy / trials <= 0.86, `noisy-target coverage ${noisy / trials}`);
  assert.ok(former / trials > 0.9, `the former rule ${former / trials}`);
});

test('noisy held-out targets: the 80% interval holds about 80% of fresh population losses', () => {
  // 100 reference points of the known law with a misfit of sd 0.2 and held-out noise of sd 0.4-0.6
  // (log scale, variances known as logVariance); the fresh point's target is its population loss
  // (misfit, no noise). Subtracting each variance from its squared residual (the former rule) held
  // 94.5% of them here; the normalized scores 84%.
  const random = new SeededRandom(31);
  const draw = (count: number, noisy: boolean): LossSample[] => lawPoints(random, count, 0.2).map((p) => {
    const sd = 0.4 + 0.2 * random.uniform();
    return noisy ? { ...p, heldOutLoss: p.heldOutLoss * Math.exp(sd * random.normal()), logVariance: sd * sd } : p;
  });
  const trials = 200;
  let inside = 0;
  for (let t = 0; t < trials; t++) {
    const fit = fitCalibration(draw(100, true), 1e-9, 0.8, false);
    const [fresh] = draw(1, false);
    const [low, high] = predictFromFit(fit, fresh!.ratio, fresh!.disagreement).interval!;
    if (fresh!.heldOutLoss >= low && fresh!.heldOutLoss <= high) inside++;
  }
  assert.ok(inside / trials >= 0.7 && inside / trials <= 0.9, `population-loss coverage ${inside / trials}`);
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
