import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TwoLayerModel } from '../../src/engine/model/types';
import {
  evaluateObjective, initialNetwork, lossAndGradient64, normalizedFlatnessAndGradient, toTrainingArrays,
  trainNetwork, zeroGradient, type ModelGradient, type TrainingArrays,
} from '../../src/engine/predict/trainer';
import { BackendObjective, flatLayout, fromFlat, toFlat } from '../../src/engine/predict/backendObjective';
import { initBackend } from '../../src/engine/compute/backend';
import { tf } from '../../src/engine/compute/tf';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { buildFlatnessSection } from '../../src/engine/analysis/flatness';
import { makeLossSpec } from '../../src/engine/math/losses';
import { flatten, randomData, randomModel, referenceLoss, unflatten } from '../helpers/tinyNetworks';
import { SeededRandom } from '../../src/engine/math/random';

function flatGradient(model: TwoLayerModel, gradient: ModelGradient): Float64Array {
  return flatten({ ...model, ...gradient });
}

function centralDifference(evaluate: (theta: Float64Array) => number, theta: Float64Array, h = 1e-6): Float64Array {
  const out = new Float64Array(theta.length);
  for (let p = 0; p < theta.length; p++) {
    const plus = theta.slice();
    const minus = theta.slice();
    plus[p]! += h;
    minus[p]! -= h;
    out[p] = (evaluate(plus) - evaluate(minus)) / (2 * h);
  }
  return out;
}

function assertClose(actual: Float64Array, expected: Float64Array, tolerance: number): void {
  let worst = 0;
  let scale = 0;
  for (let p = 0; p < expected.length; p++) {
    worst = Math.max(worst, Math.abs(actual[p]! - expected[p]!));
    scale = Math.max(scale, Math.abs(expected[p]!));
  }
  assert.ok(scale > 0, 'gradient is identically zero');
  assert.ok(worst <= tolerance * scale, `max gradient error ${worst} vs scale ${scale}`);
}

const cases = [
  { name: 'relu, no biases, scalar', spec: { d: 4, m: 5, c: 1, hiddenBias: false, outputBias: false, activation: { name: 'relu' as const } } },
  { name: 'leaky relu, both biases, two outputs', spec: { d: 3, m: 4, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'leaky_relu' as const, slope: 0.1 } } },
  { name: 'abs, hidden bias', spec: { d: 3, m: 6, c: 1, hiddenBias: true, outputBias: false, activation: { name: 'abs' as const } } },
];

for (const { name, spec } of cases) {
  test(`loss gradient matches finite differences (${name})`, () => {
    const random = new SeededRandom(11);
    const model = randomModel(spec, random);
    const data = randomData(7, spec.d, spec.c, random);
    const arrays = toTrainingArrays(data);
    for (const kind of ['mse', 'mse-half'] as const) {
      const scale = makeLossSpec(kind, spec.c).squaredErrorScale;
      const { value, gradient } = lossAndGradient64(model, arrays, scale);
      // The value is checked against the test helper's independent forward pass.
      assert.ok(Math.abs(value.loss - referenceLoss(model, data, kind)) < 1e-6 * Math.max(1, value.loss));
      const numeric = centralDifference((theta) => referenceLoss(unflatten(model, theta), data, kind), flatten(model));
      assertClose(flatGradient(model, gradient), numeric, 1e-5);
    }
  });

  test(`normalized-flatness gradient matches finite differences (${name})`, async () => {
    const random = new SeededRandom(23);
    const model = randomModel(spec, random);
    const data = randomData(9, spec.d, spec.c, random);
    const arrays = toTrainingArrays(data);
    const loss = makeLossSpec('mse', spec.c);
    const { value, gradient } = normalizedFlatnessAndGradient(model, arrays, loss.squaredErrorScale);
    // The value agrees with the engine's core (per-neuron orbit minimum of A_j and B_j sums).
    const sums = await computeCurvatureSums(model, data, loss);
    const core = buildFlatnessSection(model, loss, sums).normalized.value!;
    assert.ok(Math.abs(value - core) <= 1e-4 * core, `trainer F_sym ${value} vs engine ${core}`);
    const evaluate = (theta: Float64Array) =>
      evaluateObjective(unflatten(model, theta), arrays, loss.squaredErrorScale, 0, 0, null).normalizedFlatness!;
    assertClose(flatGradient(model, gradient), centralDifference(evaluate, flatten(model)), 1e-5);
  });
}

