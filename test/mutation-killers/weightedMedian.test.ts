/**
 * Known answers for the weighted geometric median behind the certified bound with an output bias
 * (src/engine/math/weightedMedian.ts), its cached data part (analysis/targetTerm.ts) and the
 * bound at the model's own outputs (analysis/flatness.ts). Expected values are closed forms or
 * brute-force float64 searches written here, not the engine's iteration:
 * - the Fermat point of a triangle (all angles < 120 degrees, equal weights):
 *   min S = sqrt((a^2 + b^2 + c^2) / 2 + 2 sqrt(3) area);
 * - a configuration symmetric about x = 0, whose minimum is a one-dimensional convex search;
 * - the dual certificate at the starting point (the weighted mean) worked by hand: with equal
 *   weights no point at the mean, it is sum_i d_i / (1 + ||sum_i u_i|| / n).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeWeightedDistanceSum, weightedDistanceSum } from '../../src/engine/math/weightedMedian';
import { computeTargetTerm } from '../../src/engine/analysis/targetTerm';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { buildFlatnessSection } from '../../src/engine/analysis/flatness';
import { makeLossSpec } from '../../src/engine/math/losses';
import { forward, randomData, randomModel, relativeError } from '../helpers/tinyNetworks';
import { kite, kiteMinimum } from './kite';

const F = Float64Array;
const TRIANGLE = F.of(0, 0, 4, 0, 1, 3);

function fermatTriangle(p: Float64Array): number {
  const side2 = (i: number, j: number) => (p[2 * i]! - p[2 * j]!) ** 2 + (p[2 * i + 1]! - p[2 * j + 1]!) ** 2;
  const area = Math.abs((p[2]! - p[0]!) * (p[5]! - p[1]!) - (p[4]! - p[0]!) * (p[3]! - p[1]!)) / 2;
  return Math.sqrt((side2(0, 1) + side2(1, 2) + side2(0, 2)) / 2 + 2 * Math.sqrt(3) * area);
}


describe('the weighted geometric median', () => {
  test('no points: value 0 at the origin, in one and in several dimensions', () => {
    for (const dim of [1, 2]) {
      const r = minimizeWeightedDistanceSum(new F(0), new F(0), dim);
      assert.deepEqual(r, { value: 0, upper: 0, center: new F(dim), iterations: 0 });
    }
  });

  test('weights all zero: the origin, value 0, no iteration (no division by the zero total)', () => {
    const r = minimizeWeightedDistanceSum(F.of(1, 2, 3, 4), F.of(0, 0), 2);
    assert.deepEqual(r, { value: 0, upper: 0, center: new F(2), iterations: 0 });
  });

  test('one dimension: the first value where the cumulative weight reaches half, exact, without iterating', () => {
    // Two equal weights: every c in [0, 1] is a minimizer; the rule takes the first, 0.
    assert.deepEqual(minimizeWeightedDistanceSum(F.of(1, 0), F.of(1, 1), 1), { value: 1, upper: 1, center: F.of(0), iterations: 0 });
    assert.deepEqual(minimizeWeightedDistanceSum(F.of(3, -1, 2), F.of(1, 1, 5), 1), { value: 4, upper: 4, center: F.of(2), iterations: 0 });
  });

  test('no iteration: the weighted mean, S there, and the hand-worked dual certificate below it', () => {
    const r = minimizeWeightedDistanceSum(TRIANGLE, F.of(1, 1, 1), 2, { maxIterations: 0 });
    assert.equal(r.iterations, 0);
    assert.deepEqual(Array.from(r.center), [5 / 3, 1]);
    const d = [0, 1, 2].map((i) => Math.hypot(TRIANGLE[2 * i]! - 5 / 3, TRIANGLE[2 * i + 1]! - 1));
    assert.ok(relativeError(r.upper, d[0]! + d[1]! + d[2]!) < 1e-14);
    const pull = [0, 1].map((o) => [0, 1, 2].reduce((s, i) => s + (TRIANGLE[2 * i + o]! - r.center[o]!) / d[i]!, 0));
    const expected = (d[0]! + d[1]! + d[2]!) / (1 + Math.hypot(pull[0]!, pull[1]!) / 3);
    assert.ok(relativeError(r.value, expected) < 1e-12, `dual ${r.value} vs hand-worked ${expected}`);
    assert.ok(r.value < fermatTriangle(TRIANGLE) && fermatTriangle(TRIANGLE) < r.upper, 'certificate below the minimum, S above');
    // Weighted mean with unequal weights: sum w_i y_i / sum w_i.
    const weighted = minimizeWeightedDistanceSum(TRIANGLE, F.of(1, 2, 5), 2, { maxIterations: 0 });
    assert.deepEqual(Array.from(weighted.center), [(0 + 8 + 5) / 8, (0 + 0 + 15) / 8]);
  });

  test('no iteration at a data point: it absorbs what its weight allows of the pull of the others', () => {
    // At (0, 1): the others pull with p = 1 - 2/sqrt(10) along y; eps = 0.25 absorbs 0.25 of it.
    const { points, weights } = kite(0.25);
    const r = minimizeWeightedDistanceSum(points, weights, 2, { maxIterations: 0 });
    assert.deepEqual(Array.from(r.center), [0, 1]);
    const remaining = 1 - 2 / Math.sqrt(10) - 0.25;
    const expected = (2 * Math.sqrt(10) + 2) / (1 + remaining / 3.25);
    assert.ok(relativeError(r.value, expected) < 1e-12, `dual ${r.value} vs hand-worked ${expected}`);
    // Points on a line with the middle one at the mean: the pull is zero, the certificate exact.
    const line = minimizeWeightedDistanceSum(F.of(-1, 0, 0, 0, 1, 0), F.of(1, 1, 1), 2, { maxIterations: 0 });
    assert.deepEqual({ ...line, center: Array.from(line.center) }, { value: 2, upper: 2, center: [0, 0], iterations: 0 });
  });

  test('a triangle: the Fermat point, certified from below within 1e-12, in a few dozen iterations', () => {
    for (const scale of [1, 2.5]) {
      const r = minimizeWeightedDistanceSum(TRIANGLE, F.of(scale, scale, scale), 2);
      const exact = scale * fermatTriangle(TRIANGLE);
      assert.ok(r.value <= exact * (1 + 1e-15), `certified ${r.value} <= exact ${exact}`);
      assert.ok(exact - r.value <= 1e-11 * exact, `certified ${r.value} is tight (exact ${exact})`);
      assert.ok(r.upper >= exact * (1 - 1e-15) && r.upper - exact <= 1e-11 * exact);
      assert.ok(relativeError(weightedDistanceSum(TRIANGLE, F.of(scale, scale, scale), 2, r.center), r.upper) < 1e-15, 'upper is S at center');
      assert.ok(r.iterations >= 5 && r.iterations <= 200, `iterations ${r.iterations}`);
    }
  });

  test('the stopping rule is relative: weights scaled by 2^20 (exactly, no rounding changes) take the same iterations', () => {
    const once = minimizeWeightedDistanceSum(TRIANGLE, F.of(1, 1, 1), 2);
    const scaled = minimizeWeightedDistanceSum(TRIANGLE, F.of(2 ** 20, 2 ** 20, 2 ** 20), 2);
    assert.equal(scaled.iterations, once.iterations);
    assert.equal(scaled.value, once.value * 2 ** 20);
  });

  test('a start on a light data point: the Vardi-Zhang step leaves it for the minimum on the axis', () => {
    const { points, weights } = kite(0.25);
    const exact = kiteMinimum(0.25);
    assert.ok(exact.y > 1.2, 'the minimum is not the data point');
    for (const relativeGap of [undefined, 0]) {
      const r = minimizeWeightedDistanceSum(points, weights, 2, relativeGap === undefined ? {} : { relativeGap });
      assert.ok(r.value <= exact.value * (1 + 1e-15) && exact.value - r.value <= 1e-11 * exact.value, `certified ${r.value} vs ${exact.value}`);
      assert.ok(Math.abs(r.upper - exact.value) <= 1e-11 * exact.value);
      assert.ok(Math.abs(r.center[0]!) < 1e-6 && Math.abs(r.center[1]! - exact.y) < 1e-4, `center ${r.center.join(', ')} vs (0, ${exact.y})`);
      assert.ok(r.iterations >= 1 && r.iterations <= 500, `iterations ${r.iterations}`);
    }
  });

  test('a start on a heavy data point that is the minimum: one step, which stays there, ends the iteration', () => {
    const { points, weights } = kite(1);
    const exact = 2 * Math.sqrt(10) + 2;
    assert.ok(kiteMinimum(1).value >= exact * (1 - 1e-12), 'the data point (0, 1) is the minimum');
    const r = minimizeWeightedDistanceSum(points, weights, 2, { relativeGap: 0 });
    assert.equal(r.iterations, 1, 'without a gap to close, the fixed point at the data point stops it');
    assert.deepEqual(Array.from(r.center), [0, 1]);
    assert.ok(r.value <= exact * (1 + 1e-15) && exact - r.value <= 1e-14 * exact);
    // The same with the heavy point first (index 0 is a data point like any other).
    const first = minimizeWeightedDistanceSum(F.of(0, 1, -3, 0, 3, 0, 0, 3), F.of(1, 1, 1, 1), 2, { relativeGap: 0 });
    assert.equal(first.iterations, 1);
    assert.deepEqual(Array.from(first.center), [0, 1]);
  });
});

describe('the data part of the certified bound', () => {
  test('kept per architecture: the same data with and without a hidden bias get their own weights, and the center is returned', () => {
    const random = new SeededRandom(5);
    const data = randomData(8, 2, 2, random);
    const withBias = randomModel({ d: 2, m: 3, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    const withoutBias = { ...withBias, hiddenBias: null };
    const norms = (hidden: boolean) => Array.from({ length: data.n }, (_, i) => Math.sqrt((hidden ? 1 : 0) + data.inputs[2 * i]! ** 2 + data.inputs[2 * i + 1]! ** 2));
    for (const [model, hidden] of [[withBias, true], [withoutBias, false], [withBias, true]] as const) {
      const term = computeTargetTerm(model, data);
      const w = norms(hidden);
      const atBias = w.reduce((s, wi, i) => s + wi * Math.hypot(data.targets[2 * i]! - model.outputBias![0]!, data.targets[2 * i + 1]! - model.outputBias![1]!), 0) / data.n;
      assert.ok(relativeError(term.atModelBias, atBias) < 1e-12, `at the model's bias (hidden bias ${hidden})`);
      const atCenter = w.reduce((s, wi, i) => s + wi * Math.hypot(data.targets[2 * i]! - term.center[0]!, data.targets[2 * i + 1]! - term.center[1]!), 0) / data.n;
      assert.equal(term.center.length, 2);
      assert.ok(term.certified <= atCenter * (1 + 1e-12) && atCenter - term.certified <= 1e-9 * atCenter, 'the certified value is S at the returned center, up to the gap');
    }
  });
});

describe('the bound at the model itself', () => {
  before(async () => { await initBackend('wasm'); });

  test('several outputs and an output bias: 2 alpha sqrt(lambda^2 c) (1/n) sum_i ||u_i|| ||f(x_i) - c0|| + tr(Lambda)', async () => {
    const random = new SeededRandom(13);
    const model = randomModel({ d: 3, m: 4, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    model.outputBias = F.of(0.7, -1.2);
    const data = randomData(20, 3, 2, random);
    const spec = makeLossSpec('mse', 2);
    const flatness = buildFlatnessSection(model, spec, await computeCurvatureSums(model, data, spec, { withInvariantDiagonal: true }));
    let sum = 0;
    for (let i = 0; i < data.n; i++) {
      const u = Math.sqrt(1 + data.inputs[3 * i]! ** 2 + data.inputs[3 * i + 1]! ** 2 + data.inputs[3 * i + 2]! ** 2);
      const f = forward(model, data.inputs, i);
      sum += u * Math.hypot(f[0]! - 0.7, f[1]! - -1.2);
    }
    // mse: Lambda = 2 I, so the factor is 2 * 1 * sqrt(4 * 2) and tr(Lambda) = 4.
    const expected = 2 * Math.sqrt(8) * (sum / data.n) + 4;
    assert.ok(relativeError(flatness.lowerBoundAtModel.value!, expected) < 1e-5, `${flatness.lowerBoundAtModel.value} vs ${expected}`);
  });
});
