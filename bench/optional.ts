/**
 * Optional analyses benchmark (issue 14, item 5): what `analyze --all` spends on the spectrum,
 * adaptive sharpness, the landscapes and the prediction, on W1 and W2, in one run on one backend
 * (wasm unless FLATNESS_BENCH_BACKEND says otherwise). W1: the core pass alone, each optional
 * analysis alone (their CPU time is the run's minus the core's) and --all. W2: --all only, cut off
 * after W2_CAP_MS (a cut-off run is recorded as not finished). Wall time depends on how busy the
 * machine is; CPU time (all threads) and the load average are recorded beside it.
 *   npx tsx bench/optional.ts            writes bench/results/optional.json
 *   npx tsx bench/optional.ts --w1-only  skips W2
 *   npx tsx bench/optional.ts --out optional-onnxruntime.json   another file in bench/results
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import type { BackendRequest, Report } from '../src/shared/report';
import type { SectionSwitches } from '../src/engine/analysis/sections';
import { initBackend } from '../src/engine/compute/backend';
import { analyzeLoaded } from '../src/engine/analysis/analyzeLoaded';
import { CancelledError } from '../src/engine/errors';
import { makeWorkload, type Workload } from './workloads';

const W1_GOAL_MS = 20_000;
const W2_GOAL_MS = 300_000;
const W2_CAP_MS = Number(process.env.FLATNESS_BENCH_W2_CAP_MS ?? 900_000);
const SECTION_TIMINGS = ['flatnessMs', 'spectrumMs', 'sharpnessMs', 'landscapeMs', 'predictionMs', 'totalMs'] as const;

interface Run {
  sections: string;
  finished: boolean;
  wallMs: number;
  cpuMs: number;
  timings: Partial<Record<(typeof SECTION_TIMINGS)[number], number>>;
  /** Wall time per progress stage (from the progress callbacks): where a cut-off run spent its time. */
  stagesMs: Record<string, number>;
  lastStage: string | null;
  warnings: string[];
}

async function run(workload: Workload, backend: BackendRequest, sections: SectionSwitches, capMs: number): Promise<Run> {
  const controller = new AbortController();
  const timer = Number.isFinite(capMs) ? setTimeout(() => controller.abort(), capMs) : undefined;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let report: Report | null = null;
  const stagesMs: Record<string, number> = {};
  let lastStage: string | null = null;
  let lastAt = started;
  const onProgress = (stage: string): void => {
    const now = performance.now();
    if (lastStage !== null) stagesMs[lastStage] = (stagesMs[lastStage] ?? 0) + now - lastAt;
    lastStage = stage;
    lastAt = now;
  };
  try {
    report = await analyzeLoaded(workload.model, workload.data, { backend, loss: workload.loss, sections }, { signal: controller.signal, onProgress });
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
  } finally {
    clearTimeout(timer);
  }
  const wallMs = performance.now() - started;
  if (lastStage !== null) stagesMs[lastStage] = (stagesMs[lastStage] ?? 0) + started + wallMs - lastAt;
  const used = process.cpuUsage(cpu);
  const timings: Run['timings'] = {};
  for (const key of SECTION_TIMINGS) if (report?.timings[key] !== undefined) timings[key] = report.timings[key];
  const names = Object.entries(sections).filter(([, on]) => on).map(([name]) => name);
  return {
    sections: names.length === 4 ? 'all' : names.length === 0 ? 'core' : names.join(','),
    finished: report !== null, wallMs, cpuMs: (used.user + used.system) / 1000, timings, stagesMs, lastStage, warnings: report?.warnings ?? [],
  };
}

function show(name: string, result: Run): void {
  const timings = Object.entries(result.timings).map(([key, ms]) => `${key.replace(/Ms$/, '')} ${(ms / 1000).toFixed(1)}`).join(', ');
  console.log(`  ${name} ${result.sections}: ${result.finished ? '' : `NOT FINISHED (in stage ${result.lastStage}), `}wall ${(result.wallMs / 1000).toFixed(1)} s, cpu ${(result.cpuMs / 1000).toFixed(1)} s (${timings})`);
}

async function main(): Promise<void> {
  const backendName = (process.env.FLATNESS_BENCH_BACKEND ?? 'wasm') as BackendRequest;
  const backend = await initBackend(backendName);
  const loadAtStart = os.loadavg();
  const all: SectionSwitches = { spectrum: true, sharpness: true, landscape: true, predict: true };

  const w1 = makeWorkload('W1');
  // Warm-up: the first run pays for compiling the kernels.
  await run(w1, backendName, {}, Infinity);
  const w1Runs: Run[] = [];
  for (const sections of [{}, { spectrum: true }, { sharpness: true }, { landscape: true }, { predict: true }, all] as SectionSwitches[]) {
    const result = await run(w1, backendName, sections, Infinity);
    show('W1', result);
    w1Runs.push(result);
  }
  const core = w1Runs[0]!;
  const w1All = w1Runs[w1Runs.length - 1]!;
  const sectionCpuMs = Object.fromEntries(w1Runs.slice(1, -1).map((result) => [result.sections, result.cpuMs - core.cpuMs]));

  let w2: Run | null = null;
  if (!process.argv.includes('--w1-only')) {
    w2 = await run(makeWorkload('W2'), backendName, all, W2_CAP_MS);
    show('W2', w2);
  }

  const results = {
    workloads: { W1: w1.description, W2: makeWorkload('W2').description },
    backend: backend.name,
    machine: `${os.cpus().length} cores, node ${process.version}`,
    loadAverage: { atStart: loadAtStart, atEnd: os.loadavg() },
    note: 'wall and CPU time (all threads) per run; per-section CPU time is the run with that section alone minus the core-only run',
    W1: {
      coreOnly: core,
      sectionsAlone: w1Runs.slice(1, -1),
      sectionCpuMs,
      all: w1All,
      goalMs: W1_GOAL_MS,
      allWithinGoal: { wall: w1All.wallMs <= W1_GOAL_MS, cpu: w1All.cpuMs <= W1_GOAL_MS },
    },
    W2: w2 ? { all: w2, capMs: W2_CAP_MS, goalMs: W2_GOAL_MS, allWithinGoal: { wall: w2.finished && w2.wallMs <= W2_GOAL_MS, cpu: w2.finished && w2.cpuMs <= W2_GOAL_MS } } : null,
  };
  const directory = join(__dirname, 'results');
  mkdirSync(directory, { recursive: true });
  const outIndex = process.argv.indexOf('--out');
  writeFileSync(join(directory, outIndex >= 0 ? process.argv[outIndex + 1]! : 'optional.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`W1 --all: wall ${(w1All.wallMs / 1000).toFixed(1)} s, cpu ${(w1All.cpuMs / 1000).toFixed(1)} s (goal ${W1_GOAL_MS / 1000} s)`);
  if (w2) console.log(`W2 --all: ${w2.finished ? '' : 'not finished, '}wall ${(w2.wallMs / 1000).toFixed(1)} s, cpu ${(w2.cpuMs / 1000).toFixed(1)} s (goal ${W2_GOAL_MS / 1000} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
