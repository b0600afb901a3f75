import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disagreement, makeProbe } from '../../src/engine/predict/disagreement';
import { SeededRandom } from '../../src/engine/math/random';
import { forward, randomModel, relativeError } from '../helpers/tinyNetworks';
import type { TrainingArrays } from '../../src/engine/predict/trainer';

const random = new SeededRandom(41);
const spec = { d: 4, m: 6, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'relu' as const } };
const [model, first, second] = [randomModel(spec, random), randomModel(spec, random), randomModel(spec, random)];
const n = 30;
const arrays: TrainingArrays = { n, d: 4, c: 2, x: random.normals(n * 4), y: random.normals(n * 2) };

/** (1/P) sum_p ||f(x_p) - g(x_p)||^2 on the probe's inputs, from the test's own forward pass. */
function meanSquaredDifference(f: typeof model, g: typeof model, inputs: Float64Array, count: number): number {
  let sum = 0;
  for (let p = 0; p < count; p++) {
    const a = forward(f, inputs, p);
    const b = forward(g, inputs, p);
    for (let o = 0; o < a.length; o++) sum += (a[o]! - b[o]!) ** 2;
  }
  return sum / count;
}

test('D is the mean disagreement over the references (known answer)', () => {
  const probe = makeProbe(arrays, [first, second], 5, 200);
  const toFirst = meanSquaredDifference(model, first, probe.inputs, probe.count);
  const toSecond = meanSquaredDifference(model, second, probe.inputs, probe.count);
  assert.ok(relativeError(disagreement(model, probe), (toFirst + toSecond) / 2) < 1e-12);
  // One reference: the plain mean squared difference.
  const single = makeProbe(arrays, [first], 5, 200);
  assert.ok(relativeError(disagreement(model, single), toFirst) < 1e-12);
});

test('a reference is not compared only with itself: it gets half the references\' own disagreement', () => {
  const probe = makeProbe(arrays, [first, second], 5, 200);
  const between = meanSquaredDifference(first, second, probe.inputs, probe.count);
  assert.ok(between > 0);
  assert.ok(relativeError(disagreement(first, probe), between / 2) < 1e-12);
  assert.equal(disagreement(first, probe), disagreement(second, probe));
  assert.equal(disagreement(first, makeProbe(arrays, [first], 5, 200)), 0);
});

test('the probe needs a reference', () => {
  assert.throws(() => makeProbe(arrays, [], 5, 10), /at least one reference/);
});
