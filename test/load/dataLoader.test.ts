import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dataset } from '../../src/engine/data/types';
import { checkDataMatchesModel, loadDataset } from '../../src/engine/load/dataLoader';
import { targetCandidates } from '../../src/engine/load/formats/npyPairData';
import { loadModel } from '../../src/engine/load/modelLoader';
import { assertClose, assertFails, fixture, forward, reference } from './helpers';

function assertMatchesReference(data: Dataset, file: string): void {
  const expected = reference.data[file]!;
  const n = expected.X.length;
  assert.equal(data.n, n);
  assert.equal(data.d, expected.X[0]!.length);
  assert.equal(data.targetDim, expected.y[0]!.length);
  // The fixtures hold float32-representable values, so the float32 dataset matches exactly.
  assert.deepEqual(Array.from(data.inputs), expected.X.flat());
  assert.deepEqual(Array.from(data.targets), expected.y.flat());
  assert.equal(data.source.path, fixture(file));
}

describe('loadDataset on files written by numpy and python', () => {
  const cases: Array<[string, string, Parameters<typeof loadDataset>[1]]> = [
    ['data/train.npz', 'npz', {}],
    ['data/multi.npz', 'npz', {}],
    ['data/data_X.npy', 'npy-pair', {}],
    ['data/pair/X_train.npy', 'npy-pair', {}],
    ['data/train.csv', 'csv', {}],
    ['data/noheader.csv', 'csv', {}],
    ['data/multi.csv', 'csv', { targetColumns: ['t1', 't2'] }],
    ['data/quoted_semicolon.csv', 'csv', {}],
    ['data/train.json', 'json', {}],
    ['data/multi.json', 'json', {}],
  ];
  for (const [file, format, options] of cases) {
    it(`reads ${file}`, async () => {
      const data = await loadDataset(fixture(file), options);
      assertMatchesReference(data, file);
      assert.equal(data.source.format, format);
    });
  }

  it('names the arrays and columns it read', async () => {
    const npz = await loadDataset(fixture('data/multi.npz'));
    assert.equal(npz.source.inputName, 'x_train');
    assert.equal(npz.source.targetName, 'y_train');
    assert.ok(npz.source.notes.includes('ignored arrays: x_test'));
    const csv = await loadDataset(fixture('data/quoted_semicolon.csv'));
    assert.equal(csv.source.inputName, 'feature; one, feature "two", x3');
    assert.equal(csv.source.targetName, 'target');
  });

  it('takes the last k CSV columns as targets when given a number', async () => {
    const data = await loadDataset(fixture('data/train.csv'), { targetColumns: 2 });
    assert.equal(data.d, 2);
    assert.equal(data.targetDim, 2);
    const expected = reference.data['data/train.csv']!;
    assert.deepEqual(Array.from(data.targets.subarray(0, 2)), [expected.X[0]![2], expected.y[0]![0]]);
  });

  it('accepts 0-based column numbers as target names for a headerless CSV', async () => {
    const data = await loadDataset(fixture('data/noheader.csv'), { targetColumns: ['0'] });
    assert.equal(data.targetDim, 1);
    assert.equal(data.targets[0], reference.data['data/noheader.csv']!.X[0]![0]);
  });

  it('uses an explicit targets file for .npy inputs', async () => {
    const data = await loadDataset(fixture('data/pair/lonely_X.npy'), { targetsPath: fixture('data/data_y.npy') }).catch((error) => error);
    // lonely_X has 3 rows and data_y 40: the explicit file is read and the mismatch reported.
    assert.match(String(data), /3 rows but targets 'data_y.npy' have 40/);
  });

  it('finds the targets of X .npy files by the documented rule', () => {
    assert.deepEqual(targetCandidates('/d/data_X.npy'), ['/d/data_y.npy', '/d/data_Y.npy']);
    assert.deepEqual(targetCandidates('/d/X.npy'), ['/d/y.npy', '/d/Y.npy']);
    assert.deepEqual(targetCandidates('/d/X_train.npy'), ['/d/y_train.npy', '/d/Y_train.npy']);
    assert.deepEqual(targetCandidates('/d/mnist-x-test.npy'), ['/d/mnist-y-test.npy', '/d/mnist-Y-test.npy']);
    assert.deepEqual(targetCandidates('/d/inputs.npy'), ['/d/targets.npy']);
    assert.deepEqual(targetCandidates('/d/matrix.npy'), []);
  });
});

