import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { computeSharpness } from '../../src/engine/curvature/sharpness';
import type { ActivationSpec } from '../../src/engine/model/types';
import type { LossKind } from '../../src/shared/report';
import { flatTheta, makeRandom, referenceLoss, tinyProblem } from './helpers';

before(async () => { await initBackend('cpu'); });

const CASES: Array<{ activation: ActivationSpec; loss: LossKind; c: number }> = [
  { activation: { name: 'relu' }, loss: 'mse', c: 1 },
  { activation: { name: 'tanh' }, loss: 'ce', c: 3 },
];

for (const [index, testCase] of CASES.entries()) {
  test(`adaptive sharpness is never below the loss increase of sampled points in the ball (${testCase.activation.name}, ${testCase.loss})`, async () => {
    const { model, data } = tinyProblem({ ...testCase, d: 3, m: 4, n: 25, seed: 90 + index });
    const rhos = [0.01, 0.05, 0.2];
    const sharpness = await computeSharpness(model, data, makeLossSpec(testCase.loss, model.outputDim), { rhos, steps: 12, averageSamples: 32 });
    const theta = flatTheta(model);
    const base = referenceLoss(model, data, testCase.loss, theta);
    assert.ok(Math.abs(sharpness.baseLoss - base) <= 1e-6 * Math.max(1, base));
    const random = makeRandom(5 + index);
    for (const [r, rho] of rhos.entries()) {
      const entry = sharpness.adaptive[r]!;
      assert.equal(entry.rho, rho);
      assert.ok(entry.radius <= rho * (1 + 1e-12));
      let sampledWorst = -Infinity;
      for (let s = 0; s < 400; s++) {
        // Directions uniform on the sphere, radii on the boundary or inside.
        const xi = Float64Array.from(theta, () => random.normal());
        const length = Math.sqrt(xi.reduce((sum, x) => sum + x * x, 0));
        const radius = rho * (s % 2 === 0 ? 1 : Math.pow(random.uniform(), 1 / theta.length));
        const point = theta.map((value, p) => value + Math.abs(value) * (radius * xi[p]!) / length);
        const increase = referenceLoss(model, data, testCase.loss, point) - base;
        sampledWorst = Math.max(sampledWorst, increase);
      }
      assert.ok(entry.lossIncrease >= sampledWorst - 1e-9 * Math.max(1, base), `rho ${rho}: ascent ${entry.lossIncrease} below a sampled point ${sampledWorst}`);
      assert.ok(entry.lossIncrease > 0);
      // The Gaussian average is below the worst case (the maximum itself is pinned in adaptiveSharpness.test.ts).
      const average = sharpness.average[r]!;
      assert.equal(average.samples, 32);
      assert.ok(average.mean <= entry.lossIncrease);
      assert.ok(Number.isFinite(average.standardError));
    }
    // Monotone in rho (the balls are nested and the ascent finds the interior maxima).
    assert.ok(sharpness.adaptive[0]!.lossIncrease <= sharpness.adaptive[2]!.lossIncrease);
  });
}

test('average-case sharpness matches a direct Monte Carlo estimate with the same law', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'softplus' }, d: 2, m: 3, n: 20, seed: 12 });
  const rho = 0.3;
  const sharpness = await computeSharpness(model, data, makeLossSpec('mse', 1), { rhos: [rho], steps: 2, averageSamples: 400 });
  const theta = flatTheta(model);
  const base = referenceLoss(model, data, 'mse', theta);
  const random = makeRandom(31);
  let mean = 0;
  const samples = 4000;
  for (let s = 0; s < samples; s++) {
    const point = theta.map((value) => value + Math.abs(value) * (rho / Math.sqrt(theta.length)) * random.normal());
    mean += (referenceLoss(model, data, 'mse', point) - base) / samples;
  }
  const entry = sharpness.average[0]!;
  assert.ok(Math.abs(entry.mean - mean) <= 4 * entry.standardError + 0.05 * Math.abs(mean), `${entry.mean} vs ${mean} (se ${entry.standardError})`);
});
