/**
 * The target layouts that crossEntropyTargets.test.ts leaves out: squared-error targets must have one
 * column per output, cross-entropy needs at least 2 outputs, and any other column count is refused.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeLossSpec, targetLayout } from '../../src/engine/math/losses';
import { isFlatnessLensError } from '../../src/engine/errors';
import { SeededRandom } from '../../src/engine/math/random';
import { randomData, randomModel } from '../helpers/tinyNetworks';
import type { TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind } from '../../src/shared/report';

const random = new SeededRandom(71);

function modelWith(c: number): TwoLayerModel {
  const model = randomModel({ d: 2, m: 3, c, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
  return { ...model, source: { ...model.source, path: 'model.safetensors' } };
}

function dataWith(targets: number[][]): Dataset {
  const base = randomData(targets.length, 2, targets[0]!.length, random);
  return { ...base, targets: Float32Array.from(targets.flat()), source: { ...base.source, path: 'targets.json' } };
}

function refusal(kind: LossKind, c: number, targets: number[][]): string {
  try {
    targetLayout(makeLossSpec(kind, c), modelWith(c), dataWith(targets));
  } catch (error) {
    assert.ok(isFlatnessLensError(error) && error.code === 'bad-input', `a bad-input error, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`targets ${JSON.stringify(targets)} were accepted`);
}

describe('target layouts beyond cross-entropy labels', () => {
  test('squared-error targets with one column per output are regression targets, whatever their values', () => {
    for (const kind of ['mse', 'mse-half', 'mse-mean'] as const) {
      assert.equal(targetLayout(makeLossSpec(kind, 2), modelWith(2), dataWith([[5, -3], [0.5, 7]])), 'regression');
      assert.equal(targetLayout(makeLossSpec(kind, 1), modelWith(1), dataWith([[-4], [9]])), 'regression');
    }
  });

  test('squared-error targets with another column count are refused naming the data file', () => {
    assert.match(refusal('mse', 2, [[1], [2]]), /^targets\.json: targets have 1 column\(s\) but the model has 2 output\(s\)$|targets have 1 column\(s\) but the model has 2 output\(s\)/);
    assert.match(refusal('mse', 1, [[1, 2]]), /targets have 2 column\(s\) but the model has 1 output\(s\)/);
  });

  test('cross-entropy on a 1-output model is refused naming the model file', () => {
    const message = refusal('ce', 1, [[0], [1]]);
    assert.match(message, /model\.safetensors/);
    assert.match(message, /at least 2 outputs; this one has 1/);
  });

  test('cross-entropy with neither 1 nor c columns is refused', () => {
    assert.match(refusal('ce', 3, [[1, 0], [0, 1]]), /targets have 2 columns; cross-entropy with 3 classes needs class indices \(1 column\) or 3 one-hot columns/);
  });

  test('the largest label c-1 is accepted, c refused; a 2-class model takes 0 and 1', () => {
    assert.equal(targetLayout(makeLossSpec('ce', 2), modelWith(2), dataWith([[1], [0]])), 'class-index');
    assert.match(refusal('ce', 2, [[1], [2]]), /row 2: class label 2 is not an integer in \[0, 1\] for a 2-class model/);
    assert.match(refusal('ce', 2, [[Number.NaN]]), /row 1: class label NaN/);
  });

  test('probability rows: NaN entries are refused, the last row and column are checked too', () => {
    assert.match(refusal('ce', 2, [[Number.NaN, 1]]), /row 1: target NaN in column 1/);
    assert.match(refusal('ce', 2, [[0, 1], [1, 0], [0.5, 1.5]]), /row 3: target 1\.5 in column 2 is not a probability/);
    assert.match(refusal('ce', 2, [[0, 1], [0.5, 0.25]]), /row 2: the 2 target columns sum to 0\.75, not 1/);
    assert.equal(targetLayout(makeLossSpec('ce', 2), modelWith(2), dataWith([[0, 1], [1, 0]])), 'one-hot');
    // A negative entry in a row that still sums to 1 is refused for itself.
    assert.match(refusal('ce', 3, [[-0.25, 0.25, 1]]), /row 1: target -0\.25 in column 1 is not a probability/);
  });
});
