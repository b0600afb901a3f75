/**
 * Hostile inputs against the loaders (issue 10, classes 1, 2 and 4): names that every object
 * inherits, files that are not regular files, zero-size dtypes and unused .npz members. Every file
 * is generated here; each case names the error code and message it must end in.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { inflateSync, zipSync } from 'fflate';
import { loadModel } from '../../src/engine/load/modelLoader';
import { loadDataset } from '../../src/engine/load/dataLoader';
import { parseActivation } from '../../src/engine/math/activations';
import type { ErrorCode } from '../../src/engine/errors';
import { assertFails } from './helpers';
import { crc32 } from '../../src/engine/io/zip';

const INHERITED = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty'];
const directory = fs.mkdtempSync(join(os.tmpdir(), 'flatness-lens-hostile-'));
const write = (name: string, bytes: Uint8Array | string): string => {
  const file = join(directory, name);
  fs.writeFileSync(file, bytes);
  return file;
};

/* ------------------------------------------------------------------ writers */

const W1 = [[0.5, -0.2], [0.1, 0.3], [-0.4, 0.7]]; // 3 hidden x 2 inputs
const B1 = [0.1, 0, -0.1];
const W2 = [[0.6, -0.5, 0.2]];
const B2 = [0.05];

function safetensors(tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>, metadata: Record<string, string> | null): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== null) header['__metadata__'] = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const data = new Uint8Array(Float32Array.from(tensor.values).buffer);
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + data.length] };
    parts.push(data);
    offset += data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const twoLayer = (dtype = 'F32') => ({
  'fc1.weight': { dtype, shape: [3, 2], values: W1.flat() },
  'fc1.bias': { dtype, shape: [3], values: B1 },
  'fc2.weight': { dtype, shape: [1, 3], values: W2.flat() },
  'fc2.bias': { dtype, shape: [1], values: B2 },
});

function npy(descr: string, shape: number[], data: Uint8Array = new Uint8Array()): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const out = new Uint8Array(10 + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, 10 + header.length);
  return out;
}

const f8 = (values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

/** A TF.js layers model.json and its one shard, with the given activation, layer class and quantization dtype. */
function tfjsModel(name: string, { activation = 'relu', className = 'Dense', quantization = null as string | null } = {}): string {
  const folder = join(directory, name);
  fs.mkdirSync(folder);
  const layer = (units: number, act: string, extra: Record<string, unknown>) => ({ class_name: className, config: { name: `d${units}`, units, activation: act, use_bias: true, ...extra } });
  const weights = [
    { name: 'd3/kernel', shape: [2, 3], dtype: 'float32', ...(quantization ? { quantization: { dtype: quantization, scale: 1, min: 0 } } : {}) },
    { name: 'd3/bias', shape: [3], dtype: 'float32' },
    { name: 'd1/kernel', shape: [3, 1], dtype: 'float32' },
    { name: 'd1/bias', shape: [1], dtype: 'float32' },
  ];
  const model = {
    format: 'layers-model',
    modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [layer(3, activation, { batch_input_shape: [null, 2] }), layer(1, 'linear', {})] } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }],
  };
  const kernel1 = [0, 1].flatMap((i) => W1.map((row) => row[i]!));
  fs.writeFileSync(join(folder, 'group1-shard1of1.bin'), new Uint8Array(Float32Array.from([...kernel1, ...B1, ...W2.flat(), ...B2]).buffer));
  return write(`${name}/model.json`, JSON.stringify(model));
}

/* ------------------------------------------------------------------ a minimal ONNX encoder */

const varint = (value: number): number[] => {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  out.push(value);
  return out;
};
const field = (tag: number, bytes: Uint8Array | number[]): number[] => [...varint((tag << 3) | 2), ...varint(bytes.length), ...bytes];
const text = (tag: number, value: string) => field(tag, [...new TextEncoder().encode(value)]);
const number = (tag: number, value: number) => [...varint(tag << 3), ...varint(value)];

