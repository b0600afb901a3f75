/**
 * The validation study of the generalization prediction.
 *
 *   npm run validate                 full mode, results into docs/validation/
 *   npm run validate -- --small      the small mode CI runs (one easy task)
 *   options: --out DIR  --jobs N (worker processes, default 2)  --tasks i,j (indices into the mode's list)
 *            --render-only (re-summarize and redraw from DIR/results.json without training anything)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { FULL_MODE, SMALL_MODE, type StudyMode, type TaskResult, runTask, summarize } from './validation/study';
import { studyCharts, studyMarkdown } from './validation/render';
import { initBackend } from '../src/engine/compute/backend';

interface Args {
  mode: StudyMode;
  out: string;
  jobs: number;
  tasks: number[] | null;
  worker: string | null;
  renderOnly?: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string) => {
    const index = argv.indexOf(flag);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const mode = argv.includes('--small') ? SMALL_MODE : FULL_MODE;
  return {
    mode,
    out: resolve(value('--out') ?? (mode.name === 'small' ? join(tmpdir(), 'flatness-lens-validation-small') : 'docs/validation')),
    jobs: Math.max(1, Number(value('--jobs') ?? 2)),
    tasks: value('--tasks')?.split(',').map(Number) ?? null,
    worker: value('--worker') ?? null,
    renderOnly: argv.includes('--render-only'),
  };
}

async function runTasks(mode: StudyMode, indices: number[]): Promise<TaskResult[]> {
  await initBackend('wasm');
  const results: TaskResult[] = [];
  for (const index of indices) {
    const spec = mode.tasks[index]!;
    console.log(`task ${index + 1}/${mode.tasks.length}: ${spec.id}`);
    const result = await runTask(spec, mode, (line) => console.log(line));
    console.log(`  done in ${result.seconds.toFixed(0)} s`);
    results.push(result);
  }
  return results;
}

/** Runs the tasks in `jobs` child processes (the trainer is single-threaded JS). */
async function runInWorkers(args: Args, indices: number[]): Promise<TaskResult[]> {
  const jobs = Math.min(args.jobs, indices.length);
  if (jobs <= 1) return runTasks(args.mode, indices);
  const scratch = join(tmpdir(), `flatness-lens-validate-${process.pid}`);
  mkdirSync(scratch, { recursive: true });
  const shares = Array.from({ length: jobs }, (_, j) => indices.filter((_, k) => k % jobs === j));
  const outputs = await Promise.all(shares.map((share, j) => new Promise<TaskResult[]>((done, fail) => {
    const file = join(scratch, `part-${j}.json`);
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, ...(args.mode.name === 'small' ? ['--small'] : []), '--tasks', share.join(','), '--worker', file], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? done(JSON.parse(readFileSync(file, 'utf8')) as TaskResult[]) : fail(new Error(`worker ${j} exited with ${code}`))));
  })));
  rmSync(scratch, { recursive: true, force: true });
  const byId = new Map(outputs.flat().map((r) => [r.spec.id, r]));
  return indices.map((i) => byId.get(args.mode.tasks[i]!.id)!);
}

function writeOutputs(out: string, mode: StudyMode, results: TaskResult[], seconds: number): ReturnType<typeof summarize> {
  const summary = summarize(results, mode.name);
  mkdirSync(out, { recursive: true });
  const command = mode.name === 'small' ? 'npm run validate -- --small' : 'npm run validate';
  writeFileSync(join(out, 'results.json'), JSON.stringify({ summary, seconds, tasks: results }, null, 1) + '\n');
  writeFileSync(join(out, 'README.md'), studyMarkdown(results, summary, command, seconds));
  for (const [name, svg] of Object.entries(studyCharts(results, summary))) writeFileSync(join(out, name), svg + '\n');
  return summary;
}

export async function runStudy(args: Args): Promise<{ results: TaskResult[]; summary: ReturnType<typeof summarize> }> {
  if (args.renderOnly) {
    const stored = JSON.parse(readFileSync(join(args.out, 'results.json'), 'utf8')) as { seconds?: number; tasks: TaskResult[] };
    const seconds = stored.seconds ?? stored.tasks.reduce((sum, task) => sum + task.seconds, 0) / args.jobs;
    return { results: stored.tasks, summary: writeOutputs(args.out, args.mode, stored.tasks, seconds) };
  }
  const started = performance.now();
  const indices = args.tasks ?? args.mode.tasks.map((_, i) => i);
  const results = await runInWorkers(args, indices);
  const summary = writeOutputs(args.out, args.mode, results, (performance.now() - started) / 1000);
  return { results, summary };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) {
    const results = await runTasks(args.mode, args.tasks ?? args.mode.tasks.map((_, i) => i));
    writeFileSync(args.worker, JSON.stringify(results));
    return;
  }
  const { summary } = await runStudy(args);
  console.log(`\nwrote ${args.out}`);
  for (const goal of summary.goals) console.log(`${goal.met ? 'MET    ' : 'MISSED '} ${goal.name}: ${goal.measured} (target ${goal.target})`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
