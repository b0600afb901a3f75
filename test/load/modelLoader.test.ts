import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModel, loadModelFromBytes } from '../../src/engine/load/modelLoader';
import { modelFormats } from '../../src/engine/load/modelFormats';
import { parseActivation } from '../../src/engine/math/activations';
import type { TwoLayerModel } from '../../src/engine/model/types';
import { FIXTURES, assertClose, assertFails, fixture, forward, reference } from './helpers';

const FORMATS: Record<string, string> = { safetensors: 'safetensors', npz: 'npz', json: 'json' };

function formatOf(file: string): string {
  return FORMATS[file.split('.').pop()!]!;
}

function assertMatchesReference(model: TwoLayerModel, file: string): void {
  const expected = reference.models[file]!;
  assert.equal(model.inputDim, expected.inputDim);
  assert.equal(model.hiddenDim, expected.hiddenDim);
  assert.equal(model.outputDim, expected.outputDim);
  assert.deepEqual(Array.from(model.hiddenWeights), expected.hiddenWeights.flat());
  assert.deepEqual(model.hiddenBias && Array.from(model.hiddenBias), expected.hiddenBias);
  assert.deepEqual(Array.from(model.outputWeights), expected.outputWeights.flat());
  assert.deepEqual(model.outputBias && Array.from(model.outputBias), expected.outputBias);
  assert.deepEqual(model.activation, parseActivation(expected.activation));
  assert.equal(model.activationSource, expected.activationSource);
  assert.equal(model.outputLink, 'identity');
  assert.equal(model.source.format, formatOf(file));
  assert.equal(model.source.path, fixture(file));
  // Network outputs computed by the torch module in float64 on the same probe inputs.
  expected.probeInputs.forEach((x, i) => {
    forward(model, x).forEach((value, o) => assertClose(value, expected.probeOutputs[i]![o]!, 1e-12, `${file} output ${i},${o}`));
  });
}

describe('loadModel on files written by torch/numpy', () => {
  const cases: Array<[string, { expectedInputDim?: number }]> = [
    ['models/seq_tanh_bias.safetensors', {}],
    ['models/seq13_nobias_f64.safetensors', {}],
    ['models/fc_f16.safetensors', {}],
    ['models/fc_bf16.safetensors', {}],
    ['models/hidden_output.safetensors', {}],
    ['models/d10.safetensors', {}],
    ['models/w_math.npz', {}],
    ['models/torch_names_compressed.npz', {}],
    ['models/fortran_bigendian.npz', {}],
    ['models/w_chain_ambiguous.npz', { expectedInputDim: 3 }],
    ['models/model_w.json', {}],
    ['models/model_nested.json', {}],
  ];
  for (const [file, options] of cases) {
    it(`reads ${file} exactly as python wrote it`, async () => {
      assertMatchesReference(await loadModel(fixture(file), options), file);
    });
  }

  it('names the tensors it read, in the order W1, b1, W2, b2', async () => {
    const model = await loadModel(fixture('models/seq_tanh_bias.safetensors'));
    assert.deepEqual(model.source.tensorNames, ['0.weight', '0.bias', '2.weight', '2.bias']);
    const nested = await loadModel(fixture('models/model_nested.json'));
    assert.deepEqual(nested.source.tensorNames, ['fc1.weight', 'fc1.bias', 'fc2.weight']);
    assert.equal(nested.outputBias, null);
  });

  it('notes an assumed ReLU, and uses the activation option when the file has none', async () => {
    const assumed = await loadModel(fixture('models/seq13_nobias_f64.safetensors'));
    assert.equal(assumed.activationSource, 'assumed');
    assert.ok(assumed.source.notes.some((note) => note.includes('ReLU was assumed')));
    const option = await loadModel(fixture('models/seq13_nobias_f64.safetensors'), { activation: { name: 'tanh' } });
    assert.deepEqual(option.activation, { name: 'tanh' });
    assert.equal(option.activationSource, 'option');
    assert.ok(!option.source.notes.some((note) => note.includes('assumed')));
  });

  it('prefers the activation stored in the file over the option', async () => {
    const model = await loadModel(fixture('models/seq_tanh_bias.safetensors'), { activation: { name: 'relu' } });
    assert.deepEqual(model.activation, { name: 'tanh' });
    assert.equal(model.activationSource, 'file');
    const npz = await loadModel(fixture('models/w_math.npz'), { activation: { name: 'gelu' } });
    assert.deepEqual(npz.activation, { name: 'relu' });
    assert.equal(npz.activationSource, 'file');
  });

  it('reads an x @ W1 layout and says so', async () => {
    const model = await loadModel(fixture('models/w_math.npz'));
    assert.ok(model.source.notes.some((note) => note.includes('W1 as (input x hidden)')), model.source.notes.join('; '));
  });

  it('settles an ambiguous W1/W2 orientation with the data width, else reads PyTorch order with a note', async () => {
    const withData = await loadModel(fixture('models/w_chain_ambiguous.npz'), { expectedInputDim: 3 });
    assert.equal(withData.inputDim, 3);
    assert.equal(withData.outputDim, 3);
    const torchOrder = await loadModel(fixture('models/w_chain_ambiguous.npz'), { expectedInputDim: 6 });
    assert.equal(torchOrder.inputDim, 6);
    assert.equal(torchOrder.hiddenDim, 3);
    const guessed = await loadModel(fixture('models/w_chain_ambiguous.npz'));
    assert.equal(guessed.inputDim, 6);
    assert.ok(guessed.source.notes.some((note) => note.includes('ambiguous') && note.includes('PyTorch')), guessed.source.notes.join('; '));
  });

  it('sniffs the bytes, not the extension', async () => {
    const bytes = new Uint8Array(readFileSync(fixture('models/seq_tanh_bias.safetensors')));
    const model = await loadModelFromBytes(bytes, 'weights.json');
    assert.equal(model.source.format, 'safetensors');
    const npz = await loadModelFromBytes(new Uint8Array(readFileSync(fixture('models/w_math.npz'))), 'model.safetensors');
    assert.equal(npz.source.format, 'npz');
  });

  it('lets a reader appended to the registry claim its files before the generic fallbacks', async () => {
    const marker = { ...(await loadModel(fixture('models/model_w.json'))), source: { path: 'x', format: 'custom', tensorNames: [], notes: [] } };
    modelFormats.push({
      name: 'custom',
      description: 'test format',
      sniff: (bytes) => bytes.includes(0x57), // any JSON holding 'W'
      load: () => marker,
    });
    try {
      const model = await loadModel(fixture('models/model_w.json'));
      assert.equal(model.source.format, 'custom');
    } finally {
      modelFormats.pop();
    }
    assert.equal((await loadModel(fixture('models/model_w.json'))).source.format, 'json');
  });
});