function onnxModel(activationOp: string): Uint8Array {
  const tensor = (name: string, dims: number[], values: number[]) =>
    field(5, [...dims.flatMap((dim) => number(1, dim)), ...number(2, 1), ...text(8, name), ...field(9, [...new Uint8Array(Float32Array.from(values).buffer)])]);
  const node = (inputs: string[], output: string, op: string) => field(1, [...inputs.flatMap((input) => text(1, input)), ...text(2, output), ...text(3, `${op}_${output}`), ...text(4, op)]);
  const graph = [
    ...node(['x', 'W1', 'b1'], 'h', 'Gemm').concat(...[]),
    ...node(['h'], 'a', activationOp),
    ...node(['a', 'W2', 'b2'], 'y', 'Gemm'),
    ...text(2, 'g'),
    ...tensor('W1', [2, 3], [0, 1].flatMap((i) => W1.map((row) => row[i]!))),
    ...tensor('b1', [3], B1),
    ...tensor('W2', [3, 1], W2.flat()),
    ...tensor('b2', [1], B2),
    ...field(11, text(1, 'x')),
    ...field(12, text(1, 'y')),
  ];
  return Uint8Array.from([...number(1, 8), ...field(8, number(2, 13)), ...field(7, graph)]);
}

/* ------------------------------------------------------------------ a zip with a huge deflated member */

