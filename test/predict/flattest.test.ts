import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLATTEST_OPTIONS, searchFlattest } from '../../src/engine/predict/flattest';
import { makeLossSpec } from '../../src/engine/math/losses';
import { initBackend } from '../../src/engine/compute/backend';
import { makeTask } from '../../scripts/validation/study';

// As many dimensions as points: a starting penalty that made the zero network the penalized
// objective's minimizer killed every neuron here (F_found = n/a at d = 100 and 200).
for (const biases of [false, true]) {
  test(`the flattest search interpolates with d = n${biases ? ', with biases' : ''}`, async () => {
    await initBackend('cpu');
    const task = makeTask({ id: 'unit', family: 'in', d: 40, n: 40, indices: 2, noise: 0, width: 16, seed: 3, populationSamples: 10, inputs: 'gaussian', biases });
    const found = await searchFlattest(task.train, makeLossSpec('mse', 1), {
      ...DEFAULT_FLATTEST_OPTIONS, widths: [16], restarts: biases ? 1 : 2, activation: { name: 'relu' }, hiddenBias: biases, outputBias: biases,
      targetMse: 1e-5, maxSteps: 3000, seed: 7,
    });
    assert.ok(found.model !== null && found.normalized !== null, `no interpolator: ${JSON.stringify(found.runs)}`);
    assert.ok(found.runs.some((run) => run.interpolates));
    // Every interpolating run is kept as a reference of D, the flattest first.
    assert.equal(found.models.length, found.runs.filter((run) => run.interpolates).length);
    assert.equal(found.models[0], found.model);
    // Flattest order: within a small factor of the certified bound, never below it.
    const ratio = found.normalized / found.lowerBound!;
    assert.ok(ratio >= 1 - 1e-6 && ratio < 2, `F_found / F_LB = ${ratio}`);
  });
}