describe('loadDataset on broken files', () => {
  it('gives line and column of a non-numeric CSV cell', async () => {
    await assertFails(loadDataset(fixture('data/bad_cell.csv')), 'bad-input', 'bad_cell.csv', "line 4, column 2 ('x2'): 'abc' is not a number");
  });

  it('gives line and column of NaN and Inf values', async () => {
    await assertFails(loadDataset(fixture('data/nan.csv')), 'bad-input', 'nan.csv', "line 3, column 1 ('x1') is NaN");
    await assertFails(loadDataset(fixture('data/nan_targets.npz')), 'bad-input', 'nan_targets.npz', "'y' row 5, column 0 (0-based) is NaN");
    await assertFails(loadDataset(fixture('data/inf_X.npy')), 'bad-input', 'inf_X.npy', 'row 7, column 2 (0-based) is infinite');
  });

  it('reports rows with the wrong number of fields', async () => {
    await assertFails(loadDataset(fixture('data/ragged.csv')), 'bad-input', 'ragged.csv', 'line 6 has 3 fields, expected 4');
    await assertFails(loadDataset(fixture('data/ragged.json')), 'bad-input', 'ragged.json', 'X[1] has 1 values, expected 2');
  });

  it('reports inputs and targets of different lengths', async () => {
    await assertFails(loadDataset(fixture('data/mismatch_len.npz')), 'bad-input', 'mismatch_len.npz', "inputs 'X' have 10 rows but targets 'y' have 9");
  });

  it('lists the arrays of an .npz without a known pair', async () => {
    await assertFails(loadDataset(fixture('data/no_pair.npz')), 'bad-input', 'no_pair.npz', 'x/y, x_train/y_train, inputs/targets', 'features_a, something');
  });

  it('says which targets file it looked for', async () => {
    await assertFails(loadDataset(fixture('data/pair/lonely_X.npy')), 'bad-input', 'lonely_X.npy', 'lonely_y.npy and lonely_Y.npy');
    await assertFails(loadDataset(fixture('data/truncated_y.npy')), 'bad-input', 'truncated_y.npy', 'no X/x token');
  });

  it('reports a truncated .npy', async () => {
    await assertFails(loadDataset(fixture('data/truncated_X.npy')), 'bad-input', 'truncated_X.npy', 'declares shape [40, 3] of <f4 (480 bytes) but only 473 bytes');
  });

  it('refuses unknown CSV target columns, listing the header', async () => {
    await assertFails(loadDataset(fixture('data/train.csv'), { targetColumns: ['label'] }), 'bad-input', "target column 'label' not found", 'x1, x2, x3, y');
    await assertFails(loadDataset(fixture('data/train.csv'), { targetColumns: 4 }), 'bad-input', 'cannot use the last 4 of 4 columns');
  });

  it('applies the size limits to files and to what a zip would inflate to', async () => {
    await assertFails(loadDataset(fixture('data/train.csv'), { maxFileBytes: 100 }), 'too-large', 'train.csv');
    await assertFails(loadDataset(fixture('broken/bomb.npz'), { maxFileBytes: 1_000_000 }), 'too-large', 'bomb.npz', 'uncompressed bytes');
  });

  it('refuses a missing file and unknown binary bytes', async () => {
    await assertFails(loadDataset(fixture('data/absent.csv')), 'bad-input', 'absent.csv', 'file not found');
    await assertFails(loadDataset(fixture('broken/random.bin')), 'bad-input', 'random.bin', 'not a recognized data format');
    await assertFails(loadDataset(fixture('broken/unknown.zip')), 'bad-input', 'unknown.zip', 'readme.txt, weights.bin');
  });
});

describe('checkDataMatchesModel', () => {
  it('accepts matching data and names both widths when they differ', async () => {
    const model = await loadModel(fixture('models/d10.safetensors'));
    const wide = await loadDataset(fixture('data/dim12.npz'));
    await assertFails(() => checkDataMatchesModel(model, wide), 'bad-input', 'dim12.npz', 'model expects 10 inputs, data has 12 columns');
    const small = await loadModel(fixture('models/seq13_nobias_f64.safetensors'));
    checkDataMatchesModel(small, await loadDataset(fixture('data/train.npz')));
  });

  it('refuses target columns that match neither the outputs nor a class index', async () => {
    const model = await loadModel(fixture('models/seq_tanh_bias.safetensors')); // 4 inputs, 2 outputs
    await assertFails(loadDataset(fixture('data/train.csv'), { targetColumns: 0 }), 'bad-input', 'cannot use the last 0 of 4 columns');
    const three = await loadDataset(fixture('data/multi.csv'), { targetColumns: ['t1', 't2'] });
    checkDataMatchesModel(await loadModel(fixture('models/fc_f16.safetensors')), three); // 3 inputs, 2 outputs
    const single = await loadDataset(fixture('data/train.npz'));
    checkDataMatchesModel(await loadModel(fixture('models/fc_f16.safetensors')), single); // class indices
    const wideTargets = await loadDataset(fixture('data/noheader.csv'), { targetColumns: 3 });
    await assertFails(() => checkDataMatchesModel({ ...model, inputDim: 1 }, wideTargets), 'bad-input', 'model has 2 outputs, targets have 3 columns');
  });
});

describe('loaded models on loaded data', () => {
  for (const [file, expected] of Object.entries(reference.models)) {
    const outputs = expected.outputsOnTrainNpz;
    if (outputs === undefined) continue;
    it(`${file} on data/train.npz gives the outputs torch computed`, async () => {
      const data = await loadDataset(fixture('data/train.npz'));
      const model = await loadModel(fixture(file), { expectedInputDim: data.d });
      checkDataMatchesModel(model, data);
      for (let i = 0; i < data.n; i++) {
        const x = Array.from(data.inputs.subarray(i * data.d, (i + 1) * data.d));
        forward(model, x).forEach((value, o) => assertClose(value, outputs[i]![o]!, 1e-12, `${file} row ${i} output ${o}`));
      }
    });
  }
});