/** DEFLATE (fixed Huffman codes) of `header` then `zeros` zero bytes: 13 bits per 258 zeros. */
function deflateZeros(header: Uint8Array, zeros: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 + 9 * (header.length + 258) + 13 * Math.ceil(zeros / 258) + 7) / 8) + 16);
  let bit = 0;
  const put = (value: number, count: number) => { // LSB first
    for (let i = 0; i < count; i++, bit++) if ((value >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  const huffman = (code: number, count: number) => { // Huffman codes go MSB first
    for (let i = count - 1; i >= 0; i--, bit++) if ((code >> i) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  };
  const literal = (byte: number) => (byte < 144 ? huffman(0x30 + byte, 8) : huffman(0x190 + byte - 144, 9));
  put(1, 1); // BFINAL
  put(1, 2); // fixed Huffman
  for (const byte of header) literal(byte);
  literal(0);
  let left = zeros - 1;
  for (; left >= 258; left -= 258) {
    huffman(0xc5, 8); // length code 285: 258 bytes
    huffman(0, 5); // distance code 0: distance 1
  }
  for (; left > 0; left--) literal(0);
  huffman(0, 7); // end of block (256)
  return out.subarray(0, Math.ceil(bit / 8));
}

/** A zip of stored members plus one deflated member of `zeros` zero bytes after `header` (CRC-32 left 0: it must never be inflated). */
function zipWithDeflatedZeros(stored: Record<string, Uint8Array>, name: string, header: Uint8Array, zeros: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const add = (entry: string, method: number, data: Uint8Array, size: number, crc: number) => {
    const nameBytes = new TextEncoder().encode(entry);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true); lv.setUint16(4, 20, true); lv.setUint16(8, method, true);
    lv.setUint32(14, crc, true); lv.setUint32(18, data.length, true); lv.setUint32(22, size, true); lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const record = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(record.buffer);
    cv.setUint32(0, 0x02014b50, true); cv.setUint16(4, 20, true); cv.setUint16(6, 20, true); cv.setUint16(10, method, true);
    cv.setUint32(16, crc, true); cv.setUint32(20, data.length, true); cv.setUint32(24, size, true); cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    record.set(nameBytes, 46);
    parts.push(local, data);
    central.push(record);
    offset += local.length + data.length;
  };
  for (const [entry, data] of Object.entries(stored)) add(entry, 0, data, data.length, crc32(data));
  add(name, 8, deflateZeros(header, zeros), header.length + zeros, 0);
  const directorySize = central.reduce((sum, record) => sum + record.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true); ev.setUint16(8, central.length, true); ev.setUint16(10, central.length, true);
  ev.setUint32(12, directorySize, true); ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of all) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/* ------------------------------------------------------------------ class 1 */

describe('class 1: names from files are looked up as own properties only', () => {
  it('the safetensors writer and the ONNX encoder of this test produce loadable models', async () => {
    const plain = await loadModel(write('plain.safetensors', safetensors(twoLayer(), { activation: 'tanh' })));
    assert.deepEqual([plain.inputDim, plain.hiddenDim, plain.outputDim, plain.activation.name], [2, 3, 1, 'tanh']);
    const onnx = await loadModel(write('plain.onnx', onnxModel('Relu')));
    assert.deepEqual([onnx.inputDim, onnx.hiddenDim, onnx.outputDim, onnx.activation.name], [2, 3, 1, 'relu']);
    const tfjs = await loadModel(tfjsModel('plain-tfjs'));
    assert.deepEqual([tfjs.inputDim, tfjs.hiddenDim, tfjs.outputDim, tfjs.activation.name], [2, 3, 1, 'relu']);
  });

  for (const name of INHERITED) {
    it(`'${name}' as an activation is unknown (text parser, safetensors metadata, JSON, TF.js/Keras config, ONNX op)`, async () => {
      assert.equal(parseActivation(name), null);
      await assertFails(loadModel(write(`${name}-meta.safetensors`, safetensors(twoLayer(), { activation: name }))), 'unsupported', `activation '${name}'`);
      await assertFails(loadModel(write(`${name}.json`, JSON.stringify({ W1, b1: B1, W2, b2: B2, activation: name }))), 'unsupported', `activation '${name}'`);
      const tfjs = await assertFails(loadModel(tfjsModel(`${name}-act`, { activation: name })), 'unsupported');
      assert.match(tfjs.message, new RegExp(`activation '?${name.replace(/_/g, '_')}'?`, 'i'));
      const onnx = await assertFails(loadModel(write(`${name}.onnx`, onnxModel(name))), 'unsupported');
      assert.match(onnx.message, new RegExp(name));
    });

    it(`'${name}' as a dtype, layer class or quantization is refused by name`, async () => {
      await assertFails(loadModel(write(`${name}-dtype.safetensors`, safetensors(twoLayer(name), null))), 'unsupported', `dtype ${name}`);
      const layer = await assertFails(loadModel(tfjsModel(`${name}-class`, { className: name })), 'unsupported');
      assert.match(layer.message, new RegExp(name));
      await assertFails(loadModel(tfjsModel(`${name}-quant`, { quantization: name })), 'unsupported', `quantization ${name}`);
    });
  }

  it('weights named both W1 and w1 are refused as ambiguous, not one silently picked', async () => {
    await assertFails(loadModel(write('both-w1.json', JSON.stringify({ W1, w1: W1, b1: B1, W2, b2: B2 }))), 'bad-input', "holds both 'W1' and 'w1': ambiguous");
  });

  it('metadata keys named __proto__ or constructor are plain keys', async () => {
    const header = safetensors(twoLayer(), { placehold: 'x', activation: 'relu' });
    const patched = new TextDecoder('latin1').decode(header).replace('"placehold":"x"', '"__proto__":"x"');
    assert.ok(patched.includes('"__proto__":"x"'));
    const model = await loadModel(write('proto-key.safetensors', Uint8Array.from(patched, (char) => char.charCodeAt(0))));
    assert.equal(model.activation.name, 'relu');
  });
});

/* ------------------------------------------------------------------ class 2 */

describe('class 2: only regular files are read', () => {
  const fifo = join(directory, 'pipe.safetensors');
  execFileSync('mkfifo', [fifo]);

  const cases: Array<[string, () => Promise<unknown>, ErrorCode, string]> = [
    ['a FIFO with no writer as the model (would block forever)', () => loadModel(fifo), 'bad-input', 'named pipe (FIFO), not a regular file'],
    ['/dev/zero as the model (would grow without end)', () => loadModel('/dev/zero'), 'bad-input', 'character device, not a regular file'],
    ['a directory as the data', () => loadDataset(directory), 'bad-input', 'directory'],
    ['a FIFO as the data', () => loadDataset(fifo), 'bad-input', 'named pipe (FIFO)'],
  ];
  for (const [label, run, code, fragment] of cases) {
    it(`refuses ${label}`, async () => {
      await assertFails(run, code, fragment);
    });
  }

  it('refuses TF.js shards that are a directory, a FIFO or a device', async () => {
    const asDirectory = tfjsModel('shard-dir');
    fs.rmSync(join(directory, 'shard-dir', 'group1-shard1of1.bin'));
    fs.mkdirSync(join(directory, 'shard-dir', 'group1-shard1of1.bin'));
    await assertFails(loadModel(asDirectory), 'bad-input', 'is a directory, not a regular file');
    const asFifo = tfjsModel('shard-fifo');
    fs.rmSync(join(directory, 'shard-fifo', 'group1-shard1of1.bin'));
    execFileSync('mkfifo', [join(directory, 'shard-fifo', 'group1-shard1of1.bin')]);
    await assertFails(loadModel(asFifo), 'bad-input', 'named pipe (FIFO), not a regular file');
  });

  it('caps the number of shards a TF.js manifest may name, before touching any', async () => {
    const file = tfjsModel('many-shards');
    const model = JSON.parse(fs.readFileSync(file, 'utf8'));
    model.weightsManifest[0].paths = Array.from({ length: 200_000 }, (_, index) => `missing-${index}.bin`);
    fs.writeFileSync(file, JSON.stringify(model));
    await assertFails(loadModel(file), 'bad-input', 'names more than 1000 weight shards');
  });
});

/* ------------------------------------------------------------------ class 4 */

describe('class 4: zero-size dtypes and unused .npz members', () => {
  for (const descr of ['<U0', '|S0']) {
    it(`refuses a ${descr} array of shape 10^15 without allocating`, async () => {
      const file = write(`zero-${descr.slice(1)}.npz`, zipSync({ 'X.npy': npy(descr, [1_000_000, 1_000_000_000]), 'y.npy': npy('<f8', [1], f8([1])) }, { level: 0 }));
      await assertFails(loadDataset(file), 'bad-input', `dtype '${descr}' has zero-size elements`);
      await assertFails(loadModel(file), 'bad-input', `dtype '${descr}' has zero-size elements`);
    });
  }

  it('the zero-member writer of this test makes valid DEFLATE (checked by inflating a small one)', async () => {
    const header = npy('<f8', [1250]);
    const inflated = inflateSync(deflateZeros(header, 10_000));
    assert.equal(inflated.length, header.length + 10_000);
    assert.deepEqual(inflated.subarray(0, header.length), header);
    assert.ok(inflated.subarray(header.length).every((byte) => byte === 0));
    const small = write('small-junk.npz', zipWithDeflatedZeros({ 'X.npy': npy('<f8', [2, 1], f8([1, 2])), 'y.npy': npy('<f8', [2], f8([3, 4])) }, 'junk.npy', header, 10_000));
    const data = await loadDataset(small);
    assert.deepEqual(Array.from(data.targets), [3, 4]);
  });

  it('never inflates an .npz member the model does not use (512 MiB of deflated zeros)', async () => {
    const size = 512 * 1024 * 1024;
    const junkHeader = npy('<f8', [(size - 128) / 8]);
    assert.equal(junkHeader.length, 128);
    const file = write('junk.npz', zipWithDeflatedZeros({
      'fc1.weight.npy': npy('<f8', [3, 2], f8(W1.flat())), 'fc1.bias.npy': npy('<f8', [3], f8(B1)),
      'fc2.weight.npy': npy('<f8', [1, 3], f8(W2.flat())), 'fc2.bias.npy': npy('<f8', [1], f8(B2)),
    }, 'junk.npy', junkHeader, size - junkHeader.length));
    assert.ok(fs.statSync(file).size < 8 * 1024 * 1024, 'the archive itself is small');
    const before = process.memoryUsage().arrayBuffers;
    const model = await loadModel(file);
    assert.deepEqual([model.inputDim, model.hiddenDim, model.outputDim], [2, 3, 1]);
    assert.match(model.source.notes.join('; '), /ignored tensors: junk/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 128 * 1024 * 1024, 'the 512 MiB member was not inflated');
  });

  it('checks a member\'s declared shape against its declared size before inflating it', async () => {
    const lying = npy('<f8', [1000, 1000], f8([1, 2, 3]));
    const file = write('lying.npz', zipSync({ 'X.npy': lying, 'y.npy': npy('<f8', [1000], f8([1])) }, { level: 6 }));
    await assertFails(loadDataset(file), 'bad-input', "array 'X'", '8000000 bytes');
  });
});
