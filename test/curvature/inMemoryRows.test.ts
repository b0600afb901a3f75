import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionalRowBudget, rowSubsample } from '../../src/engine/curvature/inMemoryRows';
import { tinyProblem } from './helpers';

test('the row subsample keeps whole rows in their order, is seeded, and is the data itself under the budget', () => {
  const { data } = tinyProblem({ d: 3, n: 50, c: 2, seed: 4 });
  assert.equal(rowSubsample(data, 50, 1), data);
  const sample = rowSubsample(data, 12, 7);
  assert.equal(sample.n, 12);
  assert.deepEqual(rowSubsample(data, 12, 7).inputs, sample.inputs);
  assert.notDeepEqual(rowSubsample(data, 12, 8).inputs, sample.inputs);
  let previous = -1;
  for (let i = 0; i < sample.n; i++) {
    const row = Array.from(sample.inputs.subarray(i * 3, i * 3 + 3));
    const source = Array.from({ length: data.n }, (_, r) => r).find((r) => Array.from(data.inputs.subarray(r * 3, r * 3 + 3)).every((v, l) => v === row[l]));
    assert.ok(source !== undefined && source > previous, `row ${i} is a data row after the previous one`);
    assert.deepEqual(Array.from(sample.targets.subarray(i * 2, i * 2 + 2)), Array.from(data.targets.subarray(source * 2, source * 2 + 2)));
    previous = source;
  }
});

test('the optional passes use every row of W1 and a budgeted subsample of W2', () => {
  const shape = (d: number, m: number, c: number) => ({ inputDim: d, hiddenDim: m, outputDim: c }) as Parameters<typeof optionalRowBudget>[0];
  assert.ok(optionalRowBudget(shape(50, 512, 1)) >= 4096);
  assert.equal(optionalRowBudget(shape(784, 1024, 10)), 668);
});
