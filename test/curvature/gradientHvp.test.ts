import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { lossAndGradient } from '../../src/engine/curvature/gradient';
import { LossOperator } from '../../src/engine/curvature/lossOperator';
import { hessianVectorProducts } from '../../src/engine/curvature/hvp';
import { tf } from '../../src/engine/compute/tf';
import type { LossKind } from '../../src/shared/report';
import type { ActivationSpec } from '../../src/engine/model/types';
import {
  finiteDifferenceGradient, finiteDifferenceHessian, flatTheta, makeRandom, maxAbs, maxAbsDifference,
  referenceLoss, tinyProblem,
} from './helpers';

before(async () => { await initBackend('cpu'); });

interface Case { loss: LossKind; activation: ActivationSpec; c: number; hiddenBias: boolean; outputBias: boolean }

const CASES: Case[] = [
  { loss: 'mse', activation: { name: 'tanh' }, c: 1, hiddenBias: true, outputBias: true },
  { loss: 'mse-half', activation: { name: 'softplus' }, c: 2, hiddenBias: false, outputBias: true },
  { loss: 'mse-mean', activation: { name: 'sigmoid' }, c: 3, hiddenBias: true, outputBias: false },
  { loss: 'ce', activation: { name: 'tanh' }, c: 3, hiddenBias: true, outputBias: true },
  { loss: 'ce', activation: { name: 'square' }, c: 2, hiddenBias: false, outputBias: false },
  { loss: 'mse', activation: { name: 'relu_pow', power: 3 }, c: 2, hiddenBias: true, outputBias: false },
  { loss: 'mse', activation: { name: 'relu' }, c: 1, hiddenBias: true, outputBias: true },
  { loss: 'mse', activation: { name: 'elu', alpha: 1 }, c: 1, hiddenBias: false, outputBias: true },
];

for (const [index, testCase] of CASES.entries()) {
  const label = `${testCase.loss}, ${testCase.activation.name}, c=${testCase.c}, biases ${testCase.hiddenBias}/${testCase.outputBias}`;
  const { model, data } = tinyProblem({ ...testCase, seed: 10 + index, n: 15 });
  const f = (theta: Float64Array): number => referenceLoss(model, data, testCase.loss, theta);
  const theta = flatTheta(model);

  test(`gradient matches finite differences (${label})`, async () => {
    const result = await lossAndGradient(model, data, makeLossSpec(testCase.loss, model.outputDim));
    assert.ok(Math.abs(result.loss - f(theta)) <= 1e-6 * Math.max(1, Math.abs(f(theta))));
    const reference = finiteDifferenceGradient(f, theta);
    assert.equal(result.gradient.length, theta.length);
    assert.ok(maxAbsDifference(result.gradient, reference) <= 1e-5 * Math.max(1, maxAbs(reference)),
      `gradient off by ${maxAbsDifference(result.gradient, reference)}`);
  });

  test(`Hessian-vector product matches the finite-difference Hessian (${label})`, async () => {
    // ReLU-type kinks: keep the finite-difference step far below the smallest |z|.
    const H = finiteDifferenceHessian(f, theta, testCase.activation.name === 'relu' || testCase.activation.name === 'relu_pow' ? 1e-5 : 1e-4);
    const operator = await LossOperator.prepare(model, data, makeLossSpec(testCase.loss, model.outputDim));
    const random = makeRandom(99 + index);
    for (let trial = 0; trial < 3; trial++) {
      const v = Float64Array.from({ length: theta.length }, () => random.normal());
      const hv = await operator.hessianVectorProduct(v);
      const reference = H.map((row) => row.reduce((s, h, q) => s + h * v[q]!, 0));
      const scale = Math.max(1e-3, maxAbs(reference));
      assert.ok(maxAbsDifference(hv, reference) <= 2e-4 * scale,
        `trial ${trial}: Hv off by ${maxAbsDifference(hv, reference)} (scale ${scale})`);
    }
    operator.dispose();
  });
}

