import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadDataset } from '../../src/engine/load/dataLoader';
import { loadModel } from '../../src/engine/load/modelLoader';
import type { ModelLoadOptions } from '../../src/engine/load/formatTypes';
import {
  activationOf, assertClose, assertRefused, formatFixture, forward, loadReference, referenceIds,
} from './helpers';

/**
 * Every model fixture against the values its framework (torch, h5py/numpy) read when the fixture
 * was made: architecture, exact weights, activation and its source, output link, outputs.
 */
const EXPECTED: Record<string, { format: string; source: 'file' | 'option' | 'assumed' }> = {
  simple_mlp_h5: { format: 'keras-h5', source: 'file' },
  functional_fixed_strings_h5: { format: 'keras-h5', source: 'file' },
  keras3_functional_keras: { format: 'keras-v3', source: 'file' },
  iris_model_keras: { format: 'keras-v3', source: 'file' },
  balance_model1_tfjs: { format: 'tfjs-layers', source: 'file' },
  tfjs_float16: { format: 'tfjs-layers', source: 'file' },
  tfjs_uint8: { format: 'tfjs-layers', source: 'file' },
  tfjs_uint16: { format: 'tfjs-layers', source: 'file' },
  linear_pt: { format: 'pytorch', source: 'assumed' },
  linear_safetensors: { format: 'safetensors', source: 'assumed' },
  seq_relu_pt: { format: 'pytorch', source: 'assumed' },
  checkpoint_pt: { format: 'pytorch', source: 'assumed' },
  fc_tanh_pt: { format: 'pytorch', source: 'option' },
  fc_tanh_f64_pt: { format: 'pytorch', source: 'option' },
  fc_tanh_f16_pt: { format: 'pytorch', source: 'option' },
  fc_tanh_bf16_pt: { format: 'pytorch', source: 'option' },
  gemm_relu_onnx: { format: 'onnx', source: 'file' },
  gemm_tanh_softmax_onnx: { format: 'onnx', source: 'file' },
  matmul_add_sigmoid_onnx: { format: 'onnx', source: 'file' },
  constant_f16_softmax_onnx: { format: 'onnx', source: 'file' },
};

describe('model fixtures open with the architecture, weights and activation their framework saved', () => {
  it('covers every reference written by the fixture script', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), referenceIds());
  });

  for (const id of Object.keys(EXPECTED)) {
    it(id, async () => {
      const ref = loadReference(id);
      const expected = EXPECTED[id]!;
      const options: ModelLoadOptions = expected.source === 'option' ? { activation: activationOf(ref.activation) } : {};
      const model = await loadModel(formatFixture(ref.file), options);
      assert.equal(model.source.format, expected.format);
      assert.equal(model.inputDim, ref.inputDim);
      assert.equal(model.hiddenDim, ref.hiddenDim);
      assert.equal(model.outputDim, ref.outputDim);
      assert.deepEqual(Array.from(model.hiddenWeights), ref.W1.flat());
      assert.deepEqual(model.hiddenBias && Array.from(model.hiddenBias), ref.b1);
      assert.deepEqual(Array.from(model.outputWeights), ref.W2.flat());
      assert.deepEqual(model.outputBias && Array.from(model.outputBias), ref.b2);
      assert.deepEqual(model.activation, activationOf(ref.activation));
      assert.equal(model.activationSource, expected.source);
      assert.equal(model.outputLink, ref.outputLink);
      ref.X.forEach((x, i) => {
        forward(model, x).forEach((value, o) => assertClose(value, ref.output[i]![o]!, 1e-5, `${id} output ${i},${o}`));
      });
    });
  }
});

