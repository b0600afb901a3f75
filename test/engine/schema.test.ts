/** Generated files (the report JSON Schemas, the ONNX message subset) must not drift from their sources. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

it('schema/*.schema.json equal what scripts/schema.mjs generates from src/shared/report.ts', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'schema.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr || run.stdout);
});

it('the ONNX reader\'s message subset equals what scripts/onnx-subset.mjs generates from third_party/onnx/onnx.proto', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'onnx-subset.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr || run.stdout);
});
