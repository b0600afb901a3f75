/**
 * The same analyses on tfjs-wasm and on onnxruntime's kernels agree to 1e-6 (both float32 per
 * chunk, float64 across chunks): every activation, squared error and cross-entropy, with and
 * without biases, several chunks, the invariant diagonal, and samples on a ReLU kink.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { computeCurvatureSums, type CurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { evaluateLoss } from '../../src/engine/compute/forward';
import { makeLossSpec } from '../../src/engine/math/losses';
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind } from '../../src/shared/report';
import { randomData, randomModel } from '../helpers/tinyNetworks';

const ACTIVATIONS: ActivationSpec[] = [
  { name: 'relu' }, { name: 'leaky_relu', slope: 0.1 }, { name: 'relu_pow', power: 3 }, { name: 'relu_pow', power: 1.5 },
  { name: 'square' }, { name: 'abs' }, { name: 'linear' }, { name: 'tanh' }, { name: 'sigmoid' }, { name: 'gelu' },
  { name: 'softplus' }, { name: 'elu', alpha: 0.7 },
];

/** |a - b| <= tolerance * the largest magnitude of the vector (sums of signed terms may cancel). */
function assertClose(label: string, wasm: ArrayLike<number>, onnx: ArrayLike<number>, tolerance = 1e-6): void {
  assert.equal(onnx.length, wasm.length, label);
  let scale = 0;
  for (let k = 0; k < wasm.length; k++) scale = Math.max(scale, Math.abs(wasm[k]!));
  for (let k = 0; k < wasm.length; k++) {
    assert.ok(Math.abs(wasm[k]! - onnx[k]!) <= tolerance * scale + 1e-12, `${label}[${k}]: wasm ${wasm[k]} vs onnxruntime ${onnx[k]}`);
  }
}

async function onBoth<T>(run: () => Promise<T>): Promise<[T, T]> {
  assert.equal((await initBackend('wasm')).name, 'wasm');
  const wasm = await run();
  const info = await initBackend('onnxruntime');
  assert.equal(info.name, 'onnxruntime');
  assert.match(info.kernels ?? '', /^onnxruntime \d+\.\d+\.\d+ CPU$/);
  assert.ok((info.threads ?? 0) >= 1);
  return [wasm, await run()];
}

function compareSums(label: string, wasm: CurvatureSums, onnx: CurvatureSums, curvatureTolerance = 1e-6): void {
  assertClose(`${label} A`, wasm.neuronA, onnx.neuronA);
  assertClose(`${label} B`, wasm.neuronB, onnx.neuronB);
  assertClose(`${label} C`, wasm.neuronC, onnx.neuronC, curvatureTolerance);
  assert.deepEqual(Array.from(onnx.activeSamples), Array.from(wasm.activeSamples), `${label} active samples`);
  assertClose(`${label} loss`, [wasm.lossValue, wasm.outputBiasTerm, wasm.meanWeightedOutputNorm], [onnx.lossValue, onnx.outputBiasTerm, onnx.meanWeightedOutputNorm]);
  assertClose(`${label} invariant diagonal`, [wasm.invariantDiagonal!], [onnx.invariantDiagonal!], curvatureTolerance);
  assert.equal(onnx.accuracy, wasm.accuracy, `${label} accuracy`);
}

describe('onnxruntime kernels against tfjs-wasm', () => {
  for (const activation of ACTIVATIONS) {
    for (const loss of ['mse', 'ce'] as LossKind[]) {
      test(`curvature sums: ${activation.name}${activation.power ? `^${activation.power}` : ''}, ${loss}`, async () => {
        for (const [hiddenBias, outputBias] of [[false, false], [true, true]] as const) {
          const random = new SeededRandom(11 + (hiddenBias ? 1 : 0));
          const c = 3;
          const model = randomModel({ d: 5, m: 9, c, hiddenBias, outputBias, activation }, random);
          const data = loss === 'ce' ? randomData(301, 5, 1, random, c) : randomData(301, 5, c, random);
          const spec = makeLossSpec(loss, c);
          const [wasm, onnx] = await onBoth(() => computeCurvatureSums(model, data, spec, { chunkRows: 64, withInvariantDiagonal: true }));
          // relu^p with p < 2: sigma'' ~ z^(p - 2) is unbounded at the kink, so the float32 rounding
          // of a z near 0 (which differs between two sets of kernels) is amplified in C.
          const curvatureTolerance = activation.name === 'relu_pow' && (activation.power ?? 2) < 2 ? 1e-4 : 1e-6;
          compareSums(`bias ${hiddenBias}`, wasm, onnx, curvatureTolerance);
          const [wasmForward, onnxForward] = await onBoth(() => evaluateLoss(model, data, spec, undefined, 100));
          assertClose('forward loss', [wasmForward.loss], [onnxForward.loss]);
          assert.equal(onnxForward.accuracy, wasmForward.accuracy);
        }
      });
    }
  }

  test('a model changed in place gets new sessions, not the cached ones of its old weights', async () => {
    const random = new SeededRandom(21);
    const model = randomModel({ d: 4, m: 6, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'tanh' } }, random);
    const data = randomData(90, 4, 2, random);
    const spec = makeLossSpec('mse', 2);
    await initBackend('onnxruntime');
    const before = await evaluateLoss(model, data, spec);
    const sumsBefore = await computeCurvatureSums(model, data, spec, { chunkRows: 32 });
    for (let k = 0; k < model.hiddenWeights.length; k++) model.hiddenWeights[k] = model.hiddenWeights[k]! * 1.5;
    const [wasm, onnx] = await onBoth(() => computeCurvatureSums(model, data, spec, { chunkRows: 32 }));
    compareSums('changed', wasm, onnx);
    assert.notEqual(onnx.neuronB[0], sumsBefore.neuronB[0]);
    const [wasmLoss, onnxLoss] = await onBoth(() => evaluateLoss(model, data, spec));
    assertClose('forward loss after the change', [wasmLoss.loss], [onnxLoss.loss]);
    assert.notEqual(onnxLoss.loss, before.loss);
  });

  test('ReLU samples within rounding of a kink: onnxruntime follows the exact float64 sign as wasm does', async () => {
    const random = new SeededRandom(80);
    const d = 6;
    const m = 12;
    const model: TwoLayerModel = randomModel({ d, m, c: 2, hiddenBias: true, outputBias: false, activation: { name: 'relu' } }, random);
    const data: Dataset = randomData(40, d, 2, random);
    const classes: Dataset = { ...data, targetDim: 1, targets: Float32Array.from({ length: data.n }, (_, i) => i % 2) };
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let l = 0; l < d; l++) dot += model.hiddenWeights[j * d + l]! * data.inputs[j * d + l]!;
      model.hiddenBias![j] = -dot + (j % 2 ? 1 : -1) * 1e-10;
    }
    const expectedActive = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < data.n; i++) {
        let z = model.hiddenBias![j]!;
        for (let l = 0; l < d; l++) z += model.hiddenWeights[j * d + l]! * data.inputs[i * d + l]!;
        if (z > 0) expectedActive[j]!++;
      }
    }
    for (const loss of ['mse', 'ce'] as LossKind[]) {
      const spec = makeLossSpec(loss, 2);
      const [wasm, onnx] = await onBoth(() => computeCurvatureSums(model, loss === 'ce' ? classes : data, spec, { withInvariantDiagonal: true }));
      assert.deepEqual(Array.from(onnx.activeSamples), Array.from(expectedActive), `${loss}: active samples follow the float64 sign`);
      compareSums(loss, wasm, onnx);
    }
  });
});
