import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listCheckpoints, orderCheckpoints, stepFromFileName } from '../../src/engine/trajectory/checkpointFiles';
import { loadModel } from '../../src/engine/load/modelLoader';
import { isFlatnessLensError } from '../../src/engine/errors';

const root = path.resolve(__dirname, '..', '..');
const dicts = path.join(root, 'test', 'fixtures', 'trajectory', 'torch-dicts');
const example = path.join(root, 'examples', 'multi-index');

describe('steps from file names', () => {
  const cases: Array<[string, number | null, 'step' | 'epoch' | null]> = [
    ['epoch_012.pt', 12, 'epoch'],
    ['model-epoch=7.ckpt', 7, 'epoch'],
    ['step-1500.safetensors', 1500, 'step'],
    ['global_step2000.pt', 2000, 'step'],
    ['iter_30.npz', 30, 'step'],
    ['weights.05-0.12.h5', 5, null],       // Keras ModelCheckpoint default: the epoch, not the loss
    ['checkpoint-300.safetensors', 300, null],
    ['run3_step_40.pt', 40, 'step'],        // a named counter wins over another number
    ['final.pt', null, null],
    ['model-0.25.pt', null, null],          // a decimal is not a step
  ];
  for (const [name, step, kind] of cases) {
    test(name, () => {
      const parsed = stepFromFileName(name);
      assert.equal(parsed.step, step);
      assert.equal(parsed.stepKind, kind);
      assert.equal(parsed.stepSource, step === null ? null : 'file-name');
    });
  }
});

describe('listing and ordering', () => {
  function folder(files: Array<[string, number]>): string {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-ckpt-'));
    for (const [name, mtime] of files) {
      const file = path.join(directory, name);
      fs.writeFileSync(file, 'x');
      fs.utimesSync(file, mtime, mtime);
    }
    return directory;
  }

  test('by the numbers in the names when every name has one (not by text or time)', () => {
    const directory = folder([['epoch_10.pt', 1000], ['epoch_9.pt', 3000], ['epoch_100.pt', 2000], ['notes.txt', 0]]);
    const { files, order } = orderCheckpoints(listCheckpoints([directory]));
    assert.equal(order, 'file-name');
    assert.deepEqual(files.map((f) => path.basename(f.path)), ['epoch_9.pt', 'epoch_10.pt', 'epoch_100.pt']);
  });

  test('by modification time when a name has no number', () => {
    const directory = folder([['b.pt', 3000], ['a.pt', 2000], ['last.pt', 1000]]);
    const { files, order } = orderCheckpoints(listCheckpoints([directory]));
    assert.equal(order, 'modification-time');
    assert.deepEqual(files.map((f) => path.basename(f.path)), ['last.pt', 'a.pt', 'b.pt']);
  });

  test('the training and test data in the same folder are not checkpoints', () => {
    const directory = folder([['train.npz', 1], ['test.npz', 2], ['step_1.npz', 3]]);
    const files = listCheckpoints([directory], [path.join(directory, 'train.npz'), path.join(directory, 'test.npz')]);
    assert.deepEqual(files.map((f) => path.basename(f.path)), ['step_1.npz']);
  });

  test('a folder without checkpoints and a missing path are bad input naming the path', () => {
    const empty = folder([['readme.md', 1]]);
    assert.throws(() => listCheckpoints([empty]), (error: unknown) => isFlatnessLensError(error) && error.code === 'bad-input' && error.message.includes(empty) && /no checkpoint files/.test(error.message));
    const missing = path.join(empty, 'nope.pt');
    assert.throws(() => listCheckpoints([missing]), (error: unknown) => isFlatnessLensError(error) && error.message.includes(missing));
  });
});

describe('PyTorch checkpoint dicts', () => {
  test("{'model_state_dict', 'optimizer_state_dict' (SGD momentum), 'epoch'}: weights read, optimizer skipped, epoch kept", async () => {
    const model = await loadModel(path.join(dicts, 'last.pt'), { expectedInputDim: 10 });
    assert.equal(model.hiddenDim, 64);
    assert.deepEqual(model.source.checkpoint, { epoch: 7 });
    assert.ok(model.source.notes.some((note) => note.includes("'model_state_dict'")));
  });

  test("{'state_dict', 'epoch', 'step'}: both counters; a bare state_dict with a global_step entry", async () => {
    assert.deepEqual((await loadModel(path.join(dicts, 'both.pt'), { expectedInputDim: 10 })).source.checkpoint, { step: 300, epoch: 3 });
    assert.deepEqual((await loadModel(path.join(dicts, 'flat.pt'), { expectedInputDim: 10 })).source.checkpoint, { step: 1234 });
  });

  test('the three layouts hold the same weights as the run checkpoint of that step', async () => {
    const reference = await loadModel(path.join(example, 'checkpoints', 'step_04500.pt'), { expectedInputDim: 10 });
    assert.deepEqual(reference.source.checkpoint, { step: 4500 });
    for (const name of ['last.pt', 'both.pt', 'flat.pt']) {
      const model = await loadModel(path.join(dicts, name), { expectedInputDim: 10 });
      assert.deepEqual(Array.from(model.hiddenWeights), Array.from(reference.hiddenWeights), name);
      assert.deepEqual(Array.from(model.outputWeights), Array.from(reference.outputWeights), name);
    }
  });

  test('a state_dict without counters has none', async () => {
    const model = await loadModel(path.join(example, 'generalizing.safetensors'));
    assert.equal(model.source.checkpoint, undefined);
  });
});
