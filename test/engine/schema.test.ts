/** The committed JSON Schemas are generated from src/shared/report.ts and must not drift from it. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

it('schema/*.schema.json equal what scripts/schema.mjs generates from src/shared/report.ts', () => {
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'schema.mjs'), '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr || run.stdout);
});
