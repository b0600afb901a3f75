/**
 * Fuzzes each parser directly, not through a CRC-checked container (fuzz.test.ts goes through the
 * loaders, where most variants of a .pt or .npz stop at the zip CRC): the pickle inside a .pt, .npy,
 * safetensors, ONNX, Keras HDF5 and TF.js model.json. Fixed seed; every variant must end in a result
 * or a FlatnessLensError, never another exception. A corpus of variants that once failed (the
 * truncated pickle that threw a raw TypeError) runs first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import { FlatnessLensError } from '../../src/engine/errors';
import { FLOAT_STORAGES, unpickle } from '../../src/engine/load/layers/pickle';
import { parseNpy } from '../../src/engine/io/npy';
import { parseSafetensors } from '../../src/engine/io/safetensors';
import { loadOnnx } from '../../src/engine/load/layers/onnx';
import { loadKerasH5 } from '../../src/engine/load/layers/kerasH5';
import { loadTfjsLayers } from '../../src/engine/load/layers/tfjsLayers';
import { prng } from './helpers';

const fixtures = join(__dirname, '..', 'fixtures');
const formats = join(fixtures, 'formats', 'generated');

/** Byte-level mutations that keep most of the structure, so the parser gets past its first checks. */
function variants(source: Uint8Array, count: number, seed: number): Uint8Array[] {
  const bytes = new Uint8Array(source); // a plain copy: Buffer.slice would share the file's bytes
  const random = prng(seed);
  const at = (length: number) => Math.floor(random() * length);
  const result: Uint8Array[] = [];
  for (let v = 0; v < count; v++) {
    const copy = bytes.slice();
    switch (v % 5) {
      case 0: result.push(copy.subarray(0, at(copy.length))); break; // truncate
      case 1: { const i = at(copy.length); copy[i] = copy[i]! ^ (1 << at(8)); result.push(copy); break; } // flip one bit
      case 2: { // an extreme value in a likely length or count field
        const position = at(Math.max(1, copy.length - 4));
        const value = [0xff, 0x00, 0x7f, 0x80][at(4)]!;
        for (let i = 0; i < 4 && position + i < copy.length; i++) copy[position + i] = value;
        result.push(copy);
        break;
      }
      case 3: { // drop a slice
        const start = at(copy.length);
        const end = Math.min(copy.length, start + 1 + at(16));
        result.push(Uint8Array.from([...copy.subarray(0, start), ...copy.subarray(end)]));
        break;
      }
      default: for (let k = 0; k < 3; k++) copy[at(copy.length)] = at(256); result.push(copy); // random bytes
    }
  }
  return result;
}

/** Runs the parser on every variant; returns how many different refusals it gave. */
async function fuzz(name: string, inputs: Uint8Array[], parse: (bytes: Uint8Array) => unknown): Promise<{ refusals: Set<string>; accepted: number }> {
  const refusals = new Set<string>();
  let accepted = 0;
  for (const [index, bytes] of inputs.entries()) {
    try {
      await parse(bytes);
      accepted++;
    } catch (error) {
      assert.ok(error instanceof FlatnessLensError, `${name} variant ${index} (${bytes.length} bytes) threw ${error instanceof Error ? error.stack : String(error)}`);
      refusals.add(error.message.replace(/\d+/g, 'N'));
    }
  }
  return { refusals, accepted };
}

const pickleOf = (pt: string) => {
  const entries = unzipSync(readFileSync(join(formats, 'pytorch', pt)));
  const name = Object.keys(entries).find((entry) => entry.endsWith('data.pkl'))!;
  return entries[name]!;
};
const options = { storages: FLOAT_STORAGES, maxOps: 100_000 };

describe('direct fuzzing of each parser (fixed seed)', () => {
  it('pickle: the corpus of variants that once failed, then 400 variants of two torch.save pickles', async () => {
    const corpus = [
      Uint8Array.from([0x80, 0x02, 0x58, 0x04, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63]), // string one byte short: raw TypeError before
      Uint8Array.from([0x80, 0x02, 0x58, 0x03, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63]), // no STOP after an exact string
      Uint8Array.from([0x80, 0x02, 0x74, 0x2e]), // TUPLE without MARK
      Uint8Array.from([0x80, 0x02, 0x2e]), // STOP on an empty stack
    ];
    const corpusRun = await fuzz('pickle corpus', corpus, (bytes) => unpickle(bytes, 'model.pt', options));
    assert.equal(corpusRun.accepted, 0);
    const inputs = [...variants(pickleOf('fc_tanh.pt'), 200, 11), ...variants(pickleOf('checkpoint.pt'), 200, 12)];
    const run = await fuzz('pickle', inputs, (bytes) => unpickle(bytes, 'model.pt', options));
    // Reaching the reader means its own checks answer: several different refusals, not one gate.
    assert.ok(run.refusals.size >= 5, `distinct refusals: ${[...run.refusals].join(' | ')}`);
  });

  it('npy: 300 variants of three arrays', async () => {
    const inputs = ['f8_le.npy', 'fortran_2d.npy', 'version2.npy'].flatMap((file, k) =>
      variants(readFileSync(join(fixtures, 'generated', 'npy', file)), 100, 20 + k));
    const run = await fuzz('npy', inputs, (bytes) => parseNpy(bytes, 'array.npy'));
    assert.ok(run.refusals.size >= 4, `distinct refusals: ${[...run.refusals].join(' | ')}`);
  });

  it('safetensors: 300 variants', async () => {
    const inputs = ['fc_tanh_pt.safetensors', 'fc_tanh_bf16_pt.safetensors'].flatMap((file, k) =>
      variants(readFileSync(join(formats, 'safetensors', file)), 150, 30 + k));
    const run = await fuzz('safetensors', inputs, (bytes) => parseSafetensors(bytes, 'model.safetensors'));
    assert.ok(run.refusals.size >= 4, `distinct refusals: ${[...run.refusals].join(' | ')}`);
  });

  it('ONNX: 300 variants of two graphs', async () => {
    const inputs = ['gemm_relu.onnx', 'matmul_add_sigmoid.onnx'].flatMap((file, k) =>
      variants(readFileSync(join(formats, 'onnx', file)), 150, 40 + k));
    const run = await fuzz('onnx', inputs, (bytes) => loadOnnx(bytes, 'model.onnx', {}));
    assert.ok(run.refusals.size >= 4, `distinct refusals: ${[...run.refusals].join(' | ')}`);
  });

  it('TF.js model.json: 200 variants against the real weight shards', async () => {
    const path = join(formats, 'tfjs', 'float16_model', 'model.json');
    const inputs = variants(readFileSync(path), 200, 50);
    const run = await fuzz('tfjs', inputs, (bytes) => loadTfjsLayers(bytes, path, {}));
    assert.ok(run.refusals.size >= 3, `distinct refusals: ${[...run.refusals].join(' | ')}`);
  });

  it('Keras HDF5: 30 variants, each under the time budget', async () => {
    const inputs = variants(readFileSync(join(formats, 'h5', 'functional_fixed_strings.h5')), 30, 60);
    const run = await fuzz('hdf5', inputs, (bytes) => loadKerasH5(bytes, 'model.h5', { hdf5BudgetMs: 3000 }));
    assert.ok(run.refusals.size >= 2, `distinct refusals: ${[...run.refusals].join(' | ')}`);
  });
});
