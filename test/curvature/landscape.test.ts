import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { lossOnGrid } from '../../src/engine/curvature/lossOnGrid';
import { lossAtPoints } from '../../src/engine/curvature/lossAtPoints';
import { computeLandscape } from '../../src/engine/curvature/landscape';
import type { LossKind } from '../../src/shared/report';
import type { ActivationSpec } from '../../src/engine/model/types';
import { flatTheta, makeRandom, referenceLoss, tinyProblem } from './helpers';

before(async () => { await initBackend('cpu'); });

const CASES: Array<{ activation: ActivationSpec; loss: LossKind; c: number; hiddenBias: boolean; outputBias: boolean }> = [
  { activation: { name: 'relu' }, loss: 'mse', c: 1, hiddenBias: true, outputBias: true },
  { activation: { name: 'leaky_relu', slope: 0.2 }, loss: 'mse-mean', c: 2, hiddenBias: false, outputBias: true },
  { activation: { name: 'relu' }, loss: 'ce', c: 3, hiddenBias: true, outputBias: false },
];

for (const [index, testCase] of CASES.entries()) {
  test(`exact piecewise-linear grid matches the test-local loss (${testCase.activation.name}, ${testCase.loss}, c=${testCase.c})`, async () => {
    const { model, data } = tinyProblem({ ...testCase, d: 4, m: 6, n: 30, seed: 40 + index });
    const random = makeRandom(7 + index);
    const theta = flatTheta(model);
    const d1 = Float64Array.from(theta, () => 0.7 * random.normal());
    const d2 = Float64Array.from(theta, () => 0.7 * random.normal());
    const xs = Array.from({ length: 11 }, (_, k) => -1 + 0.2 * k);
    const ys = [-0.5, 0, 0.8];
    const spec = makeLossSpec(testCase.loss, model.outputDim);
    const grid = await lossOnGrid(model, data, spec, d1, xs, d2, ys);
    const generic = await lossAtPoints(model, data, spec, [d1, d2], ys.flatMap((y) => xs.map((x) => ({ terms: [[0, x], [1, y]] as Array<readonly [number, number]> }))));
    ys.forEach((y, iy) => xs.forEach((x, k) => {
      const point = theta.map((value, p) => value + x * d1[p]! + y * d2[p]!);
      const expected = referenceLoss(model, data, testCase.loss, point);
      assert.ok(Math.abs(grid[iy]![k]! - expected) <= 1e-5 * Math.max(1, expected), `grid (${x}, ${y}): ${grid[iy]![k]} vs ${expected}`);
      assert.ok(Math.abs(generic[iy * xs.length + k]! - expected) <= 1e-5 * Math.max(1, expected), `points (${x}, ${y})`);
    }));
  });
}

test('landscape: curves, orbit flat for homogeneous activations, smooth activations evaluated point by point', async () => {
  for (const activation of [{ name: 'relu' }, { name: 'square' }, { name: 'tanh' }] as ActivationSpec[]) {
    const { model, data } = tinyProblem({ activation, d: 3, m: 5, n: 25, seed: 3 });
    const spec = makeLossSpec('mse', 1);
    const eigen = Float64Array.from(flatTheta(model), (_, p) => Math.cos(p));
    const landscape = await computeLandscape(model, data, spec, eigen, { points1d: 9, grid2d: 5 });
    const theta = flatTheta(model);
    const base = referenceLoss(model, data, 'mse', theta);
    assert.ok(Math.abs(landscape.baseLoss - base) <= 1e-6 * Math.max(1, base));
    const kinds = landscape.oneD.map((curve) => curve.direction);
    assert.deepEqual(kinds, activation.name === 'tanh' ? ['random', 'top-eigenvector'] : ['random', 'top-eigenvector', 'orbit']);
    for (const curve of landscape.oneD) {
      assert.equal(curve.loss.length, 9);
      if (curve.direction === 'orbit') {
        for (const value of curve.loss) assert.ok(Math.abs(value - base) <= 1e-5 * Math.max(1, base), `orbit not flat: ${value} vs ${base}`);
      } else {
        // The middle point is the model itself.
        assert.ok(Math.abs(curve.loss[4]! - base) <= 1e-6 * Math.max(1, base));
        assert.ok(Math.max(...curve.loss) > base * (1 + 1e-3), 'a unit step along a filter-normalized direction changes the loss');
      }
    }
    assert.equal(landscape.twoD!.loss.length, 5);
    assert.ok(Math.abs(landscape.twoD!.loss[2]![2]! - base) <= 1e-6 * Math.max(1, base));
    // The 2D corner against the test-local loss.
    const curveRandom = landscape.oneD[0]!;
    assert.ok(Math.abs(landscape.twoD!.loss[2]![0]! - curveRandom.loss[0]!) <= 1e-6 * Math.max(1, base), 'the x axis of the surface is the 1D random curve');
    if (activation.name === 'tanh') assert.ok(landscape.notes.some((note) => note.includes('not positively homogeneous')));
  }
});

test('the random curve and the surface of a per-neuron rescaled model equal the original\'s, so a rescaling reuses them', async () => {
  for (const activation of [{ name: 'relu' }, { name: 'relu_pow', power: 2 }] as ActivationSpec[]) {
    const { model, data } = tinyProblem({ activation, d: 3, m: 4, n: 20, seed: 8 });
    const k = activation.name === 'relu' ? 1 : 2;
    const scales = [3, 0.2, 1.7, 0.05];
    const rescaled = {
      ...model,
      hiddenWeights: model.hiddenWeights.map((w, p) => w * scales[Math.floor(p / model.inputDim)]!),
      hiddenBias: model.hiddenBias!.map((b, j) => b * scales[j]!),
      outputWeights: model.outputWeights.map((a, j) => a / scales[j]! ** k),
    };
    const spec = makeLossSpec('mse', 1);
    const options = { points1d: 7, grid2d: 5 };
    const original = await computeLandscape(model, data, spec, null, options);
    // Computed afresh at the rescaled parameters: equal to the original's (the invariance the reuse relies on).
    const fresh = await computeLandscape(rescaled, data, spec, null, options);
    // Float32 pre-activations: equal to rounding, relative to the value.
    const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
    original.oneD[0]!.loss.forEach((value, i) => assert.ok(close(fresh.oneD[0]!.loss[i]!, value), `${activation.name} random curve ${i}`));
    original.twoD!.loss.forEach((row, iy) => row.forEach((value, ix) => assert.ok(close(fresh.twoD!.loss[iy]![ix]!, value), `${activation.name} surface ${iy},${ix}: ${fresh.twoD!.loss[iy]![ix]} vs ${value}`)));
    const reused = await computeLandscape(rescaled, data, spec, null, { ...options, rescalingOf: original });
    assert.deepEqual(reused.oneD[0]!.loss, original.oneD[0]!.loss);
    assert.deepEqual(reused.twoD!.loss, original.twoD!.loss);
    assert.deepEqual(reused.oneD.map((curve) => curve.direction), fresh.oneD.map((curve) => curve.direction));
  }
});
