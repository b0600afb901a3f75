/**
 * Trajectory benchmark (issue 15): `trajectory` over the example run's 13 checkpoints against
 * the separate analyses it replaces, in one process (analyzeFiles per checkpoint, backend already
 * initialised, so only the shared data loading differs) and as command lines (one `trajectory`
 * process against one `analyze` process per checkpoint).
 *   npx tsx bench/trajectory.ts          writes bench/results/trajectory.json
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeFiles } from '../src/engine/analyze';
import { initBackend } from '../src/engine/compute/backend';
import { analyzeTrajectory } from '../src/engine/trajectory/run';
import { listCheckpoints } from '../src/engine/trajectory/checkpointFiles';

const root = path.resolve(__dirname, '..');
const example = path.join(root, 'examples', 'multi-index');
const folder = path.join(example, 'checkpoints');
const data = path.join(example, 'train.npz');
const test = path.join(example, 'test.npz');
const ROUNDS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function inProcess(): Promise<{ separateMs: number; trajectoryMs: number }> {
  await initBackend('wasm');
  const files = listCheckpoints([folder]).map((f) => f.path);
  const separate: number[] = [];
  const together: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    for (const file of files) await analyzeFiles({ modelPath: file, dataPath: data, testDataPath: test, backend: 'wasm' });
    separate.push(performance.now() - started);
    started = performance.now();
    await analyzeTrajectory({ checkpoints: [folder], dataPath: data, testDataPath: test, backend: 'wasm' });
    together.push(performance.now() - started);
  }
  return { separateMs: median(separate), trajectoryMs: median(together) };
}

function commandLines(): { separateMs: number; trajectoryMs: number; runner: string } {
  const bundled = fs.existsSync(path.join(root, 'dist', 'cli.js'));
  const runner = bundled ? 'dist/cli.js (bundle)' : 'bin/flatness-lens.js through tsx (no build)';
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), ...args, '--backend', 'wasm', '--quiet'], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`flatness-lens ${args[0]} failed: ${result.stderr}`);
  };
  const files = listCheckpoints([folder]).map((f) => f.path);
  let started = performance.now();
  for (const file of files) cli('analyze', '--model', file, '--data', data, '--test', test);
  const separateMs = performance.now() - started;
  started = performance.now();
  cli('trajectory', '--data', data, '--test', test, folder);
  return { separateMs, trajectoryMs: performance.now() - started, runner };
}

async function main(): Promise<void> {
  const checkpoints = listCheckpoints([folder]).length;
  const local = await inProcess();
  const processes = commandLines();
  const results = {
    checkpoints,
    inProcess: { ...local, ratio: local.separateMs / local.trajectoryMs },
    commandLines: { ...processes, ratio: processes.separateMs / processes.trajectoryMs },
    note: 'ratio = separate analyses / trajectory (> 1: the trajectory is faster); in-process figures are medians of 3 rounds',
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', 'trajectory.json'), `${JSON.stringify(results, null, 2)}\n`);
  const ms = (v: number) => `${Math.round(v)} ms`;
  console.log(`trajectory over ${checkpoints} checkpoints of examples/multi-index/checkpoints (train + test data)`);
  console.log(`  in one process:  ${checkpoints} x analyze ${ms(local.separateMs)}  vs  trajectory ${ms(local.trajectoryMs)}  -> ${results.inProcess.ratio.toFixed(2)}x`);
  console.log(`  command lines:   ${checkpoints} x analyze ${ms(processes.separateMs)}  vs  trajectory ${ms(processes.trajectoryMs)}  -> ${results.commandLines.ratio.toFixed(2)}x  (${processes.runner})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
