import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { LossOperator } from '../../src/engine/curvature/lossOperator';
import type { LossKind } from '../../src/shared/report';
import type { ActivationSpec } from '../../src/engine/model/types';
import { makeRandom, maxAbs, maxAbsDifference, tinyProblem } from './helpers';

before(async () => {
  const backend = await initBackend('onnxruntime');
  assert.equal(backend.name, 'onnxruntime');
});

test('Hessian-vector products on onnxruntime agree with float64 products, cached and recomputed chunks', async () => {
  const cases: Array<{ loss: LossKind; activation: ActivationSpec; c: number; hiddenBias: boolean; outputBias: boolean }> = [
    { loss: 'ce', activation: { name: 'relu' }, c: 4, hiddenBias: true, outputBias: true },
    { loss: 'ce', activation: { name: 'tanh' }, c: 3, hiddenBias: false, outputBias: false },
    { loss: 'mse', activation: { name: 'gelu' }, c: 2, hiddenBias: true, outputBias: true },
    { loss: 'mse-half', activation: { name: 'leaky_relu', slope: 0.1 }, c: 1, hiddenBias: true, outputBias: false },
  ];
  for (const [index, testCase] of cases.entries()) {
    const { model, data } = tinyProblem({ ...testCase, d: 7, m: 10, n: 50, seed: 60 + index });
    const loss = makeLossSpec(testCase.loss, testCase.c);
    const exact = await LossOperator.prepare(model, data, loss, { products: 'float64' });
    const random = makeRandom(17 + index);
    const vs = [0, 1, 2].map(() => random.normals(exact.layout.size));
    const expected = await exact.hessianVectorProducts(vs);
    // 16-row chunks; the small budget keeps loss terms but no pre-activations, and 0 keeps nothing.
    for (const cacheBudgetBytes of [undefined, 4 * 20 * model.hiddenDim, 0]) {
      const onnx = await LossOperator.prepare(model, data, loss, { products: 'backend', chunkRows: 16, fastPath: false, cacheBudgetBytes });
      try {
        assert.equal(onnx.productKernel, 'onnxruntime');
        const actual = await onnx.hessianVectorProducts(vs);
        const single = await onnx.hessianVectorProduct(vs[2]!);
        for (let b = 0; b < vs.length; b++) {
          assert.ok(maxAbsDifference(actual[b]!, expected[b]!) <= 1e-5 * maxAbs(expected[b]!),
            `case ${index}, budget ${cacheBudgetBytes}, vector ${b}: off by ${maxAbsDifference(actual[b]!, expected[b]!)}`);
        }
        assert.ok(maxAbsDifference(single, expected[2]!) <= 1e-5 * maxAbs(expected[2]!));
      } finally {
        onnx.dispose();
      }
    }
  }
});