describe('the borrowed tracel-ai/burn fixture (safetensors.torch.save_file)', () => {
  const file = join(FIXTURES, 'safetensors', 'linear.safetensors');
  const expected = reference.borrowed['safetensors/linear.safetensors']!;

  it('holds the values torch read: 2-3-4, fc2 without bias, no metadata', async () => {
    const model = await loadModel(file);
    assert.equal(model.inputDim, 2);
    assert.equal(model.hiddenDim, 3);
    assert.equal(model.outputDim, 4);
    assert.deepEqual(Array.from(model.hiddenWeights), (expected['fc1.weight'] as number[][]).flat());
    assert.deepEqual(Array.from(model.hiddenBias!), expected['fc1.bias']);
    assert.deepEqual(Array.from(model.outputWeights), (expected['fc2.weight'] as number[][]).flat());
    assert.equal(model.outputBias, null);
    assert.deepEqual(model.activation, { name: 'relu' });
    assert.equal(model.activationSource, 'assumed');
    expected.probeInputs.forEach((x, i) => {
      forward(model, x).forEach((value, o) => assertClose(value, expected.probeOutputsRelu[i]![o]!, 1e-12, `output ${i},${o}`));
    });
  });

  it('linear.pt, read through the registry by the PyTorch reader, holds the values torch.load returned', async () => {
    const pt = reference.borrowed['pytorch/linear.pt']!;
    const model = await loadModel(join(FIXTURES, 'pytorch', 'linear.pt'));
    assert.deepEqual(Array.from(model.hiddenWeights), (pt['fc1.weight'] as number[][]).flat());
    assert.deepEqual(Array.from(model.hiddenBias!), pt['fc1.bias']);
    assert.deepEqual(Array.from(model.outputWeights), (pt['fc2.weight'] as number[][]).flat());
    assert.equal(model.outputBias, null);
  });

  it('agrees with the PyTorch linear.pt of the same repository to float32 noise', () => {
    const pt = reference.borrowed['pytorch/linear.pt']!;
    const difference = pt['maxAbsDifferenceToSafetensors'] as number;
    assert.ok(difference > 0 && difference < 1e-7, String(difference));
  });
});