test('backend products agree with float64 products', async () => {
  const { model, data } = tinyProblem({ d: 5, m: 7, c: 2, n: 40, activation: { name: 'gelu' }, seed: 5 });
  const loss = makeLossSpec('mse', 2);
  const exact = await LossOperator.prepare(model, data, loss, { products: 'float64' });
  const backend = await LossOperator.prepare(model, data, loss, { products: 'backend', chunkRows: 16 });
  const streamed = await LossOperator.prepare(model, data, loss, { products: 'backend', chunkRows: 16, cacheBudgetBytes: 0 });
  assert.ok(maxAbsDifference(exact.gradient, backend.gradient) <= 1e-5 * maxAbs(exact.gradient));
  const random = makeRandom(3);
  const v = Float64Array.from({ length: exact.layout.size }, () => random.normal());
  const reference = await exact.hessianVectorProduct(v);
  for (const other of [backend, streamed]) {
    const hv = await other.hessianVectorProduct(v);
    assert.ok(maxAbsDifference(hv, reference) <= 1e-5 * maxAbs(reference));
  }
  const [oneOff] = await hessianVectorProducts(model, data, loss, [v], undefined, { products: 'backend' });
  assert.ok(maxAbsDifference(oneOff!, reference) <= 1e-5 * maxAbs(reference));
  backend.dispose();
});

test('fast scalar-output ReLU products agree with the general path', async () => {
  for (const hiddenBias of [true, false]) {
    const { model, data } = tinyProblem({ d: 6, m: 9, c: 1, n: 50, activation: { name: 'leaky_relu', slope: 0.1 }, hiddenBias, seed: 8 });
    const loss = makeLossSpec('mse-half', 1);
    const general = await LossOperator.prepare(model, data, loss, { products: 'float64' });
    const fast = await LossOperator.prepare(model, data, loss, { products: 'backend', chunkRows: 20 });
    const random = makeRandom(4);
    const vs = [0, 1, 2].map(() => Float64Array.from({ length: general.layout.size }, () => random.normal()));
    const expected = await general.hessianVectorProducts(vs);
    const actual = await fast.hessianVectorProducts(vs);
    for (let b = 0; b < vs.length; b++) {
      assert.ok(maxAbsDifference(actual[b]!, expected[b]!) <= 1e-5 * maxAbs(expected[b]!),
        `vector ${b}: off by ${maxAbsDifference(actual[b]!, expected[b]!)}`);
    }
    fast.dispose();
  }
});

test('batched backend products agree with float64 products for every loss, with cached and recomputed chunks', async () => {
  const cases: Array<{ loss: LossKind; activation: ActivationSpec; c: number; hiddenBias: boolean; outputBias: boolean }> = [
    { loss: 'ce', activation: { name: 'relu' }, c: 4, hiddenBias: true, outputBias: true },
    { loss: 'ce', activation: { name: 'tanh' }, c: 3, hiddenBias: false, outputBias: false },
    { loss: 'mse-mean', activation: { name: 'leaky_relu', slope: 0.2 }, c: 2, hiddenBias: true, outputBias: false },
    { loss: 'mse', activation: { name: 'relu' }, c: 1, hiddenBias: false, outputBias: true },
  ];
  for (const [index, testCase] of cases.entries()) {
    const { model, data } = tinyProblem({ ...testCase, d: 6, m: 11, n: 45, seed: 30 + index });
    const loss = makeLossSpec(testCase.loss, testCase.c);
    const exact = await LossOperator.prepare(model, data, loss, { products: 'float64' });
    // 16-row chunks; a budget of 20 rows' pre-activations keeps loss terms but no pre-activations, and 0 keeps nothing.
    const budgets = [undefined, 4 * 20 * model.hiddenDim, 0];
    const random = makeRandom(7 + index);
    const vs = [0, 1, 2].map(() => random.normals(exact.layout.size));
    const expected = await exact.hessianVectorProducts(vs);
    for (const cacheBudgetBytes of budgets) {
      const tensorsBefore = tf.memory().numTensors;
      const backend = await LossOperator.prepare(model, data, loss, { products: 'backend', chunkRows: 16, fastPath: false, cacheBudgetBytes });
      assert.equal(backend.productKernel, 'tfjs');
      const actual = await backend.hessianVectorProducts(vs);
      const single = await backend.hessianVectorProduct(vs[1]!);
      for (let b = 0; b < vs.length; b++) {
        const scale = maxAbs(expected[b]!);
        assert.ok(maxAbsDifference(actual[b]!, expected[b]!) <= 1e-5 * scale,
          `case ${index}, budget ${cacheBudgetBytes}, vector ${b}: off by ${maxAbsDifference(actual[b]!, expected[b]!)} (scale ${scale})`);
      }
      assert.ok(maxAbsDifference(single, expected[1]!) <= 1e-5 * maxAbs(expected[1]!));
      assert.equal(backend.productCount, 4);
      backend.dispose();
      assert.equal(tf.memory().numTensors, tensorsBefore, 'every backend tensor is freed');
    }
  }
});