describe('shared fixtures that are not two-layer networks are refused for the right reason', () => {
  it('the three-hidden-layer Keras model (with optimizer state) names what it found', async () => {
    await assertRefused(
      () => loadModel(formatFixture('shared/h5/model_final_ddm.h5')),
      'unsupported',
      /found 3 hidden layers \(6-100\(tanh\)-100\(tanh\)-120\(tanh\)-1\(linear\)\)/,
    );
  });

  it('the two-hidden-layer TF.js abalone model names what it found', async () => {
    await assertRefused(
      () => loadModel(formatFixture('shared/tfjs/abalone_trainedModel/model.json')),
      'unsupported',
      /found 2 hidden layers \(8-50\(sigmoid\)-50\(sigmoid\)-1\(linear\)\)/,
    );
  });

  it('keras_model.keras (HDF5 despite its name) ends in a relu output, which is refused', async () => {
    // Detected as HDF5 by its magic bytes; the Activation layers fold into fc1 and fc2.
    await assertRefused(
      () => loadModel(formatFixture('shared/h5/keras_model.keras')),
      'unsupported',
      /output layer fc2 is followed by a relu activation \(8-4\(relu\)-2\(relu\)\); only an identity, sigmoid or softmax output/,
    );
  });

  it('a two-hidden-layer ONNX export is refused the same way', async () => {
    await assertRefused(
      () => loadModel(formatFixture('generated/onnx/deep.onnx')),
      'unsupported',
      /found 2 hidden layers \(3-4\(relu\)-4\(relu\)-1\(linear\)\)/,
    );
  });

  it('a pickled whole module and a legacy torch.save get "save the state_dict"', async () => {
    await assertRefused(() => loadModel(formatFixture('generated/pytorch/whole_module.pt')), 'unsupported',
      /whole pickled module .*torch\.nn\.modules\.container\.Sequential.*model\.state_dict\(\)/);
    await assertRefused(() => loadModel(formatFixture('generated/pytorch/legacy_state_dict.pt')), 'unsupported',
      /legacy .*non-zip.*torch\.save\(model\.state_dict\(\)/);
  });
});

describe('notes say how a file was read', () => {
  it('simple_mlp.h5 records softmax as the output link and Keras provenance', async () => {
    const model = await loadModel(formatFixture('shared/h5/simple_mlp.h5'));
    assert.deepEqual(model.source.tensorNames, [
      'model_weights/dense_1/dense_1/kernel:0', 'model_weights/dense_1/dense_1/bias:0',
      'model_weights/dense_2/dense_2/kernel:0', 'model_weights/dense_2/dense_2/bias:0',
    ]);
    assert.ok(model.source.notes.some((note) => /Keras 2\.2\.4/.test(note)));
    assert.ok(model.source.notes.some((note) => /softmax; recorded as the output link/.test(note)));
  });

  it('iris_model.keras maps config layer dense_1 to the weight group dense_2 by position', async () => {
    const model = await loadModel(formatFixture('shared/keras/iris_model.keras'));
    assert.deepEqual(model.source.tensorNames.slice(2), [
      '_layer_checkpoint_dependencies/dense_2/vars/0', '_layer_checkpoint_dependencies/dense_2/vars/1',
    ]);
  });

  it('a state_dict says its activation was assumed', async () => {
    const model = await loadModel(formatFixture('generated/pytorch/seq_relu.pt'));
    assert.ok(model.source.notes.some((note) => /ReLU was assumed/.test(note)));
  });

  it('quantized TF.js weights say they were dequantized', async () => {
    const model = await loadModel(formatFixture('generated/tfjs/uint8_model/model.json'));
    assert.ok(model.source.notes.some((note) => /quantized to uint8/.test(note)));
  });
});

describe('.pt data files', () => {
  const reference = JSON.parse(readFileSync(formatFixture('reference/data_pt.json'), 'utf8')) as {
    X: number[][]; y: number[][]; labels: number[];
  };

  it('reads X (a transposed, non-contiguous view) and y (a slice with a storage offset)', async () => {
    const data = await loadDataset(formatFixture('generated/data/data.pt'));
    assert.equal(data.source.format, 'pt');
    assert.equal(data.n, 40);
    assert.equal(data.d, 3);
    assert.equal(data.targetDim, 2);
    assert.deepEqual(Array.from(data.inputs), reference.X.flat().map(Math.fround));
    assert.deepEqual(Array.from(data.targets), reference.y.flat().map(Math.fround));
  });

  it('reads int64 class labels', async () => {
    const data = await loadDataset(formatFixture('generated/data/data_labels.pt'));
    assert.equal(data.targetDim, 1);
    assert.deepEqual(Array.from(data.targets), reference.labels);
  });
});
