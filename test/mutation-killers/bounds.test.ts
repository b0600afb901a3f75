/**
 * Bounds checks that a plausible off-by-one would break silently: every truncation of a pickle is
 * refused as truncated (never a raw TypeError), and the zip size limit is cumulative over the
 * entries read, not per entry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { PickleDict, PickleTuple, unpickle } from '../../src/engine/load/layers/pickle';
import { openZip, readZipEntries } from '../../src/engine/io/zip';
import { FlatnessLensError } from '../../src/engine/errors';

const options = { storages: ['FloatStorage'] };

/** Protocol 2: PROTO 2, EMPTY_DICT, BINPUT 0, BINUNICODE 'weight', BININT1 7, SETITEM, STOP. */
const dictPickle = Uint8Array.from([
  0x80, 0x02, 0x7d, 0x71, 0x00,
  0x58, 0x06, 0x00, 0x00, 0x00, ...Buffer.from('weight'),
  0x4b, 0x07, 0x73, 0x2e,
]);

/** Protocol 4 with 8-byte lengths: SHORT_BINUNICODE, BINUNICODE8, BINFLOAT, TUPLE2 ... */
const widePickle = Uint8Array.from([
  0x80, 0x04, 0x95, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // FRAME 32
  0x8c, 0x03, ...Buffer.from('abc'),                                 // SHORT_BINUNICODE
  0x8d, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, ...Buffer.from('de'), // BINUNICODE8
  0x47, 0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,              // BINFLOAT 1.5
  0x87, 0x2e,                                                        // TUPLE3, STOP
]);

function refusal(bytes: Uint8Array): FlatnessLensError {
  try {
    unpickle(bytes, 'model.pt', options);
  } catch (error) {
    assert.ok(error instanceof FlatnessLensError, `a ${bytes.length}-byte prefix threw ${String(error)}`);
    return error;
  }
  assert.fail(`a ${bytes.length}-byte prefix was accepted`);
}

describe('pickle reader bounds', () => {
  test('the whole pickles parse to their values', () => {
    const dict = unpickle(dictPickle, 'model.pt', options);
    assert.ok(dict instanceof PickleDict);
    assert.deepEqual([...dict.entries], [['weight', 7]]);
    const tuple = unpickle(widePickle, 'model.pt', options);
    assert.ok(tuple instanceof PickleTuple);
    assert.deepEqual(tuple.items, ['abc', 'de', 1.5]);
  });

  for (const [name, bytes] of [['dict', dictPickle], ['protocol 4', widePickle]] as const) {
    test(`every strict prefix of the ${name} pickle is refused as bad input naming the file`, () => {
      for (let length = 0; length < bytes.length; length++) {
        const error = refusal(bytes.subarray(0, length));
        assert.equal(error.code, 'bad-input', `prefix ${length}: ${error.message}`);
        assert.match(error.message, /model\.pt|pickle/);
      }
    });
  }

  test('a string one byte shorter than its declared length is truncated, at the exact boundary', () => {
    const exact = Uint8Array.from([0x80, 0x02, 0x58, 0x03, 0x00, 0x00, 0x00, ...Buffer.from('abc'), 0x2e]);
    assert.equal(unpickle(exact, 'model.pt', options), 'abc');
    const short = Uint8Array.from([0x80, 0x02, 0x58, 0x04, 0x00, 0x00, 0x00, ...Buffer.from('abc')]);
    assert.match(refusal(short).message, /truncated/);
    const noStop = Uint8Array.from([0x80, 0x02, 0x58, 0x03, 0x00, 0x00, 0x00, ...Buffer.from('abc')]);
    assert.match(refusal(noStop).message, /truncated/);
  });
});

const u = (...bytes: (number | string)[]) => Uint8Array.from(bytes.flatMap((b) => typeof b === 'string' ? [...Buffer.from(b)] : [b]));

