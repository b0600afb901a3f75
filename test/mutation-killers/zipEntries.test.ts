// Known answers for openZip's entry table: directory entries are skipped, and two entries of one
// name are refused (a reader would otherwise pick one silently).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { openZip } from '../../src/engine/io/zip';
import { FlatnessLensError } from '../../src/engine/errors';

test('directory entries are not listed as files, and their files are still read', () => {
  const bytes = zipSync({ 'arrays/': new Uint8Array(0), 'arrays/x.npy': new Uint8Array([1, 2, 3]) }, { level: 0 });
  const archive = openZip(bytes, 'nested.npz');
  assert.deepEqual(archive.entries.map((entry) => entry.name), ['arrays/x.npy']);
  assert.deepEqual([...archive.read('arrays/x.npy')], [1, 2, 3]);
});

test('two entries of one name are refused, naming the file and the entry', () => {
  const bytes = zipSync({ 'a.npy': new Uint8Array([1]), 'b.npy': new Uint8Array([2]) }, { level: 0 });
  // Rename every 'b.npy' (local header and central directory) to 'a.npy': same length, CRCs unchanged.
  const renamed = Uint8Array.from(bytes);
  const from = new TextEncoder().encode('b.npy');
  let replaced = 0;
  for (let i = 0; i + from.length <= renamed.length; i++) {
    if (from.every((byte, k) => renamed[i + k] === byte)) { renamed[i] = 'a'.charCodeAt(0); replaced++; }
  }
  assert.equal(replaced, 2, 'the name appears in the local header and in the central directory');
  assert.throws(() => openZip(renamed, 'twice.npz'), (error: unknown) => {
    assert.ok(error instanceof FlatnessLensError);
    assert.match(error.message, /two entries named 'a\.npy'/);
    assert.equal(error.file, 'twice.npz');
    return true;
  });
});
