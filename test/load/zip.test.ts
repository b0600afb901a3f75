import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { listZipEntries, readZipEntries } from '../../src/engine/io/zip';
import { assertFails, fixture } from './helpers';

function bytesOf(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixture(relative)));
}

describe('readZipEntries', () => {
  it('reads the STORED entries numpy savez writes (ZIP64 local headers)', () => {
    const entries = readZipEntries(bytesOf('models/w_math.npz'), 'w_math.npz');
    assert.deepEqual([...entries.keys()].sort(), ['W1.npy', 'W2.npy', 'activation.npy', 'b1.npy', 'b2.npy']);
    const w1 = entries.get('W1.npy')!;
    assert.deepEqual(Array.from(w1.subarray(0, 6)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
    assert.ok(listZipEntries(bytesOf('models/w_math.npz'), 'w_math.npz').every((entry) => entry.method === 0));
  });

  it('inflates the DEFLATE entries of savez_compressed', () => {
    const bytes = bytesOf('models/torch_names_compressed.npz');
    assert.ok(listZipEntries(bytes, 'c.npz').every((entry) => entry.method === 8));
    const entries = readZipEntries(bytes, 'c.npz');
    assert.ok(entries.has('fc1.weight.npy'));
    assert.deepEqual(Array.from(entries.get('fc2.bias.npy')!.subarray(0, 6)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  });

  it('round-trips an archive written by fflate', () => {
    const payload = new TextEncoder().encode('hello '.repeat(1000));
    const archive = zipSync({ 'a/b.txt': payload, 'c.bin': [new Uint8Array([1, 2, 3]), { level: 0 }] });
    const entries = readZipEntries(archive, 'made.zip');
    assert.deepEqual(entries.get('a/b.txt'), payload);
    assert.deepEqual(Array.from(entries.get('c.bin')!), [1, 2, 3]);
  });

  it('checks declared sizes against the limits before inflating', async () => {
    const bytes = bytesOf('broken/bomb.npz'); // 39 KB on disk, two 20 MB entries declared
    assert.ok(bytes.length < 100_000);
    await assertFails(() => readZipEntries(bytes, 'bomb.npz', { maxTotalBytes: 1_000_000 }), 'too-large', 'bomb.npz', '20000128 uncompressed bytes', "'X.npy'");
    await assertFails(() => readZipEntries(bytes, 'bomb.npz', { maxEntries: 1 }), 'too-large', 'bomb.npz', '2 entries');
    assert.equal(readZipEntries(bytes, 'bomb.npz').get('y.npy')!.length, 20_000_128);
  });

  it('refuses entry names with .. or absolute paths', async () => {
    await assertFails(() => readZipEntries(bytesOf('broken/zipslip.npz'), 'zipslip.npz'), 'bad-input', 'zipslip.npz', "'../evil.npy'");
    for (const name of ['/etc/passwd', 'a/../../b', 'C:/x', 'a\\..\\b']) {
      const archive = zipSync({ [name]: new Uint8Array([1]) });
      await assertFails(() => readZipEntries(archive, 'evil.zip'), 'bad-input', 'evil.zip', 'refusing');
    }
  });

  it('detects corrupt data with the CRC-32', async () => {
    const archive = zipSync({ 'x.bin': [new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { level: 0 }] });
    archive[30 + 'x.bin'.length + 2]! ^= 0xff; // a data byte of the stored entry
    await assertFails(() => readZipEntries(archive, 'corrupt.zip'), 'bad-input', 'corrupt.zip', 'CRC-32');
  });

  it('reports a truncated archive and non-zip bytes', async () => {
    await assertFails(() => readZipEntries(bytesOf('broken/truncated.npz'), 'truncated.npz'), 'bad-input', 'truncated.npz', 'end-of-central-directory');
    await assertFails(() => readZipEntries(new Uint8Array(100), 'zeros.bin'), 'bad-input', 'zeros.bin', 'not a zip archive');
  });
});