describe('pickle reader: every reader of lengths and lines', () => {
  // PROTO 2, MARK, BININT2 0x1234, BININT -2 (little-endian), FLOAT '1.5', UNICODE 'hi', LONG '12L', empty BINUNICODE, TUPLE, STOP
  const mixed = u(0x80, 0x02, 0x28, 0x4d, 0x34, 0x12, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x46, '1.5\n', 0x56, 'hi\n', 0x4c, '12L\n',
    0x58, 0, 0, 0, 0, 0x74, 0x2e);

  test('two-byte, four-byte, text and empty values parse exactly', () => {
    const value = unpickle(mixed, 'model.pt', options);
    assert.ok(value instanceof PickleTuple);
    assert.deepEqual(value.items, [0x1234, -2, 1.5, 'hi', 12, '']);
  });

  test('every strict prefix of it is refused as truncated', () => {
    for (let length = 0; length < mixed.length; length++) {
      const error = refusal(mixed.subarray(0, length));
      assert.equal(error.code, 'bad-input');
      assert.match(error.message, /the pickle is truncated/, `prefix ${length}`);
    }
  });

  test('an 8-byte length beyond 2^53 is impossible; one just below is truncated', () => {
    assert.match(refusal(u(0x80, 0x04, 0x8d, 0, 0, 0, 0, 0, 0, 0x20, 0, 0x2e)).message, /impossible length/);
    assert.match(refusal(u(0x80, 0x04, 0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0, 0x2e)).message, /truncated/);
  });

  test('STOP on an empty stack and TUPLE without a mark are corrupt', () => {
    assert.match(refusal(u(0x80, 0x02, 0x2e)).message, /stack underflow/);
    assert.match(refusal(u(0x80, 0x02, 0x74, 0x2e)).message, /mark/);
  });

  test('the operation limit counts opcodes', () => {
    const fourOps = u(0x80, 0x02, 0x4b, 0x01, 0x30, 0x4b, 0x02, 0x2e); // PROTO, BININT1, POP, BININT1, STOP
    assert.equal(unpickle(fourOps, 'model.pt', { ...options, maxOps: 5 }), 2);
    assert.match(refusal2(fourOps, 4).message, /operation limit/);
  });
});

function refusal2(bytes: Uint8Array, maxOps: number): FlatnessLensError {
  try {
    unpickle(bytes, 'model.pt', { ...options, maxOps });
  } catch (error) {
    assert.ok(error instanceof FlatnessLensError, String(error));
    return error;
  }
  assert.fail('accepted');
}

describe('zip cumulative size limit', () => {
  const a = new Uint8Array(600).fill(1);
  const b = new Uint8Array(600).fill(2);
  const bytes = zipSync({ 'a.npy': a, 'b.npy': b });

  test('two entries each under the limit but together over it are refused when read together', () => {
    assert.throws(() => readZipEntries(bytes, 'two.npz', { maxTotalBytes: 1000 }),
      (error: unknown) => error instanceof FlatnessLensError && error.code === 'too-large' && /1200 uncompressed bytes/.test(error.message) && /1000/.test(error.message));
    const archive = openZip(bytes, 'two.npz', { maxTotalBytes: 1000 });
    assert.deepEqual(archive.read('a.npy'), a);
    assert.throws(() => archive.read('b.npy'),
      (error: unknown) => error instanceof FlatnessLensError && error.code === 'too-large' && /1200 uncompressed bytes \(at 'b\.npy'\)/.test(error.message));
  });

  test('readZipEntries refuses on the declared sizes before inflating anything (a corrupt first entry is never reached)', () => {
    const stored = zipSync({ 'a.npy': a, 'b.npy': b }, { level: 0 });
    const corrupt = stored.slice();
    const at = corrupt.indexOf(1); // the first byte of a.npy's stored data
    corrupt[at] = 9;
    assert.throws(() => readZipEntries(corrupt, 'two.npz', { maxTotalBytes: 1000 }),
      (error: unknown) => error instanceof FlatnessLensError && error.code === 'too-large');
    assert.throws(() => readZipEntries(corrupt, 'two.npz'), (error: unknown) => error instanceof FlatnessLensError && error.code !== 'too-large');
  });

  test('a missing entry is bad input naming it; head reads the first bytes only', () => {
    const archive = openZip(bytes, 'two.npz');
    assert.throws(() => archive.read('c.npy'), (error: unknown) => error instanceof FlatnessLensError && /zip archive has no entry 'c\.npy'/.test(error.message));
    assert.deepEqual(archive.head('b.npy', 4), b.subarray(0, 4));
    assert.deepEqual(archive.entries.map((entry) => entry.name), ['a.npy', 'b.npy']);
  });

  test('at exactly the limit both entries are read', () => {
    const entries = readZipEntries(bytes, 'two.npz', { maxTotalBytes: 1200 });
    assert.deepEqual(entries.get('b.npy'), b);
    const archive = openZip(bytes, 'two.npz', { maxTotalBytes: 1200 });
    archive.read('a.npy');
    assert.deepEqual(archive.read('b.npy'), b);
  });
});
