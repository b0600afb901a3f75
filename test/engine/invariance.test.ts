import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { testBackend } from '../helpers/testBackend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { buildFlatnessSection } from '../../src/engine/analysis/flatness';
import { makeLossSpec } from '../../src/engine/math/losses';
import { makeActivation } from '../../src/engine/math/activations';
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind, ReportFlatness } from '../../src/shared/report';
import { forward, randomData, randomModel, relativeError, rescale } from '../helpers/tinyNetworks';

before(async () => { await initBackend(testBackend()); });

async function flatnessOf(model: TwoLayerModel, data: Dataset, loss: LossKind): Promise<ReportFlatness> {
  const spec = makeLossSpec(loss, model.outputDim);
  return buildFlatnessSection(model, spec, await computeCurvatureSums(model, data, spec, { withInvariantDiagonal: true }));
}

/** Replaces the targets by the model's own outputs: the model then interpolates exactly. */
function interpolatedData(model: TwoLayerModel, data: Dataset): Dataset {
  const targets = new Float32Array(data.n * model.outputDim);
  for (let i = 0; i < data.n; i++) forward(model, data.inputs, i).forEach((v, o) => { targets[i * model.outputDim + o] = v; });
  return { ...data, targetDim: model.outputDim, targets };
}

const HOMOGENEOUS: ActivationSpec[] = [
  { name: 'relu' }, { name: 'leaky_relu', slope: 0.2 }, { name: 'abs' }, { name: 'linear' },
  { name: 'square' }, { name: 'relu_pow', power: 2 },
];

describe('invariance under per-neuron rescaling', () => {
  let seed = 7;
  for (const activation of HOMOGENEOUS) {
    for (const [c, hiddenBias, outputBias, interpolating] of [[1, false, false, true], [2, true, true, true], [1, true, false, false]] as const) {
      test(`${activation.name}, ${c} output(s), biases ${hiddenBias}/${outputBias}, ${interpolating ? 'interpolator' : 'random targets'}`, async () => {
        const random = new SeededRandom(seed++);
        const model = randomModel({ d: 5, m: 8, c, hiddenBias, outputBias, activation }, random);
        let data = randomData(64, 5, c, random);
        if (interpolating) data = interpolatedData(model, data);
        const k = makeActivation(activation).homogeneityDegree!;
        const scales = Array.from({ length: model.hiddenDim }, () => Math.exp((random.uniform() * 2 - 1) * Math.log(10)));
        const original = await flatnessOf(model, data, 'mse');
        const rescaled = await flatnessOf(rescale(model, scales, k), data, 'mse');
        assert.ok(relativeError(rescaled.trace, original.trace) > 1e-2, `raw trace moves: ${original.trace} -> ${rescaled.trace}`);
        for (const key of ['normalized', 'invariantDiagonal', 'pathNorm'] as const) {
          const before = original[key].value;
          const after = rescaled[key].value;
          if (before === null) { assert.equal(after, null, `${key} stays undefined`); continue; }
          assert.ok(after !== null && relativeError(after, before) < 1e-6, `${key}: ${before} -> ${after}`);
        }
        if (interpolating) assert.ok(original.normalized.value !== null, 'an exact interpolator is at a minimum');
        if (original.lowerBoundAtModel.value !== null && original.normalized.value !== null) {
          assert.ok(original.lowerBoundAtModel.value <= original.normalized.value * (1 + 1e-9),
            `bound at the model ${original.lowerBoundAtModel.value} <= normalized ${original.normalized.value}`);
        }
        if (interpolating && original.lowerBound.value !== null) {
          assert.ok(original.lowerBound.value <= original.normalized.value! * (1 + 1e-6), 'data bound <= normalized at an interpolator');
          assert.ok(original.ratio.value! >= 1 - 1e-6, `ratio ${original.ratio.value} >= 1`);
        }
      });
    }
  }

  test('the orbit curve reaches F_sym at the common optimal scale and grows on both sides', async () => {
    const random = new SeededRandom(3);
    const model = randomModel({ d: 4, m: 1, c: 1, hiddenBias: false, outputBias: false, activation: { name: 'relu' } }, random);
    const data = interpolatedData(model, randomData(40, 4, 1, random));
    const flatness = await flatnessOf(model, data, 'mse');
    const minimumOnCurve = Math.min(...flatness.orbit.map((p) => p.trace));
    assert.ok(flatness.orbit.length >= 41);
    assert.ok(minimumOnCurve >= flatness.normalized.value! * (1 - 1e-9));
    assert.ok(relativeError(minimumOnCurve, flatness.normalized.value!) < 0.05, 'a single neuron\'s orbit minimum is F_sym');
    assert.ok(flatness.orbit[0]!.trace > 10 * flatness.normalized.value! && flatness.orbit.at(-1)!.trace > 10 * flatness.normalized.value!);
  });
});

describe('the certified lower bound', () => {
  test('bound at the model never exceeds F_sym for random non-interpolating ReLU networks', async () => {
    const random = new SeededRandom(11);
    for (let trial = 0; trial < 10; trial++) {
      const model = randomModel({ d: 6, m: 10, c: 1 + (trial % 3), hiddenBias: trial % 2 === 0, outputBias: trial % 3 === 0, activation: { name: trial % 2 ? 'relu' : 'leaky_relu', slope: 0.3 } }, random);
      const data = randomData(50, 6, model.outputDim, random);
      for (const loss of ['mse', 'mse-half', 'mse-mean'] as const) {
        const flatness = await flatnessOf(model, data, loss);
        assert.ok(flatness.lowerBoundAtModel.value! <= flatness.normalized.value! * (1 + 1e-9), `${loss}: ${flatness.lowerBoundAtModel.value} <= ${flatness.normalized.value}`);
      }
    }
  });

  test('a single ReLU index is within a few percent of sqrt(pi/2) for large n and d', async () => {
    const random = new SeededRandom(5);
    const d = 200;
    const model = randomModel({ d, m: 1, c: 1, hiddenBias: false, outputBias: false, activation: { name: 'relu' } }, random);
    const norm = Math.sqrt(model.hiddenWeights.reduce((s, v) => s + v * v, 0));
    model.hiddenWeights.forEach((v, l) => { model.hiddenWeights[l] = v / norm; });
    model.outputWeights[0] = 1;
    const data = interpolatedData(model, randomData(20000, d, 1, random));
    const flatness = await flatnessOf(model, data, 'mse');
    assert.ok(Math.abs(flatness.ratio.value! - Math.sqrt(Math.PI / 2)) < 0.03, `R = ${flatness.ratio.value}`);
  });

  test('non-homogeneous activations and cross-entropy get null with a reason', async () => {
    const random = new SeededRandom(9);
    const tanhModel = randomModel({ d: 3, m: 4, c: 1, hiddenBias: true, outputBias: true, activation: { name: 'tanh' } }, random);
    const tanhFlatness = await flatnessOf(tanhModel, randomData(20, 3, 1, random), 'mse');
    for (const key of ['normalized', 'pathNorm', 'lowerBound', 'ratio'] as const) {
      assert.equal(tanhFlatness[key].value, null);
      assert.match(tanhFlatness[key].reason!, /homogeneous/);
    }
    assert.equal(tanhFlatness.orbit.length, 0);
    const ceModel = randomModel({ d: 3, m: 4, c: 3, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    const ceFlatness = await flatnessOf(ceModel, randomData(20, 3, 1, random, 3), 'ce');
    assert.ok(ceFlatness.normalized.value !== null);
    assert.equal(ceFlatness.lowerBound.value, null);
    assert.match(ceFlatness.ratio.reason!, /cross-entropy/);
  });
});
