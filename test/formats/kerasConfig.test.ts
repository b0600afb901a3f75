import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseKerasConfig } from '../../src/engine/load/layers/kerasConfig';

const dense = (name: string, units: number, activation: unknown, inbound?: string) => ({
  class_name: 'Dense',
  config: { name, units, activation, use_bias: true },
  ...(inbound !== undefined ? { inbound_nodes: [[[inbound, 0, 0, {}]]] } : {}),
});

describe('parseKerasConfig', () => {
  it('reads old-style Sequential lists, input widths and folds activation layers', () => {
    const stack = parseKerasConfig({
      class_name: 'Sequential',
      config: [
        { class_name: 'Dense', config: { name: 'a', units: 4, activation: 'linear', batch_input_shape: [null, 3] } },
        { class_name: 'ReLU', config: { name: 'r' } },
        { class_name: 'Dense', config: { name: 'b', units: 2, activation: { class_name: 'softmax' }, use_bias: false } },
      ],
    }, 'm.json');
    assert.deepEqual(stack.dense, [
      { name: 'a', units: 4, useBias: true, activation: 'relu', inputDim: 3 },
      { name: 'b', units: 2, useBias: false, activation: 'softmax', inputDim: null },
    ]);
    assert.deepEqual(stack.skipped, ['r (ReLU relu, folded into a)']);
  });

  it('reads ELU/LeakyReLU parameters and skips Dropout', () => {
    const stack = parseKerasConfig({ class_name: 'Sequential', config: { layers: [
      dense('a', 4, 'linear'), { class_name: 'ELU', config: { name: 'e', alpha: 0.5 } }, { class_name: 'Dropout', config: { name: 'd' } },
      dense('b', 4, 'linear'), { class_name: 'LeakyReLU', config: { name: 'l', alpha: 0.25 } },
    ] } }, 'm');
    assert.deepEqual(stack.dense.map((layer) => layer.activation), ['elu:0.5', 'leaky_relu:0.25']);
  });

  it('accepts a functional chain and refuses a branch', () => {
    const layers = [
      { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 3] }, inbound_nodes: [] },
      dense('a', 4, 'relu', 'in'),
      dense('b', 1, 'linear', 'a'),
    ];
    assert.equal(parseKerasConfig({ class_name: 'Functional', config: { layers } }, 'm').dense.length, 2);
    const branched = [...layers.slice(0, 2), dense('b', 1, 'linear', 'in')];
    assert.throws(() => parseKerasConfig({ class_name: 'Model', config: { layers: branched } }, 'm'),
      /layer b takes its input from in, not from a: only a chain of layers is supported/);
  });

  it('refuses layers that are not dense or activations, and double activations', () => {
    assert.throws(() => parseKerasConfig({ class_name: 'Sequential', config: [{ class_name: 'Conv2D', config: { name: 'c' } }] }, 'm'),
      /layer c is a Conv2D: only Dense layers and activations/);
    assert.throws(() => parseKerasConfig({ class_name: 'Sequential', config: [dense('a', 2, 'tanh'), { class_name: 'Activation', config: { name: 'x', activation: 'relu' } }] }, 'm'),
      /layer a already applies tanh and is followed by activation layer x/);
    assert.throws(() => parseKerasConfig({ class_name: 'Sequential', config: [{ class_name: 'Dense', config: { name: 'a', units: -1 } }] }, 'm'),
      /Dense layer a has no valid 'units'/);
    assert.throws(() => parseKerasConfig(42, 'm'), /not a JSON object/);
  });
});
