#!/usr/bin/env node
// `npm run bench`: every benchmark, one after another (each writes bench/results/<name>.json).
// Run it on a quiet machine: the figures are ratios measured within one run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const benches = ['bench/kernels.ts', 'bench/flatness.ts', 'bench/curvature.ts', 'bench/trajectory.ts', 'bench/gpu.ts', 'bench/stream.ts', 'bench/optional.ts'].filter((file) => existsSync(file));
let failed = false;
for (const file of benches) {
  console.log(`\n## ${file}\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', file, ...process.argv.slice(2)], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
