import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { loadModel, loadModelFromBytes } from '../../src/engine/load/modelLoader';
import { loadDataset } from '../../src/engine/load/dataLoader';
import { loadTfjsLayers } from '../../src/engine/load/layers/tfjsLayers';
import { denseStackToModel, type DenseLayer } from '../../src/engine/load/layers/denseStack';
import { unpickle } from '../../src/engine/load/layers/pickle';
import { assertRefused, formatFixture } from './helpers';

const latin1 = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};
/** BINUNICODE opcode with its string. */
const text = (value: string) => {
  const bytes = new TextEncoder().encode(value);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, bytes.length, true);
  return concat(latin1('X'), length, bytes);
};
const torchZip = (pickle: Uint8Array, storages: Record<string, Uint8Array> = {}) =>
  zipSync({ 'archive/data.pkl': pickle, ...Object.fromEntries(Object.entries(storages).map(([key, value]) => [`archive/data/${key}`, value])) }, { level: 0 });

/** A state_dict pickle (protocol 2) with one tensor of the given size over a 6-float storage. */
function stateDictPickle(size: [number, number], storageType = 'FloatStorage'): Uint8Array {
  const int2 = (value: number) => concat(latin1('M'), Uint8Array.of(value & 0xff, value >> 8));
  return concat(
    Uint8Array.of(0x80, 0x02), latin1('ccollections\nOrderedDict\n)R('),
    text('fc1.weight'), latin1('ctorch._utils\n_rebuild_tensor_v2\n(('), text('storage'), latin1(`ctorch\n${storageType}\n`),
    text('0'), text('cpu'), latin1('K\x06tQK\x00('), int2(size[0]), int2(size[1]), latin1('t('), int2(size[1]), latin1('K\x01t\x89'),
    latin1('ccollections\nOrderedDict\n)RtRu.'),
  );
}

