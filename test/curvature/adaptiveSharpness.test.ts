/**
 * Adaptive sharpness against a brute-force maximum written here (dense sampling of the scaled ball,
 * then finite-difference projected ascent from the best samples), from above and from below, and
 * its invariance under per-neuron rescaling.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { computeSharpness } from '../../src/engine/curvature/sharpness';
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import { flatTheta, makeRandom, referenceLoss, tinyProblem } from './helpers';

before(async () => { await initBackend('cpu'); });

/** max over ||eta|| <= rho of L(theta + |theta| o eta) - L(theta), independently of the engine. */
function bruteForceMaximum(model: TwoLayerModel, data: Dataset, rho: number, seed: number): number {
  const theta = flatTheta(model);
  const size = theta.length;
  const base = referenceLoss(model, data, 'mse', theta);
  const f = (eta: Float64Array) => referenceLoss(model, data, 'mse', theta.map((t, p) => t + Math.abs(t) * eta[p]!)) - base;
  const random = makeRandom(seed);
  const samples: Array<{ eta: Float64Array; value: number }> = [];
  for (let s = 0; s < 20000; s++) {
    const xi = Float64Array.from({ length: size }, () => random.normal());
    const length = Math.hypot(...xi);
    const radius = rho * (s % 4 === 0 ? Math.pow(random.uniform(), 1 / size) : 1);
    const eta = xi.map((x) => (radius * x) / length);
    samples.push({ eta, value: f(eta) });
  }
  samples.sort((a, b) => b.value - a.value);
  let best = samples[0]!.value;
  for (const sample of samples.slice(0, 12)) {
    let eta = sample.eta;
    let value = sample.value;
    let step = rho / 4;
    for (let iteration = 0; iteration < 1000 && step > 1e-12 * rho; iteration++) {
      const h = 1e-6 * rho;
      const gradient = eta.map((_, p) => {
        const plus = eta.slice(); plus[p]! += h;
        const minus = eta.slice(); minus[p]! -= h;
        return (f(plus) - f(minus)) / (2 * h);
      });
      // On the sphere with the gradient pointing outward, move along its tangential part and
      // return to the sphere; otherwise a plain projected step.
      const outward = eta.reduce((s2, x, p) => s2 + x * gradient[p]!, 0);
      const onSphere = Math.hypot(...eta) > rho * (1 - 1e-9) && outward > 0;
      const direction = onSphere ? gradient.map((g, p) => g - (outward / (rho * rho)) * eta[p]!) : gradient;
      const length = Math.hypot(...direction);
      if (!(length > 0)) break;
      const candidate = eta.map((x, p) => x + (step * direction[p]!) / length);
      const radius = Math.hypot(...candidate);
      if (radius > rho || onSphere) candidate.forEach((x, p) => { candidate[p] = (x * rho) / radius; });
      const candidateValue = f(candidate);
      if (candidateValue > value) { eta = candidate; value = candidateValue; step *= 1.5; } else step /= 2;
    }
    best = Math.max(best, value);
  }
  return best;
}

const CASES: Array<{ activation: ActivationSpec; seed: number }> = [
  { activation: { name: 'tanh' }, seed: 120 },
  { activation: { name: 'relu' }, seed: 121 },
];

for (const { activation, seed } of CASES) {
  test(`adaptive sharpness equals a brute-force maximum, from above and below (${activation.name})`, async () => {
    // Random targets: the base loss is far from 0, so "loss" and "loss increase" differ.
    const { model, data } = tinyProblem({ activation, d: 2, m: 2, n: 15, seed });
    const rhos = [0.05, 0.2];
    const sharpness = await computeSharpness(model, data, makeLossSpec('mse', 1), { rhos, averageSamples: 2 });
    assert.ok(sharpness.baseLoss > 0.1, `base loss ${sharpness.baseLoss}`);
    for (const [r, rho] of rhos.entries()) {
      const reference = bruteForceMaximum(model, data, rho, seed + r);
      const found = sharpness.adaptive[r]!.lossIncrease;
      // The engine's losses come from float32 pre-activations: allow their rounding, relative to the loss itself.
      assert.ok(found <= reference + 1e-6 * (sharpness.baseLoss + reference), `rho ${rho}: ${found} above the maximum ${reference}`);
      assert.ok(found >= reference * (1 - 1e-4), `rho ${rho}: ${found} below the maximum ${reference}`);
      assert.ok(sharpness.adaptive[r]!.radius <= rho * (1 + 1e-12));
    }
  });
}

test('adaptive sharpness is the same for a per-neuron rescaled copy (raw and canonical agree)', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'relu' }, d: 3, m: 4, n: 20, seed: 125 });
  const scales = [3, 0.2, 1.7, 0.05];
  const rescaled: TwoLayerModel = {
    ...model,
    hiddenWeights: model.hiddenWeights.map((w, p) => w * scales[Math.floor(p / model.inputDim)]!),
    hiddenBias: model.hiddenBias!.map((b, j) => b * scales[j]!),
    outputWeights: model.outputWeights.map((a, j) => a / scales[j]!),
  };
  const spec = makeLossSpec('mse', 1);
  const options = { rhos: [0.02, 0.1], averageSamples: 2 };
  const [original, copy] = [await computeSharpness(model, data, spec, options), await computeSharpness(rescaled, data, spec, options)];
  for (let r = 0; r < 2; r++) {
    const a = original.adaptive[r]!.lossIncrease;
    const b = copy.adaptive[r]!.lossIncrease;
    assert.ok(Math.abs(a - b) <= 1e-6 * Math.abs(a), `rho ${options.rhos[r]}: ${a} vs ${b}`);
  }
});
