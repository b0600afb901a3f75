import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Dataset } from '../../src/engine/data/types';
import { checkDataMatchesModel, loadDataset } from '../../src/engine/load/dataLoader';
import { loadModel } from '../../src/engine/load/modelLoader';
import type { TwoLayerModel } from '../../src/engine/model/types';
import { assertClose, forward } from './helpers';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'multi-index');
const printed = JSON.parse(readFileSync(join(EXAMPLE, 'reference.json'), 'utf8')) as Record<string, { trainMSE: number; testMSE: number }>;

function meanSquaredError(model: TwoLayerModel, data: Dataset): number {
  let sum = 0;
  for (let i = 0; i < data.n; i++) {
    const x = Array.from(data.inputs.subarray(i * data.d, (i + 1) * data.d));
    const residual = forward(model, x)[0]! - data.targets[i]!;
    sum += residual * residual;
  }
  return sum / data.n;
}

describe('the bundled multi-index example', () => {
  it('has the promised shapes: d = 10, n = 200 / 2000, width-64 bias-free ReLU networks', async () => {
    const train = await loadDataset(join(EXAMPLE, 'train.npz'));
    const test = await loadDataset(join(EXAMPLE, 'test.npz'));
    assert.equal(train.n, 200);
    assert.equal(test.n, 2000);
    assert.equal(train.d, 10);
    for (const name of ['generalizing', 'memorizing']) {
      const model = await loadModel(join(EXAMPLE, `${name}.safetensors`));
      assert.equal(model.hiddenDim, 64);
      assert.equal(model.hiddenBias, null);
      assert.equal(model.outputBias, null);
      assert.deepEqual(model.activation, { name: 'relu' });
      assert.equal(model.activationSource, 'file');
      assert.deepEqual(model.source.tensorNames, ['0.weight', '2.weight']);
      checkDataMatchesModel(model, train);
    }
  });

  it('both networks interpolate the training set; the generalizing one is far better on the test set', async () => {
    const train = await loadDataset(join(EXAMPLE, 'train.npz'));
    const test = await loadDataset(join(EXAMPLE, 'test.npz'));
    const errors: Record<string, [number, number]> = {};
    for (const name of ['generalizing', 'memorizing']) {
      const model = await loadModel(join(EXAMPLE, `${name}.safetensors`));
      errors[name] = [meanSquaredError(model, train), meanSquaredError(model, test)];
      assert.ok(errors[name]![0] < 1e-5, `${name} train MSE ${errors[name]![0]}`);
      // Same numbers as torch printed when it made the files.
      assertClose(errors[name]![1], printed[name]!.testMSE, 1e-9, `${name} test MSE`);
    }
    assert.ok(errors['memorizing']![1] > 10 * errors['generalizing']![1]);
  });
});
