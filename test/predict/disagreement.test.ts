import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disagreement, makeProbe, referenceDisagreements } from '../../src/engine/predict/disagreement';
import { SeededRandom } from '../../src/engine/math/random';
import { forward, randomModel, relativeError, rescale } from '../helpers/tinyNetworks';
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
  assert.deepEqual(referenceDisagreements(model, probe).map((v, k) => relativeError(v, [toFirst, toSecond][k]!) < 1e-12), [true, true]);
  assert.ok(relativeError(disagreement(model, probe), (toFirst + toSecond) / 2) < 1e-12);
  // Built from the first reference: compared with the second only.
  assert.ok(relativeError(disagreement(model, probe, 0), toSecond) < 1e-12);
  // One reference: the plain mean squared difference.
  const single = makeProbe(arrays, [first], 5, 200);
  assert.ok(relativeError(disagreement(model, single), toFirst) < 1e-12);
});

test('a reference is compared with the other references, never with itself', () => {
  const probe = makeProbe(arrays, [first, second], 5, 200);
  const between = meanSquaredDifference(first, second, probe.inputs, probe.count);
  assert.ok(between > 0);
  for (const reference of [first, second]) assert.ok(relativeError(disagreement(reference, probe), between) < 1e-12);
  // Its rescaled copy (the same function) too; a model close to it but not the same is independent.
  const copy = rescale(first, Array.from({ length: first.hiddenDim }, (_, j) => 0.5 + j), 1);
  assert.ok(relativeError(disagreement(copy, probe), between) < 1e-9);
  const nudged = { ...first, outputBias: first.outputBias!.map((v) => v + 1e-3) };
  const toNudged = [first, second].map((g) => meanSquaredDifference(nudged, g, probe.inputs, probe.count));
  assert.ok(relativeError(disagreement(nudged, probe), (toNudged[0]! + toNudged[1]!) / 2) < 1e-12);
  // With a single reference nothing else is left: the reference gets 0.
  assert.equal(disagreement(first, makeProbe(arrays, [first], 5, 200)), 0);
});

test('the probe needs a reference', () => {
  assert.throws(() => makeProbe(arrays, [], 5, 10), /at least one reference/);
});
