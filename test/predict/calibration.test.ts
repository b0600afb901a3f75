import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateBlocks, fitCalibration, isotonicFit, predictFromFit, splitRows } from '../../src/engine/predict/calibration';
import { kendallTau, kendallTauFinite } from '../../src/engine/predict/kendall';
import { SeededRandom } from '../../src/engine/math/random';

test('isotonic fit: monotone, keeps the mean, leaves monotone data alone', () => {
  const random = new SeededRandom(3);
  const x = Array.from({ length: 40 }, () => random.uniform() * 10);
  const y = x.map((v) => Math.log1p(v) + random.normal() * 0.5);
  const { fitted, blocks } = isotonicFit(x, y);
  const order = x.map((_, i) => i).sort((a, b) => x[a]! - x[b]!);
  for (let k = 1; k < order.length; k++) assert.ok(fitted[order[k]!]! >= fitted[order[k - 1]!]! - 1e-12, 'fit decreases');
  // Least squares with a free level per block: the fitted values keep the sum of y.
  const sum = (values: number[]) => values.reduce((s, v) => s + v, 0);
  assert.ok(Math.abs(sum(fitted) - sum(y)) < 1e-9);
  for (let b = 1; b < blocks.length; b++) assert.ok(blocks[b]!.value > blocks[b - 1]!.value);
  // Already increasing data is its own fit.
  const increasing = isotonicFit([1, 2, 3, 4], [0.5, 1, 1.5, 7]);
  assert.deepEqual(increasing.fitted, [0.5, 1, 1.5, 7]);
  // A single violation pools the pair to its mean.
  assert.deepEqual(isotonicFit([1, 2, 3], [1, 3, 2]).fitted, [1, 2.5, 2.5]);
  // Fully decreasing data pools to one constant block.
  const decreasing = isotonicFit([1, 2, 3, 4], [4, 3, 2, 1]);
  assert.deepEqual(decreasing.fitted, [2.5, 2.5, 2.5, 2.5]);
  assert.equal(decreasing.blocks.length, 1);
});

test('isotonic fit is no worse in squared error than any other monotone candidate tried', () => {
  const random = new SeededRandom(8);
  const x = Array.from({ length: 15 }, (_, i) => i);
  const y = x.map(() => random.normal());
  const { fitted } = isotonicFit(x, y);
  const error = (f: number[]) => f.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0);
  for (let trial = 0; trial < 200; trial++) {
    const candidate = x.map(() => random.normal()).sort((a, b) => a - b);
    assert.ok(error(fitted) <= error(candidate) + 1e-12);
  }
});

test('the fitted map interpolates between blocks and is flat outside', () => {
  const blocks = [{ x: 0, value: 1, weight: 1, count: 1 }, { x: 2, value: 3, weight: 1, count: 1 }];
  assert.equal(evaluateBlocks(blocks, -5), 1);
  assert.equal(evaluateBlocks(blocks, 1), 2);
  assert.equal(evaluateBlocks(blocks, 9), 3);
});

test('calibration prediction grows with the ratio and its interval holds the prediction', () => {
  const random = new SeededRandom(4);
  const points = Array.from({ length: 30 }, () => {
    const ratio = Math.exp(random.uniform() * 4);
    return { ratio, heldOutLoss: 0.01 * ratio * ratio * Math.exp(0.3 * random.normal()) };
  });
  const fit = fitCalibration(points, 1e-6);
  let previous = -Infinity;
  for (const ratio of [1, 2, 5, 10, 20, 50]) {
    const prediction = predictFromFit(fit, ratio);
    assert.ok(prediction.testLoss >= previous);
    previous = prediction.testLoss;
    assert.ok(prediction.interval[0] <= prediction.testLoss && prediction.testLoss <= prediction.interval[1]);
  }
  // The band is calibrated: most reference points fall inside their leave-one-out band.
  assert.ok(fit.looCoverage >= 0.7, `coverage ${fit.looCoverage}`);
  // Beyond the reference range the prediction is marked and its band widened.
  const far = predictFromFit(fit, 1000);
  assert.ok(far.extrapolated);
  assert.ok(far.interval[1] > predictFromFit(fit, fit.ratioRange[1]).interval[1]);
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
