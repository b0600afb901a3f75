/**
 * Cross-entropy targets must be class indices in [0, c) or probability rows summing to 1; anything
 * else would give a wrong gradient and trace silently. Engine checks, and the CLI's exit 2.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeLossSpec, targetLayout } from '../../src/engine/math/losses';
import { isFlatnessLensError } from '../../src/engine/errors';
import { SeededRandom } from '../../src/engine/math/random';
import { randomData, randomModel } from '../helpers/tinyNetworks';
import type { Dataset } from '../../src/engine/data/types';

const root = path.resolve(__dirname, '..', '..');
const random = new SeededRandom(70);
const model = randomModel({ d: 2, m: 3, c: 3, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
const ce = makeLossSpec('ce', 3);

function dataWith(targets: number[][]): Dataset {
  const base = randomData(targets.length, 2, targets[0]!.length, random);
  return { ...base, targets: Float32Array.from(targets.flat()), source: { ...base.source, path: 'targets.json' } };
}

function refusal(targets: number[][]): string {
  try {
    targetLayout(ce, model, dataWith(targets));
  } catch (error) {
    assert.ok(isFlatnessLensError(error) && error.code === 'bad-input', `a bad-input error, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`targets ${JSON.stringify(targets)} were accepted`);
}

describe('cross-entropy target layout', () => {
  test('class indices 0..c-1 and one-hot or probability rows are accepted', () => {
    assert.equal(targetLayout(ce, model, dataWith([[0], [1], [2]])), 'class-index');
    assert.equal(targetLayout(ce, model, dataWith([[1, 0, 0], [0, 0, 1]])), 'one-hot');
    assert.equal(targetLayout(ce, model, dataWith([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])), 'one-hot');
  });

  test('labels equal to c, negative, or fractional are refused with the row and the range', () => {
    assert.match(refusal([[0], [3]]), /targets\.json: row 2: class label 3 is not an integer in \[0, 2\]/);
    assert.match(refusal([[-1], [0]]), /row 1: class label -1/);
    assert.match(refusal([[0.5]]), /row 1: class label 0\.5/);
  });

  test('rows not summing to 1 within 1e-6, or with entries outside [0, 1], are refused', () => {
    assert.match(refusal([[1, 0, 0], [1, 1, 0]]), /targets\.json: row 2: the 3 target columns sum to 2, not 1/);
    assert.match(refusal([[0.5, 0.5, 0.01]]), /sum to 1\.0099/);
    assert.match(refusal([[1, 0, 0], [0.3, 0.3, 0.3]]), /row 2: .*sum to 0\.9/);
    assert.match(refusal([[1.5, -0.5, 0]]), /row 1: target 1\.5 in column 1 is not a probability/);
    assert.equal(targetLayout(ce, model, dataWith([[0.2, 0.3, 0.5 + 4e-7]])), 'one-hot', 'within 1e-6 is accepted');
    assert.match(refusal([[0.2, 0.3, 0.5 + 3e-6]]), /not 1/);
  });

  test('the CLI exits 2 with one line naming the data file', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-ce-'));
    const modelPath = path.join(directory, 'model.json');
    fs.writeFileSync(modelPath, JSON.stringify({
      W1: [[1, 0], [0, 1], [1, 1]], b1: [0, 0, 0], W2: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], b2: [0, 0, 0], activation: 'relu',
    }));
    const cases: Array<[string, unknown, RegExp]> = [
      ['label-c.json', { X: [[1, 0], [0, 1]], y: [0, 3] }, /label-c\.json: row 2: class label 3/],
      ['negative.json', { X: [[1, 0], [0, 1]], y: [-1, 0] }, /negative\.json: row 1: class label -1/],
      ['sum2.json', { X: [[1, 0], [0, 1]], y: [[1, 1, 0], [0, 1, 0]] }, /sum2\.json: row 1: the 3 target columns sum to 2/],
    ];
    for (const [name, content, message] of cases) {
      const dataPath = path.join(directory, name);
      fs.writeFileSync(dataPath, JSON.stringify(content));
      const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), 'analyze', '--model', modelPath, '--data', dataPath, '--loss', 'ce', '--backend', 'wasm'], {
        cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' }, timeout: 60_000,
      });
      assert.equal(result.status, 2, `${name}: exit 2, got ${result.status}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, `${name}: one line: ${result.stderr}`);
    }
    fs.rmSync(directory, { recursive: true, force: true });
  });
});
