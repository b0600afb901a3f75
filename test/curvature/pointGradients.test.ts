/** Losses and gradients at many points in one batched pass, against the closed-form operator one point at a time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { lossAndGradient } from '../../src/engine/curvature/gradient';
import { lossesAndGradients, lossesAtParameters } from '../../src/engine/curvature/pointGradients';
import { flattenParameters, unflattenParameters } from '../../src/engine/curvature/parameterVector';
import type { ActivationSpec } from '../../src/engine/model/types';
import { leasePointSessions, pointSessionCount } from '../../src/engine/compute/onnx/pointsKernel';
import { makeRandom, tinyProblem } from './helpers';

const cases: Array<{ name: string; activation: ActivationSpec; loss: 'mse' | 'ce'; c: number; hiddenBias: boolean; outputBias: boolean }> = [
  { name: 'relu, squared error, both biases', activation: { name: 'relu' }, loss: 'mse', c: 1, hiddenBias: true, outputBias: true },
  { name: 'tanh, two outputs, no biases', activation: { name: 'tanh' }, loss: 'mse', c: 2, hiddenBias: false, outputBias: false },
  { name: 'leaky relu, cross-entropy, 3 classes', activation: { name: 'leaky_relu', slope: 0.1 }, loss: 'ce', c: 3, hiddenBias: true, outputBias: true },
];

for (const backend of ['cpu', 'wasm', 'onnxruntime'] as const) {
  for (const { name, activation, loss: kind, c, hiddenBias, outputBias } of cases) {
    test(`batched losses and gradients equal the operator's at each point (${name}, ${backend})`, async () => {
      assert.equal((await initBackend(backend)).name, backend);
      const { model, data } = tinyProblem({ d: 4, m: 6, c, n: 37, activation, loss: kind, hiddenBias, outputBias, seed: 5 });
      const loss = makeLossSpec(kind, c);
      const theta = flattenParameters(model);
      const random = makeRandom(9);
      const points = [theta, ...Array.from({ length: 4 }, () => theta.map((t) => t + 0.3 * random.normal()))];
      // Chunks of 5 rows: the float64 accumulation over chunks is exercised too.
      const batched = await lossesAndGradients(model, data, loss, points, undefined, 5, 'backend');
      const forwardOnly = await lossesAtParameters(model, data, loss, points, undefined, 7, 'backend');
      for (const [p, point] of points.entries()) {
        const expected = await lossAndGradient(unflattenParameters(model, point), data, loss, undefined, { products: 'float64' });
        const got = batched[p]!;
        assert.ok(Math.abs(got.loss - expected.loss) <= 1e-5 * Math.max(1, expected.loss), `loss ${got.loss} vs ${expected.loss}`);
        assert.ok(Math.abs(forwardOnly[p]! - expected.loss) <= 1e-5 * Math.max(1, expected.loss), `forward-only loss ${forwardOnly[p]} vs ${expected.loss}`);
        let worst = 0;
        let scale = 0;
        for (let q = 0; q < point.length; q++) {
          worst = Math.max(worst, Math.abs(got.gradient[q]! - expected.gradient[q]!));
          scale = Math.max(scale, Math.abs(expected.gradient[q]!));
        }
        assert.ok(scale > 0 && worst <= 1e-5 * scale, `point ${p}: gradient error ${worst} against scale ${scale}`);
      }
      if (backend === 'onnxruntime') {
        // The products ran on the point sessions (pointsKernel.ts); the last of two leases to end
        // releases them, as when two analyses run side by side.
        assert.equal(pointSessionCount(), 1);
        const endFirst = leasePointSessions();
        const endSecond = leasePointSessions();
        await endFirst();
        await endFirst();
        assert.equal(pointSessionCount(), 1, 'a lease still runs');
        await endSecond();
        assert.equal(pointSessionCount(), 0);
      }
    });
  }
}

test('batched losses and gradients on onnxruntime equal the operator\'s for every activation', async () => {
  assert.equal((await initBackend('onnxruntime')).name, 'onnxruntime');
  const activations: ActivationSpec[] = [
    { name: 'relu_pow', power: 2 }, { name: 'square' }, { name: 'abs' }, { name: 'linear' }, { name: 'sigmoid' },
    { name: 'gelu' }, { name: 'softplus' }, { name: 'elu', alpha: 0.7 },
  ];
  for (const [index, activation] of activations.entries()) {
    const { model, data } = tinyProblem({ d: 3, m: 5, c: 2, n: 23, activation, loss: 'mse', hiddenBias: true, outputBias: true, seed: 30 + index });
    const loss = makeLossSpec('mse', 2);
    const theta = flattenParameters(model);
    const random = makeRandom(40 + index);
    const points = [theta, theta.map((t) => t + 0.2 * random.normal())];
    const batched = await lossesAndGradients(model, data, loss, points, undefined, 6, 'backend');
    for (const [p, point] of points.entries()) {
      const expected = await lossAndGradient(unflattenParameters(model, point), data, loss, undefined, { products: 'float64' });
      const got = batched[p]!;
      assert.ok(Math.abs(got.loss - expected.loss) <= 1e-5 * Math.max(1, expected.loss), `${activation.name}: loss ${got.loss} vs ${expected.loss}`);
      let worst = 0;
      let scale = 0;
      for (let q = 0; q < point.length; q++) {
        worst = Math.max(worst, Math.abs(got.gradient[q]! - expected.gradient[q]!));
        scale = Math.max(scale, Math.abs(expected.gradient[q]!));
      }
      assert.ok(scale > 0 && worst <= 1e-5 * scale, `${activation.name}, point ${p}: gradient error ${worst} against scale ${scale}`);
    }
  }
  assert.equal(pointSessionCount(), activations.length, 'one pair of sessions per activation');
  await leasePointSessions()();
  assert.equal(pointSessionCount(), 0);
});