for (const { name, spec } of cases) {
  test(`the backend objective's residuals and gradient match the float64 reference (${name})`, async () => {
    await initBackend('wasm');
    const random = new SeededRandom(31);
    const model = randomModel(spec, random);
    const arrays = toTrainingArrays(randomData(11, spec.d, spec.c, random));
    const scale = makeLossSpec('mse', spec.c).squaredErrorScale;
    const layout = flatLayout(model);
    const objective = new BackendObjective(arrays, layout, model.activation, scale);
    try {
      for (const [lossWeight, flatnessWeight] of [[1, 0], [1, 0.7], [0, 1]] as const) {
        const reference = zeroGradient(model);
        const value = evaluateObjective(model, arrays, scale, lossWeight, flatnessWeight, reference);
        const theta = tf.tensor1d(toFlat(model, layout));
        const [residual, gradient] = tf.tidy(() => {
          const result = objective.evaluate(theta, lossWeight, flatnessWeight, true);
          return [result.residual, result.gradient!];
        });
        theta.dispose();
        const residuals = await residual!.data();
        let squares = 0;
        for (const r of residuals) squares += r * r;
        assert.ok(Math.abs(squares / (arrays.n * arrays.c) - value.meanSquaredError) <= 1e-5 * value.meanSquaredError);
        // The flat gradient, read back through fromFlat's layout, against the closed form in float64.
        const asModel = fromFlat(model, layout, Float32Array.from(await gradient!.data()));
        residual!.dispose();
        gradient!.dispose();
        assertClose(flatGradient(model, { ...asModel }), flatGradient(model, reference), 1e-5);
      }
    } finally {
      objective.dispose();
    }
  });
}

test('the trainer reaches interpolation and reports progress', async () => {
  const random = new SeededRandom(5);
  const data = randomData(20, 3, 1, random);
  const arrays: TrainingArrays = toTrainingArrays(data);
  const start = initialNetwork({ inputDim: 3, hiddenDim: 30, outputDim: 1, scale: 1, hiddenBias: true, outputBias: false, activation: { name: 'relu' }, seed: 3 });
  const stages: number[] = [];
  const result = await trainNetwork(start, arrays, 2, { maxSteps: 5000, learningRate: 0.01, targetMse: 1e-5 }, { onProgress: (_, f) => stages.push(f) });
  assert.ok(result.interpolates, `mse ${result.meanSquaredError}`);
  assert.ok(referenceLoss(result.model, data, 'mse') <= 2.1e-5);
  assert.ok(stages.length > 0);
  assert.notDeepEqual(result.model.hiddenWeights, start.hiddenWeights);
});

test('training stops when cancelled', async () => {
  const random = new SeededRandom(6);
  const arrays = toTrainingArrays(randomData(20, 3, 1, random));
  const start = initialNetwork({ inputDim: 3, hiddenDim: 10, outputDim: 1, scale: 1, hiddenBias: false, outputBias: false, activation: { name: 'relu' }, seed: 1 });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(trainNetwork(start, arrays, 2, { maxSteps: 1000, learningRate: 0.01, targetMse: 0 }, { signal: controller.signal }), /cancelled/);
});

test('the flatness penalty lowers F_sym at interpolation', async () => {
  const random = new SeededRandom(9);
  const data = randomData(30, 4, 1, random);
  const arrays = toTrainingArrays(data);
  const start = initialNetwork({ inputDim: 4, hiddenDim: 40, outputDim: 1, scale: 1, hiddenBias: false, outputBias: false, activation: { name: 'relu' }, seed: 2 });
  const options = { maxSteps: 6000, learningRate: 0.01, targetMse: 1e-5 };
  const plain = await trainNetwork(start, arrays, 2, options);
  const flat = await trainNetwork(start, arrays, 2, { ...options, flatnessWeight: 1, penaltySteps: 1500 });
  assert.ok(plain.interpolates && flat.interpolates);
  const fPlain = evaluateObjective(plain.model, arrays, 2, 1, 0, null).normalizedFlatness!;
  const fFlat = evaluateObjective(flat.model, arrays, 2, 1, 0, null).normalizedFlatness!;
  assert.ok(fFlat < fPlain, `penalised ${fFlat} vs plain ${fPlain}`);
});
