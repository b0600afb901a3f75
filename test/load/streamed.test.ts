import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import type { AnyDataset, Dataset } from '../../src/engine/data/types';
import { dataChunks, isStreamed, materialize, needsMemoryNote, readRows } from '../../src/engine/data/rows';
import { loadDataset, openDataset } from '../../src/engine/load/dataLoader';
import type { DataLoadOptions } from '../../src/engine/load/formatTypes';
import { npyHeader } from '../../src/engine/io/npy';
import { initBackend } from '../../src/engine/compute/backend';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { LossOperator } from '../../src/engine/curvature/lossOperator';
import { makeLossSpec, targetLayoutOf } from '../../src/engine/math/losses';
import { computeTargetTerm, computeTargetTermOf } from '../../src/engine/analysis/targetTerm';
import { SeededRandom } from '../../src/engine/math/random';
import { randomModel } from '../helpers/tinyNetworks';
import { assertFails, fixture } from './helpers';

const STREAM: DataLoadOptions = { streamAboveBytes: 0 };
const directory = fs.mkdtempSync(join(os.tmpdir(), 'flatness-lens-streamed-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));

function writeNpy(name: string, descr: string, shape: number[], data: ArrayBufferView, fortran = false): string {
  const path = join(directory, name);
  fs.writeFileSync(path, Buffer.concat([npyHeader(descr, shape, fortran), new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]));
  return path;
}

/** Every value of a data set, read through the row API in chunks of `rows`. */
async function allRows(data: AnyDataset, rows = 7): Promise<{ inputs: number[]; targets: number[] }> {
  const inputs: number[] = [];
  const targets: number[] = [];
  for await (const chunk of dataChunks(data, rows)) {
    inputs.push(...chunk.inputs);
    targets.push(...chunk.targets);
  }
  return { inputs, targets };
}

async function assertSameData(streamed: AnyDataset, inMemory: Dataset): Promise<void> {
  assert.ok(isStreamed(streamed), 'the file is streamed');
  assert.equal(streamed.n, inMemory.n);
  assert.equal(streamed.d, inMemory.d);
  assert.equal(streamed.targetDim, inMemory.targetDim);
  assert.equal(streamed.source.inputName, inMemory.source.inputName);
  assert.equal(streamed.source.targetName, inMemory.source.targetName);
  const values = await allRows(streamed);
  assert.deepEqual(values.inputs, Array.from(inMemory.inputs));
  assert.deepEqual(values.targets, Array.from(inMemory.targets));
}

describe('streamed data: the same values and messages as data read into memory', () => {
  for (const [file, options] of [
    ['data/data_X.npy', {}],
    ['data/pair/X_train.npy', {}],
    ['data/train.npz', {}],
    ['data/dim12.npz', {}],
    ['data/train.csv', {}],
    ['data/noheader.csv', {}],
    ['data/multi.csv', { targetColumns: ['t1', 't2'] }],
    ['data/quoted_semicolon.csv', {}],
  ] as Array<[string, DataLoadOptions]>) {
    it(`streams ${file}`, async () => {
      await assertSameData(await openDataset(fixture(file), { ...options, ...STREAM }), await loadDataset(fixture(file), options));
    });
  }

  it('keeps small files in memory by default, and deflated .npz members in memory always', async () => {
    assert.equal(isStreamed(await openDataset(fixture('data/data_X.npy'))), false);
    assert.ok(isStreamed(await openDataset(fixture('data/train.npz'), STREAM)), 'np.savez: stored members are streamed');
    const deflated = await openDataset(fixture('data/multi.npz'), STREAM);
    assert.equal(isStreamed(deflated), false, 'np.savez_compressed: read into memory');
    assert.equal(deflated.n, (await loadDataset(fixture('data/multi.npz'))).n);
  });

  for (const [file, ...fragments] of [
    ['data/bad_cell.csv', "line 4, column 2 ('x2'): 'abc' is not a number"],
    ['data/nan.csv', "line 3, column 1 ('x1') is NaN"],
    ['data/nan_targets.npz', "'y' row 5, column 0 (0-based) is NaN"],
    ['data/inf_X.npy', 'row 7, column 2 (0-based) is infinite'],
    ['data/ragged.csv', 'line 6 has 3 fields, expected 4'],
    ['data/mismatch_len.npz', "inputs 'X' have 10 rows but targets 'y' have 9"],
    ['data/no_pair.npz', 'x/y, x_train/y_train, inputs/targets', 'features_a, something'],
    ['data/pair/lonely_X.npy', 'lonely_y.npy and lonely_Y.npy'],
    ['data/truncated_X.npy', 'declares shape [40, 3] of <f4 (480 bytes) but only 473 bytes'],
    ['data/absent.csv', 'file not found'],
  ]) {
    it(`refuses ${file} with the in-memory reader's message`, async () => {
      const name = file!.split('/').pop()!;
      const inMemory = await assertFails(loadDataset(fixture(file!)), 'bad-input', name, ...fragments);
      const streamed = await assertFails(openDataset(fixture(file!), STREAM), 'bad-input', name, ...fragments);
      assert.equal(streamed.message, inMemory.message);
    });
  }

  it('refuses a truncated stored .npz with the in-memory reader\'s message', async () => {
    const bytes = fs.readFileSync(fixture('data/train.npz'));
    const cut = join(directory, 'cut.npz');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    const inMemory = await assertFails(loadDataset(cut), 'bad-input', 'cut.npz');
    const streamed = await assertFails(openDataset(cut, STREAM), 'bad-input', 'cut.npz');
    assert.equal(streamed.message, inMemory.message);
  });

  it('refuses unknown CSV target columns with the same message', async () => {
    await assertFails(openDataset(fixture('data/train.csv'), { targetColumns: ['label'], ...STREAM }), 'bad-input', "target column 'label' not found", 'x1, x2, x3, y');
  });
});

describe('streamed .npy pairs', () => {
  const random = new SeededRandom(7);
  const n = 1000;
  const d = 5;
  const inputs = Float32Array.from({ length: n * d }, () => random.normal());
  const targets = Float32Array.from({ length: n }, () => random.normal());

  it('converts float64, float16, integer and big-endian files chunk by chunk', async () => {
    const x64 = writeNpy('wide_X.npy', '<f8', [n, d], Float64Array.from(inputs));
    writeNpy('wide_y.npy', '<i4', [n], Int32Array.from(targets, (value) => Math.round(value * 10)));
    await assertSameData(await openDataset(x64, STREAM), await loadDataset(x64));
    const big = new DataView(new ArrayBuffer(n * d * 4));
    inputs.forEach((value, i) => big.setFloat32(4 * i, value, false));
    const xBig = writeNpy('big_X.npy', '>f4', [n, d], big);
    writeNpy('big_y.npy', '<f2', [n], Uint16Array.from({ length: n }, (_, i) => 0x3c00 + (i % 64)));
    await assertSameData(await openDataset(xBig, STREAM), await loadDataset(xBig));
  });

  it('reads a Fortran-ordered inputs file into memory instead (it cannot be read by rows)', async () => {
    const columnMajor = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let l = 0; l < d; l++) columnMajor[l * n + i] = inputs[i * d + l]!;
    const x = writeNpy('fortran_X.npy', '<f4', [n, d], columnMajor, true);
    writeNpy('fortran_y.npy', '<f4', [n], targets);
    const data = await openDataset(x, STREAM);
    assert.equal(isStreamed(data), false);
    assert.deepEqual(Array.from((data as Dataset).inputs), Array.from(inputs));
    await assertFails(openDataset(x, { ...STREAM, maxFileBytes: 1000 }), 'bad-input', 'fortran_X.npy', 'Fortran-ordered', 'np.ascontiguousarray');
  });

  it('refuses a header that promises more rows than the file holds, naming the file, before reading rows', async () => {
    const x = join(directory, 'short_X.npy');
    fs.writeFileSync(x, Buffer.concat([npyHeader('<f4', [10_000_000, d]), new Uint8Array(inputs.buffer)]));
    writeNpy('short_y.npy', '<f4', [n], targets);
    const error = await assertFails(openDataset(x, STREAM), 'bad-input', 'short_X.npy', 'declares shape [10000000, 5]', 'truncated file?');
    assert.doesNotMatch(error.message, /\n/, 'one line');
  });

  it('refuses targets whose header promises more rows than the file holds', async () => {
    const x = writeNpy('lying_X.npy', '<f4', [n, d], inputs);
    fs.writeFileSync(join(directory, 'lying_y.npy'), Buffer.concat([npyHeader('<f4', [n * 1000]), new Uint8Array(targets.buffer)]));
    await assertFails(openDataset(x, STREAM), 'bad-input', 'lying_y.npy', `declares shape [${n * 1000}]`);
  });

  it('refuses a read from a file truncated after it was opened, naming it', async () => {
    const x = writeNpy('shrinking_X.npy', '<f4', [n, d], inputs);
    writeNpy('shrinking_y.npy', '<f4', [n], targets);
    const data = await openDataset(x, STREAM);
    fs.truncateSync(x, 2000);
    await assertFails(readRows(data, n - 10, 10), 'bad-input', 'shrinking_X.npy', 'truncated or changed');
  });

  it('gives the row and column of a NaN far into the file', async () => {
    const bad = Float32Array.from(inputs);
    bad[(n - 3) * d + 4] = Number.NaN;
    const x = writeNpy('late_X.npy', '<f4', [n, d], bad);
    writeNpy('late_y.npy', '<f4', [n], targets);
    await assertFails(openDataset(x, STREAM), 'bad-input', 'late_X.npy', `'late_X.npy' row ${n - 3}, column 4 (0-based) is NaN`);
  });

  it('checks class labels of streamed targets for cross-entropy with the same message', async () => {
    const labels = Float32Array.from({ length: n }, (_, i) => i % 3);
    labels[n - 1] = 7;
    const x = writeNpy('labels_X.npy', '<f4', [n, d], inputs);
    writeNpy('labels_y.npy', '<f4', [n], labels);
    const model = randomModel({ d, m: 4, c: 3, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, new SeededRandom(1));
    const loss = makeLossSpec('ce', 3);
    const inMemory = await assertFails(targetLayoutOf(loss, model, await loadDataset(x)), 'bad-input', `row ${n}: class label 7`);
    const streamed = await assertFails(targetLayoutOf(loss, model, await openDataset(x, STREAM)), 'bad-input', `row ${n}: class label 7`);
    assert.equal(streamed.message, inMemory.message);
  });

  it('reads into memory within a budget, and says why an analysis is skipped above it', async () => {
    const x = writeNpy('budget_X.npy', '<f4', [n, d], inputs);
    writeNpy('budget_y.npy', '<f4', [n], targets);
    const data = await openDataset(x, STREAM);
    const copy = await materialize(data);
    assert.ok(copy !== null && !isStreamed(copy));
    assert.deepEqual(Array.from(copy.inputs), Array.from(inputs));
    assert.equal(await materialize(data, 1000), null);
    assert.match(needsMemoryNote('Adaptive sharpness', data, 1000), /^Adaptive sharpness skipped: it needs the data in memory, and 1000 rows x 5 inputs \(1 MiB as float32\) is above the budget of 1 MiB/);
  });
});

describe('analysis of a streamed file', () => {
  it('gives exactly the figures of the same data in memory (same chunking): trace, per-neuron terms, loss, spectrum products', async () => {
    await initBackend('cpu');
    const random = new SeededRandom(11);
    const n = 3000;
    const d = 6;
    const inputs = Float32Array.from({ length: n * d }, () => random.normal());
    const targets = Float32Array.from({ length: n }, () => random.normal());
    const x = writeNpy('exact_X.npy', '<f4', [n, d], inputs);
    writeNpy('exact_y.npy', '<f4', [n], targets);
    const streamed = await openDataset(x, STREAM);
    const inMemory = await loadDataset(x);
    assert.ok(isStreamed(streamed));
    const model = randomModel({ d, m: 16, c: 1, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    const options = { backend: 'cpu' as const, chunkRows: 256 };
    const [fromDisk, fromMemory] = [await analyzeLoaded(model, streamed, options), await analyzeLoaded(model, inMemory, options)];
    assert.equal(fromDisk.flatness.trace, fromMemory.flatness.trace);
    assert.equal(fromDisk.loss.value, fromMemory.loss.value);
    assert.deepEqual(fromDisk.flatness.perNeuron, fromMemory.flatness.perNeuron);
    assert.deepEqual(fromDisk.flatness, fromMemory.flatness);
    assert.deepEqual(fromDisk.verdict, fromMemory.verdict);

    const loss = makeLossSpec('mse', 1);
    const direction = Float64Array.from({ length: model.hiddenDim * (d + 2) + 1 }, () => random.normal());
    for (const products of ['backend', 'float64'] as const) {
      const onDisk = await LossOperator.prepare(model, streamed, loss, { chunkRows: 256, products, fastPath: false });
      const held = await LossOperator.prepare(model, inMemory, loss, { chunkRows: 256, products, fastPath: false });
      try {
        assert.deepEqual(onDisk.gradient, held.gradient, `${products}: the gradient`);
        assert.deepEqual(await onDisk.hessianVectorProduct(direction), await held.hessianVectorProduct(direction), `${products}: a Hessian-vector product`);
      } finally {
        onDisk.dispose();
        held.dispose();
      }
    }
  });
});

describe('a streamed file on onnxruntime', () => {
  it('keeps no pre-activations for the Hessian-vector products (one session, one memory arena) and gives the in-memory products', async () => {
    assert.equal((await initBackend('onnxruntime')).name, 'onnxruntime');
    const random = new SeededRandom(12);
    const n = 2000;
    const d = 6;
    const x = writeNpy('onnx_X.npy', '<f4', [n, d], Float32Array.from({ length: n * d }, () => random.normal()));
    writeNpy('onnx_y.npy', '<f4', [n], Float32Array.from({ length: n }, () => random.normal()));
    const model = randomModel({ d, m: 16, c: 1, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    const loss = makeLossSpec('mse', 1);
    const direction = Float64Array.from({ length: model.hiddenDim * (d + 2) + 1 }, () => random.normal());
    const onDisk = await LossOperator.prepare(model, await openDataset(x, STREAM), loss, { chunkRows: 256, products: 'backend' });
    const held = await LossOperator.prepare(model, await loadDataset(x), loss, { chunkRows: 256, products: 'backend' });
    try {
      assert.equal(onDisk.productKernel, 'onnxruntime');
      assert.equal(onDisk.cachedPreactivationChunks, 0);
      assert.equal(held.cachedPreactivationChunks, Math.ceil(n / 256));
      const [fromDisk, fromMemory] = [await onDisk.hessianVectorProduct(direction), await held.hessianVectorProduct(direction)];
      let worst = 0;
      let scale = 0;
      for (let p = 0; p < direction.length; p++) {
        worst = Math.max(worst, Math.abs(fromDisk[p]! - fromMemory[p]!));
        scale = Math.max(scale, Math.abs(fromMemory[p]!));
      }
      assert.ok(scale > 0 && worst <= 1e-6 * scale, `off by ${worst} against ${scale}`);
    } finally {
      onDisk.dispose();
      held.dispose();
    }
  });
});

describe('the certified bound\'s data part of a streamed file', () => {
  it('equals the in-memory one (weighted median by histograms, sums in row order), ties and signs included', async () => {
    const random = new SeededRandom(3);
    const n = 5000;
    const d = 3;
    const inputs = Float32Array.from({ length: n * d }, () => random.normal());
    // Repeated values, both signs, -0 and 0, and values within one 16-bit bucket of each other.
    const pool = [-2.5, -1e-30, -0, 0, 1e-30, 0.75, Math.fround(0.75 + 2 ** -20), 3, 1e6];
    const targets = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? pool[i % pool.length]! : random.normal()));
    const x = writeNpy('median_X.npy', '<f4', [n, d], inputs);
    writeNpy('median_y.npy', '<f4', [n], targets);
    const streamed = await openDataset(x, STREAM);
    const inMemory = await loadDataset(x);
    for (const hiddenBias of [true, false]) {
      for (const outputBias of [true, false]) {
        const model = randomModel({ d, m: 4, c: 1, hiddenBias, outputBias, activation: { name: 'relu' } }, random);
        assert.deepEqual(await computeTargetTermOf(model, streamed), computeTargetTerm(model, inMemory), `hidden bias ${hiddenBias}, output bias ${outputBias}`);
      }
    }
  });
});

describe('streamed CSV', () => {
  it('cuts segments at row ends outside quotes, and gives line numbers past the first megabyte', async () => {
    const lines = ['a,"b, with comma",y'];
    const rows = 150_000;
    for (let i = 0; i < rows; i++) lines.push(`${i % 97},${(i * 7) % 13}.5,${i % 5}`);
    const path = join(directory, 'long.csv');
    fs.writeFileSync(path, `${lines.join('\n')}\n`);
    assert.ok(fs.statSync(path).size > 1024 * 1024, 'more than one segment');
    await assertSameData(await openDataset(path, STREAM), await loadDataset(path));

    lines[rows - 5] = '1,"two\nlines",3';
    const quoted = join(directory, 'quoted.csv');
    fs.writeFileSync(quoted, `${lines.join('\n')}\n`);
    const message = `line ${rows - 4}, column 2 ('b, with comma'): 'two\nlines' is not a number`;
    const inMemory = await assertFails(loadDataset(quoted), 'bad-input', message);
    const streamed = await assertFails(openDataset(quoted, STREAM), 'bad-input', message);
    assert.equal(streamed.message, inMemory.message);
  });
});
