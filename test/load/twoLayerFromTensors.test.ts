import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveActivation } from '../../src/engine/load/activation';
import type { NamedTensor } from '../../src/engine/io/tensors';
import { twoLayerFromTensors, type TwoLayerBuildContext } from '../../src/engine/load/twoLayerFromTensors';
import { assertFails } from './helpers';

/** A tensor whose entries count up from `start`, so every value's position is checkable. */
function tensor(name: string, shape: number[], start = 1, dtype = 'F32'): NamedTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { name, shape, data: Float64Array.from({ length: count }, (_, i) => start + i), dtype };
}

const context: TwoLayerBuildContext = {
  path: 'net.bin',
  format: 'test',
  activation: resolveActivation('net.bin', null, undefined),
};

describe('twoLayerFromTensors naming schemes', () => {
  const schemes: Array<[string, string, string]> = [
    ['nn.Sequential 0/2', '0', '2'],
    ['nn.Sequential after a Flatten 1/3', '1', '3'],
    ['fc1/fc2', 'fc1', 'fc2'],
    ['layer1/layer2', 'layer1', 'layer2'],
    ['linear1/linear2', 'linear1', 'linear2'],
    ['l1/l2', 'l1', 'l2'],
    ['hidden/output', 'hidden', 'output'],
    ['nested model.net.0/model.net.2', 'model.net.0', 'model.net.2'],
  ];
  for (const [label, first, second] of schemes) {
    it(`reads ${label} in either tensor order`, () => {
      const tensors = [
        tensor(`${second}.weight`, [2, 3], 100),
        tensor(`${first}.weight`, [3, 4], 1),
        tensor(`${first}.bias`, [3], 50),
      ];
      const model = twoLayerFromTensors(tensors, context);
      assert.equal(model.inputDim, 4);
      assert.equal(model.hiddenDim, 3);
      assert.equal(model.outputDim, 2);
      assert.deepEqual(Array.from(model.hiddenWeights), Array.from({ length: 12 }, (_, i) => 1 + i));
      assert.deepEqual(Array.from(model.hiddenBias!), [50, 51, 52]);
      assert.deepEqual(Array.from(model.outputWeights), [100, 101, 102, 103, 104, 105]);
      assert.equal(model.outputBias, null);
      assert.deepEqual(model.source.tensorNames, [`${first}.weight`, `${first}.bias`, `${second}.weight`]);
    });
  }

  it('orders two unnumbered layers by their shape chain', () => {
    const model = twoLayerFromTensors([tensor('head.proj.weight', [1, 5]), tensor('trunk.weight', [5, 2])], context);
    assert.equal(model.inputDim, 2);
    assert.deepEqual(model.source.tensorNames, ['trunk.weight', 'head.proj.weight']);
  });

  it('reads W1, b1, W2, b2 in any case, with a 1-D W2 meaning one output', () => {
    const model = twoLayerFromTensors(
      [tensor('w1', [3, 2]), tensor('B1', [3], 10), tensor('W2', [3], 20), tensor('b2', [1], 30)],
      context,
    );
    assert.equal(model.inputDim, 2);
    assert.equal(model.hiddenDim, 3);
    assert.equal(model.outputDim, 1);
    assert.deepEqual(Array.from(model.outputWeights), [20, 21, 22]);
    assert.deepEqual(Array.from(model.outputBias!), [30]);
  });

  it('transposes W1 stored as (input x hidden)', () => {
    const model = twoLayerFromTensors([tensor('W_1', [2, 3]), tensor('W_2', [3, 1], 7)], context);
    assert.equal(model.inputDim, 2);
    assert.equal(model.hiddenDim, 3);
    // W1 = [[1,2,3],[4,5,6]] is d x m, so row j of the model is column j: [1,4], [2,5], [3,6].
    assert.deepEqual(Array.from(model.hiddenWeights), [1, 4, 2, 5, 3, 6]);
    assert.deepEqual(Array.from(model.outputWeights), [7, 8, 9]);
  });

  it('reads a square W1 the PyTorch way and notes the ambiguity', () => {
    const model = twoLayerFromTensors([tensor('W1', [2, 2]), tensor('W2', [1, 2], 9)], context);
    assert.deepEqual(Array.from(model.hiddenWeights), [1, 2, 3, 4]);
    assert.ok(model.source.notes.some((note) => note.includes('ambiguous')), model.source.notes.join('; '));
  });

  it('uses the data width to choose the orientation', () => {
    const tensors = [tensor('W1', [3, 6]), tensor('W2', [6, 3])];
    assert.equal(twoLayerFromTensors(tensors, { ...context, expectedInputDim: 3 }).inputDim, 3);
    assert.equal(twoLayerFromTensors(tensors, { ...context, expectedInputDim: 6 }).inputDim, 6);
  });

  it('notes tensors it did not use', () => {
    const model = twoLayerFromTensors([tensor('fc1.weight', [2, 2]), tensor('fc2.weight', [1, 2]), tensor('step', [1])], context);
    assert.ok(model.source.notes.includes('ignored tensors: step'));
  });
});

describe('twoLayerFromTensors errors', () => {
  it('counts the layers of deeper networks', async () => {
    await assertFails(
      () => twoLayerFromTensors([tensor('fc1.weight', [3, 2]), tensor('fc2.weight', [3, 3]), tensor('fc3.weight', [1, 3])], context),
      'unsupported',
      'net.bin',
      'found 3 weight matrices (layers fc1, fc2, fc3)',
    );
    await assertFails(() => twoLayerFromTensors([tensor('0.weight', [3, 2])], context), 'unsupported', 'found 1 weight matrix (layer 0)');
  });

  it('refuses convolution weights', async () => {
    await assertFails(() => twoLayerFromTensors([tensor('0.weight', [3, 1, 2, 2]), tensor('2.weight', [1, 3])], context), 'unsupported', 'convolution');
  });

  it('gives the shapes of W1/W2 that fit no orientation', async () => {
    await assertFails(() => twoLayerFromTensors([tensor('W1', [3, 2]), tensor('W2', [5, 4])], context), 'bad-input', 'W1 [3, 2]', 'W2 [5, 4]');
  });

  it('checks bias lengths', async () => {
    await assertFails(
      () => twoLayerFromTensors([tensor('fc1.weight', [3, 2]), tensor('fc1.bias', [4]), tensor('fc2.weight', [1, 3])], context),
      'bad-input',
      "hidden-layer bias 'fc1.bias' has shape [4]; expected 3 values",
    );
  });

  it('names the tensor holding an infinity', async () => {
    const bad = tensor('2.weight', [1, 3]);
    bad.data[2] = -Infinity;
    await assertFails(() => twoLayerFromTensors([tensor('0.weight', [3, 2]), bad], context), 'bad-input', "tensor '2.weight' holds an infinite value at index [0, 2]");
  });

  it('refuses integer weights', async () => {
    await assertFails(() => twoLayerFromTensors([tensor('W1', [3, 2], 1, '<i8'), tensor('W2', [3])], context), 'bad-input', "'W1' has integer dtype <i8");
  });
});