describe('the unpickler runs no code', () => {
  for (const [module, name] of [['os', 'system'], ['builtins', 'eval'], ['__builtin__', 'exec'], ['subprocess', 'Popen'], ['torch', 'load']] as const) {
    it(`refuses the global ${module}.${name} before using it`, async () => {
      const pickle = concat(Uint8Array.of(0x80, 0x02), latin1(`c${module}\n${name}\n`), text('echo pwned'), latin1('\x85R.'));
      await assertRefused(() => loadModelFromBytes(torchZip(pickle), 'evil.pt'), 'unsupported',
        new RegExp(`references ${module}\\.${name}, which is not allowed.*never runs code`));
    });
  }

  it('refuses STACK_GLOBAL (protocol 4) references the same way', () => {
    const pickle = concat(Uint8Array.of(0x80, 0x04), text('posix'), text('system'), Uint8Array.of(0x93), latin1('.'));
    assert.throws(() => unpickle(pickle, 'x.pkl', { storages: [] }), /posix\.system, which is not allowed/);
  });

  it('refuses integer storages in a model file with a message about integer tensors', async () => {
    await assertRefused(() => loadModelFromBytes(torchZip(stateDictPickle([2, 3], 'LongStorage'), { 0: new Uint8Array(48) }), 'x.pt'),
      'unsupported', /integer tensors \(torch\.LongStorage\)/);
  });

  it('refuses storage types outside the allow-list', async () => {
    await assertRefused(() => loadModelFromBytes(torchZip(stateDictPickle([2, 3], 'UntypedStorage'), { 0: new Uint8Array(24) }), 'x.pt'),
      'unsupported', /torch\.UntypedStorage, which is not allowed/);
  });

  it('reads a hand-made state_dict pickle with a single layer and names the count', async () => {
    await assertRefused(() => loadModelFromBytes(torchZip(stateDictPickle([2, 3]), { 0: new Uint8Array(24) }), 'one.pt'),
      'unsupported', /found 1 weight matrix/);
  });

  it('checks a tensor against its storage before allocating', async () => {
    await assertRefused(() => loadModelFromBytes(torchZip(stateDictPickle([1000, 1000]), { 0: new Uint8Array(24) }), 'big.pt'),
      'bad-input', /reaches past its 6-element storage|only 6/);
  });

  it('checks the storage entry holds the declared elements', async () => {
    await assertRefused(() => loadModelFromBytes(torchZip(stateDictPickle([2, 3]), { 0: new Uint8Array(8) }), 'short.pt'),
      'bad-input', /declares 6 elements but holds 8 bytes/);
  });

  it('a data dict holding both X and x is refused as ambiguous (and X with y alone loads)', async () => {
    const int2 = (value: number) => concat(latin1('M'), Uint8Array.of(value & 0xff, value >> 8));
    /** {name: float tensor [rows, cols] over storage `key` of 6 floats} for each entry, protocol 2. */
    const dataDict = (entries: Array<[string, number, number]>) => concat(
      Uint8Array.of(0x80, 0x02), latin1('ccollections\nOrderedDict\n)R('),
      ...entries.flatMap(([name, rows, cols], key) => [
        text(name), latin1('ctorch._utils\n_rebuild_tensor_v2\n(('), text('storage'), latin1('ctorch\nFloatStorage\n'),
        text(String(key)), text('cpu'), latin1('K\x06tQK\x00('), int2(rows), int2(cols), latin1('t('), int2(cols), latin1('K\x01t\x89'),
        latin1('ccollections\nOrderedDict\n)RtR'),
      ]),
      latin1('u.'),
    );
    const storage = new Uint8Array(Float32Array.of(1, 2, 3, 4, 5, 6).buffer);
    const both = torchZip(dataDict([['X', 2, 3], ['x', 2, 3], ['y', 2, 1]]), { 0: storage, 1: storage, 2: storage });
    const good = torchZip(dataDict([['X', 2, 3], ['y', 2, 1]]), { 0: storage, 1: storage });
    const folder = mkdtempSync(join(tmpdir(), 'flatness-pt-data-'));
    writeFileSync(join(folder, 'both.pt'), both);
    writeFileSync(join(folder, 'good.pt'), good);
    const data = await loadDataset(join(folder, 'good.pt'));
    assert.deepEqual([data.n, data.d, data.targetDim], [2, 3, 1]);
    await assertRefused(() => loadDataset(join(folder, 'both.pt')), 'bad-input', /holds both 'X' and 'x': ambiguous/);
    rmSync(folder, { recursive: true, force: true });
  });

  it('a zip entry leaving the archive is refused', async () => {
    const zip = zipSync({ '../data.pkl': Uint8Array.of(0x80, 0x02, 0x4e, 0x2e) }, { level: 0 });
    await assertRefused(() => loadModelFromBytes(zip, 'slip.pt'), 'bad-input', /leaves the archive/);
  });
});