describe('loadModel on broken files', () => {
  it('refuses a missing file', async () => {
    await assertFails(loadModel(fixture('models/nope.safetensors')), 'bad-input', 'nope.safetensors', 'file not found');
  });

  it('refuses a file over the size limit before reading it', async () => {
    await assertFails(loadModel(fixture('models/seq_tanh_bias.safetensors'), { maxFileBytes: 100 }), 'too-large', 'seq_tanh_bias.safetensors', 'over the limit');
  });

  it('refuses a directory', async () => {
    await assertFails(loadModel(fixture('models')), 'bad-input', 'is a directory');
  });

  it('refuses three layers, saying how many were found', async () => {
    await assertFails(
      loadModel(fixture('broken/three_layers.safetensors')),
      'unsupported',
      'three_layers.safetensors',
      'found 3 weight matrices (layers 0, 2, 4): Flatness Lens analyzes networks with exactly one hidden layer',
    );
    await assertFails(loadModel(fixture('broken/three_layers.npz')), 'unsupported', 'three_layers.npz', 'found 3 weight matrices (layers W1, W2, W3)');
  });

  it('names the tensor holding NaN or Inf', async () => {
    await assertFails(loadModel(fixture('broken/nan.safetensors')), 'bad-input', 'nan.safetensors', "tensor 'fc1.weight' holds NaN at index [1, 2]");
    await assertFails(loadModel(fixture('broken/inf.npz')), 'bad-input', 'inf.npz', "tensor 'W2' holds an infinite value at index [3]");
    await assertFails(loadModel(fixture('broken/model_nan.json')), 'bad-input', 'model_nan.json', 'NaN or Infinity');
  });

  it('gives the shapes when layers do not chain', async () => {
    await assertFails(loadModel(fixture('broken/wrong_shapes.safetensors')), 'bad-input', 'wrong_shapes.safetensors', "'fc1.weight' has shape [4, 3]", "'fc2.weight' has shape [2, 5]");
    await assertFails(loadModel(fixture('broken/model_wrong_shapes.json')), 'bad-input', 'model_wrong_shapes.json', '[3, 2]', '[1, 2]');
  });

  it('rejects integer weights', async () => {
    await assertFails(loadModel(fixture('broken/int_weights.safetensors')), 'bad-input', 'int_weights.safetensors', 'integer dtype I64');
  });

  it('reports truncation', async () => {
    await assertFails(loadModel(fixture('broken/truncated.safetensors')), 'bad-input', 'truncated.safetensors', 'run past the end of the file');
    await assertFails(loadModel(fixture('broken/truncated_header.safetensors')), 'bad-input', 'truncated_header.safetensors', 'header declares 304 bytes');
    await assertFails(loadModel(fixture('broken/truncated.npz')), 'bad-input', 'truncated.npz', 'end-of-central-directory');
  });

  it('refuses an unknown activation stored in the file', async () => {
    await assertFails(loadModel(fixture('broken/unknown_activation.safetensors')), 'unsupported', "activation 'swishy'", '__metadata__');
  });

  it('refuses ragged JSON arrays with their position', async () => {
    await assertFails(loadModel(fixture('broken/model_ragged.json')), 'bad-input', 'model_ragged.json', 'W1[1] has 1 values, expected 2');
  });

  it('lists the entries of a zip it cannot identify', async () => {
    await assertFails(loadModel(fixture('broken/unknown.zip')), 'bad-input', 'unknown.zip', 'readme.txt, weights.bin');
  });

  it('refuses zip entries that leave the archive', async () => {
    await assertFails(loadModel(fixture('broken/zipslip.npz')), 'bad-input', 'zipslip.npz', "'../evil.npy'");
  });

  it('lists the supported formats for unknown bytes', async () => {
    const error = await assertFails(loadModel(fixture('broken/random.bin')), 'bad-input', 'random.bin', 'not a recognized model format');
    for (const format of ['safetensors', 'NumPy .npz', 'JSON']) assert.ok(error.message.includes(format), error.message);
    await assertFails(loadModel(fixture('data/train.csv')), 'bad-input', 'train.csv', 'not a recognized model format');
  });

  it('survives adversarial JSON: deep nesting and a first row far longer than the rest', async () => {
    const deep = `{"W1": ${'['.repeat(5000)}1${']'.repeat(5000)}}`;
    await assertFails(loadModelFromBytes(new TextEncoder().encode(deep), 'deep.json'), 'bad-input', 'deep.json', 'nested more than 32 levels');
    const objects = `${'{"a": '.repeat(50)}1${'}'.repeat(50)}`;
    await assertFails(loadModelFromBytes(new TextEncoder().encode(objects), 'objects.json'), 'bad-input', 'objects.json', 'nested too deeply');
    // Shape from the first elements would be 200000 x 200000: the ragged second row is reported instead.
    const claim = `{"W1": [[${new Array(200000).fill(0).join(',')}],${new Array(199999).fill('[0]').join(',')}], "W2": [1]}`;
    await assertFails(loadModelFromBytes(new TextEncoder().encode(claim), 'claim.json'), 'bad-input', 'claim.json', 'W1[1] has 1 values, expected 200000');
  });

  it('names the missing weights when no naming scheme fits', async () => {
    await assertFails(
      loadModelFromBytes(new TextEncoder().encode('{"foo": [1, 2], "bar": [[1]]}'), 'odd.json'),
      'bad-input',
      'odd.json',
      'no weight tensors recognized',
      'foo [2]',
    );
  });
});
