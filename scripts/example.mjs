#!/usr/bin/env node
// The README's main job: analyses the bundled example's two interpolators with the built CLI,
// prints both reports and writes their JSON and HTML into out/example/.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const example = join('examples', 'multi-index');
const outDir = join('out', 'example');
mkdirSync(outDir, { recursive: true });
let failed = false;
for (const name of ['generalizing', 'memorizing']) {
  console.log(`\n=== ${name}.safetensors ${'='.repeat(60)}\n`);
  const result = spawnSync(process.execPath, [
    join('bin', 'flatness-lens.js'), 'analyze',
    '--model', join(example, `${name}.safetensors`),
    '--data', join(example, 'train.npz'),
    '--test', join(example, 'test.npz'),
    '--json', join(outDir, `${name}.json`),
    '--html', join(outDir, `${name}.html`),
    ...process.argv.slice(2),
  ], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