describe('TF.js shards stay inside the model folder and within the size limit', () => {
  const folder = mkdtempSync(join(tmpdir(), 'flatness-formats-'));
  after(() => rmSync(folder, { recursive: true, force: true }));
  const source = formatFixture('shared/tfjs/balance_model1');
  const manifest = JSON.parse(readFileSync(join(source, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
  const withPaths = (paths: string[], name: string) => {
    const copy = structuredClone(manifest);
    copy.weightsManifest[0]!.paths = paths;
    const path = join(folder, name);
    writeFileSync(path, JSON.stringify(copy));
    return path;
  };
  copyFileSync(join(source, 'model.weights.bin'), join(folder, 'model.weights.bin'));

  for (const [label, shard] of [['..', '../model.weights.bin'], ['absolute', '/etc/passwd'], ['URL', 'https://example.com/w.bin'], ['file URL', 'file:///etc/passwd']] as const) {
    it(`refuses a ${label} shard path`, async () => {
      const path = withPaths([shard], `escape-${label.replace(/\W/g, '')}.json`);
      await assertRefused(() => loadModel(path), 'bad-input', /absolute, a URL or leaves the model's folder/);
    });
  }

  it('refuses a shard that is a symbolic link leading out of the folder', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'flatness-outside-'));
    try {
      copyFileSync(join(source, 'model.weights.bin'), join(outside, 'secret.bin'));
      symlinkSync(join(outside, 'secret.bin'), join(folder, 'linked.bin'));
      await assertRefused(() => loadModel(withPaths(['linked.bin'], 'linked.json')), 'bad-input', /links outside the model's folder/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a missing shard is named', async () => {
    await assertRefused(() => loadModel(withPaths(['missing.bin'], 'missing.json')), 'bad-input', /missing\.bin is missing/);
  });

  it('shards that hold fewer bytes than the manifest declares are refused', async () => {
    writeFileSync(join(folder, 'short.bin'), new Uint8Array(100));
    await assertRefused(() => loadModel(withPaths(['short.bin'], 'short.json')), 'bad-input', /declares 396 bytes but the shards hold 100/);
  });

  it('the size limit applies to the shards too', async () => {
    const path = withPaths(['model.weights.bin'], 'limit.json');
    await assertRefused(() => loadTfjsLayers(readFileSync(path), path, { maxFileBytes: 1500 }), 'too-large', /size limit of 1500 bytes/);
    const model = await loadTfjsLayers(readFileSync(path), path, {});
    assert.equal(model.hiddenDim, 16);
  });
});

describe('size limit and allocation checks', () => {
  it('a file over the limit is refused before it is read', async () => {
    await assertRefused(() => loadModel(formatFixture('shared/h5/model_final_ddm.h5'), { maxFileBytes: 100_000 }), 'too-large', /limit/);
  });

  it('an ONNX initializer declaring more values than the file holds is refused before allocation', async () => {
    // ModelProto { ir_version: 7, opset_import { version: 13 }, graph { initializer { dims: [100000, 100000], data_type: 1, name: "W" } } }
    const initializer = Uint8Array.of(0x08, 0xa0, 0x8d, 0x06, 0x08, 0xa0, 0x8d, 0x06, 0x10, 0x01, 0x42, 0x01, 0x57);
    const graph = concat(Uint8Array.of(0x2a, initializer.length), initializer, Uint8Array.of(0x5a, 0x03, 0x0a, 0x01, 0x78));
    const model = concat(Uint8Array.of(0x08, 0x07, 0x42, 0x02, 0x10, 0x0d, 0x3a, graph.length), graph);
    await assertRefused(() => loadModelFromBytes(model, 'huge.onnx'), 'bad-input', /declares 10000000000 values, more than the file holds/);
  });
});

describe('denseStack', () => {
  const layer = (name: string, inDim: number, outDim: number, activation: string): DenseLayer => ({
    name, inDim, outDim, activation, kernel: new Float64Array(inDim * outDim).fill(0.5), bias: null,
  });

  it('builds a two-layer model and records a softmax output link', () => {
    const model = denseStackToModel([layer('a', 3, 4, 'tanh'), layer('b', 4, 2, 'softmax')], { path: 'm', format: 'test' });
    assert.equal(model.outputLink, 'softmax');
    assert.deepEqual(model.activation, { name: 'tanh' });
    assert.equal(model.activationSource, 'file');
  });

  it('names what it found when the depth is wrong', () => {
    assert.throws(() => denseStackToModel([layer('a', 3, 1, 'linear')], { path: 'm', format: 'test' }), /found 0 hidden layers \(3-1\(linear\)\)/);
    assert.throws(
      () => denseStackToModel([layer('a', 3, 4, 'relu'), layer('b', 4, 4, 'relu'), layer('c', 4, 1, 'linear')], { path: 'm', format: 'test' }),
      /found 2 hidden layers \(3-4\(relu\)-4\(relu\)-1\(linear\)\)/,
    );
  });

  it('refuses softmax inside, unknown activations and broken chains', () => {
    assert.throws(() => denseStackToModel([layer('a', 3, 4, 'softmax'), layer('b', 4, 1, 'linear')], { path: 'm', format: 't' }), /softmax is only supported on the output/);
    assert.throws(() => denseStackToModel([layer('a', 3, 4, 'swishy'), layer('b', 4, 1, 'linear')], { path: 'm', format: 't' }), /activation 'swishy'/);
    assert.throws(() => denseStackToModel([layer('a', 3, 4, 'relu'), layer('b', 5, 1, 'linear')], { path: 'm', format: 't' }), /takes 5 inputs but follows a with 4/);
  });
});
