import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseNpy, parseNpyString, readNpyHeader } from '../../src/engine/io/npy';
import { halfToNumber as halfToFloat } from '../../src/engine/io/float16';
import { assertFails, fixture, reference } from './helpers';

function bytesOf(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixture(relative)));
}

describe('parseNpy on files written by numpy', () => {
  for (const [file, expected] of Object.entries(reference.npy)) {
    it(`reads ${file} (${expected.descr}, shape [${expected.shape.join(', ')}])`, () => {
      const tensor = parseNpy(bytesOf(file), file);
      assert.deepEqual(tensor.shape, expected.shape);
      assert.equal(tensor.dtype, expected.descr);
      assert.deepEqual(Array.from(tensor.data), expected.values);
    });
  }

  it('covers every dtype and layout the loader promises', () => {
    const descrs = new Set(Object.values(reference.npy).map((entry) => entry.descr));
    for (const descr of ['<f4', '<f8', '<f2', '>f4', '>f8', '>f2', '|i1', '<i2', '>i4', '<i8', '|u1', '<u2', '>u4', '<u8', '|b1']) {
      assert.ok(descrs.has(descr), descr);
    }
    assert.equal(readNpyHeader(bytesOf('npy/fortran_3d_be.npy'), 'f').fortranOrder, true);
    assert.equal(bytesOf('npy/version2.npy')[6], 2);
    assert.equal(bytesOf('npy/version3.npy')[6], 3);
  });

  it('reads a 0-d string array (np.savez(activation="relu"))', () => {
    assert.equal(parseNpyString(bytesOf('npy/strings.npy'), 's.npy'), 'relu');
    assert.equal(parseNpyString(bytesOf('npy/f8_le.npy'), 'f.npy'), null);
  });

  it('converts half floats, including subnormals and infinities', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  });
});

describe('parseNpy errors', () => {
  it('checks the declared size against the bytes before allocating', async () => {
    await assertFails(() => parseNpy(bytesOf('npy/truncated.npy'), 'truncated.npy'), 'bad-input', 'truncated.npy', 'declares shape [2, 3] of <f8 (48 bytes) but only 43 bytes');
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 1000), }";
    const padded = header.padEnd(118, ' ') + '\n';
    const bytes = new Uint8Array(10 + padded.length);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
    bytes.set(new TextEncoder().encode(padded), 10);
    await assertFails(() => parseNpy(bytes, 'huge.npy', 'X'), 'bad-input', 'huge.npy', "array 'X'", 'shape [100000000000, 1000]');
  });

  it('refuses complex, string and structured arrays', async () => {
    await assertFails(() => parseNpy(bytesOf('npy/complex.npy'), 'complex.npy'), 'unsupported', "dtype '<c16'");
    await assertFails(() => parseNpy(bytesOf('npy/strings.npy'), 'strings.npy', 'activation'), 'bad-input', "array 'activation'", 'strings');
  });

  it('refuses bytes without the magic', async () => {
    await assertFails(() => parseNpy(new TextEncoder().encode('hello world'), 'x.npy'), 'bad-input', 'x.npy', 'magic');
  });
});
