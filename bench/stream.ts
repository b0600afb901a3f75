/**
 * Data larger than memory (issue 14, item 2): float32 .npy pairs of n = 0.5M, 2M and 6M rows
 * (d = 50; the 6M inputs file is 1.2 GB) are written in chunks to a temporary folder, analyzed by
 * the CLI in a child process (core analysis, then --spectrum) with an m = 256 ReLU model, and
 * deleted. Each run records the child's peak RSS (process.resourceUsage().maxRSS at exit) and wall
 * time; the trace is checked against a float64 reference computed here, streaming over the same
 * file.
 *
 *   npx tsx bench/stream.ts [--sizes 500000,2000000,6000000] [--no-spectrum] [--spectrum-max-rows N]
 *                           [--full-spectrum] [--backend auto] [--no-reference] [--out stream.json]
 *
 * The spectrum runs the CLI's analysis with a short Lanczos run (bench/streamChild.ts: the top
 * eigenvalue, at most 4 Lanczos steps) unless --full-spectrum runs `analyze --spectrum` itself (hours at 6M rows).
 *
 * Writes bench/results/stream.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { npyHeader } from '../src/engine/io/npy';
import { foundNetworkToSafetensors } from '../src/engine/save/safetensors';
import { SeededRandom } from '../src/engine/math/random';
import type { FoundNetwork, Report } from '../src/shared/report';
import type { AnalyzeRequest } from '../src/shared/analysisRequest';

const root = path.resolve(__dirname, '..');
const D = 50;
const M = 256;
const WRITE_ROWS = 65536;
const RSS_GOAL_MB = 600;

const argv = process.argv.slice(2);
const sizesArgument = argv.includes('--sizes') ? argv[argv.indexOf('--sizes') + 1] : undefined;
const sizes = sizesArgument ? sizesArgument.split(',').map(Number) : [500_000, 2_000_000, 6_000_000];
const withSpectrum = !argv.includes('--no-spectrum');
const fullSpectrum = argv.includes('--full-spectrum');
const withReference = !argv.includes('--no-reference');
const outName = argv.includes('--out') ? argv[argv.indexOf('--out') + 1]! : 'stream.json';
/** The spectrum runs only for n up to this (a short spectrum at 6M rows takes about an hour on a busy 2-core machine). */
const spectrumMaxRows = argv.includes('--spectrum-max-rows') ? Number(argv[argv.indexOf('--spectrum-max-rows') + 1]) : Infinity;
const backend = argv.includes('--backend') ? argv[argv.indexOf('--backend') + 1]! : 'auto';

/** The model, its parameters rounded to float32 as the safetensors file stores them. */
function makeNetwork(): FoundNetwork {
  const random = new SeededRandom(2026);
  const round = (values: Float64Array) => Array.from(values, Math.fround);
  return {
    inputDim: D, hiddenDim: M, outputDim: 1, activation: 'relu',
    hiddenWeights: round(random.normals(M * D, 1 / Math.sqrt(D))),
    hiddenBias: round(random.normals(M, 0.1)),
    outputWeights: round(random.normals(M, 1 / Math.sqrt(M))),
    outputBias: [Math.fround(0.05)],
  };
}

/** Writes X (n x d) and y (n) as float32 .npy files, WRITE_ROWS rows at a time. */
function writePair(folder: string, n: number): { inputs: string; targets: string } {
  const inputs = path.join(folder, 'stream_X.npy');
  const targets = path.join(folder, 'stream_y.npy');
  const random = new SeededRandom(n);
  const x = fs.openSync(inputs, 'w');
  const y = fs.openSync(targets, 'w');
  try {
    fs.writeSync(x, npyHeader('<f4', [n, D]));
    fs.writeSync(y, npyHeader('<f4', [n]));
    for (let start = 0; start < n; start += WRITE_ROWS) {
      const rows = Math.min(WRITE_ROWS, n - start);
      const chunk = new Float32Array(rows * D);
      for (let i = 0; i < chunk.length; i++) chunk[i] = random.normal();
      const labels = new Float32Array(rows);
      for (let r = 0; r < rows; r++) labels[r] = Math.sin(chunk[r * D]!) + 0.1 * random.normal();
      fs.writeSync(x, new Uint8Array(chunk.buffer));
      fs.writeSync(y, new Uint8Array(labels.buffer));
    }
  } finally {
    fs.closeSync(x);
    fs.closeSync(y);
  }
  return { inputs, targets };
}

/**
 * The exact trace of the squared-error loss mean (f - y)^2 of a ReLU network in float64:
 * (2/n) sum_i [sum_j sigma(z_ij)^2 + sum_j a_j^2 1[z_ij > 0] (||x_i||^2 + 1) + 1], read from the
 * inputs file in chunks of rows.
 */
function referenceTrace(file: string, n: number, network: FoundNetwork): number {
  const { hiddenWeights: w, hiddenBias, outputWeights: a } = network;
  const weights = Float64Array.from(w);
  const bias = Float64Array.from(hiddenBias!);
  const outputSquared = Float64Array.from(a, (value) => value * value);
  const headerLength = npyHeader('<f4', [n, D]).length;
  const handle = fs.openSync(file, 'r');
  const rowsPerRead = 16384;
  const bytes = new Uint8Array(rowsPerRead * D * 4);
  let total = 0;
  try {
    for (let start = 0; start < n; start += rowsPerRead) {
      const rows = Math.min(rowsPerRead, n - start);
      const length = rows * D * 4;
      let read = 0;
      while (read < length) read += fs.readSync(handle, bytes, read, length - read, headerLength + start * D * 4 + read);
      const x = new Float32Array(bytes.buffer, 0, rows * D);
      for (let r = 0; r < rows; r++) {
        let norm = 1;
        for (let l = 0; l < D; l++) norm += x[r * D + l]! ** 2;
        let sample = 1;
        for (let j = 0; j < M; j++) {
          let z = bias[j]!;
          for (let l = 0; l < D; l++) z += weights[j * D + l]! * x[r * D + l]!;
          if (z > 0) sample += z * z + outputSquared[j]! * norm;
        }
        total += sample;
      }
    }
  } finally {
    fs.closeSync(handle);
  }
  return (2 * total) / n;
}

interface ChildRun {
  peakRssMb: number;
  wallMs: number;
  report: Report;
}

/**
 * One run in a child process, the CLI (`analyze`) or bench/streamChild.ts (the same analysis with a
 * short spectrum); its peak RSS comes from a preload that records maxRSS at exit.
 */
function runChild(command: string[], folder: string, label: string, json: string): ChildRun {
  const rssFile = path.join(folder, `${label}.rss`);
  const probe = path.join(folder, 'rss-probe.cjs');
  fs.writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`);
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--require', probe, ...command], {
    cwd: root, encoding: 'utf8', env: { ...process.env, FLATNESS_LENS_FROM_SOURCE: '1', NO_COLOR: '1' },
  });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${label}: exit ${result.status}: ${result.stderr}`);
  const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
  return { peakRssMb: Number(fs.readFileSync(rssFile, 'utf8')) / 1024, wallMs, report };
}

function runCli(args: string[], folder: string, label: string): ChildRun {
  const json = path.join(folder, `${label}.json`);
  return runChild([path.join(root, 'bin', 'flatness-lens.js'), 'analyze', ...args, '--json', json, '--quiet'], folder, label, json);
}

function runShortSpectrum(request: AnalyzeRequest, folder: string, label: string): ChildRun {
  const json = path.join(folder, `${label}.json`);
  return runChild(['--import', 'tsx', path.join(root, 'bench', 'streamChild.ts'), JSON.stringify(request), json], folder, label, json);
}

interface StreamRun {
  n: number;
  core: { peakRssMb: number; [figure: string]: number };
  spectrum: { peakRssMb: number; [figure: string]: number | boolean | null } | null;
  relativeError: number;
}

function writeResults(rows: StreamRun[]): { peaks: number[]; allUnderGoal: boolean; traceWithin1e6: boolean | null } {
  const peaks = rows.flatMap((row) => [row.core.peakRssMb, ...(row.spectrum ? [row.spectrum.peakRssMb] : [])]);
  const results = {
    description: 'CLI analyze (core, then the spectrum) on float32 .npy pairs streamed from disk; d 50, m 256, ReLU, squared error; peak RSS of the child process',
    machine: { cpus: os.cpus().length, totalMemoryMb: Math.round(os.totalmem() / 1024 ** 2), loadAverage: os.loadavg().map((value) => Number(value.toFixed(1))) },
    spectrum: fullSpectrum ? 'analyze --spectrum' : 'the analysis with a short spectrum (top eigenvalue, at most 4 Lanczos steps; bench/streamChild.ts)',
    spectrumMaxRows: Number.isFinite(spectrumMaxRows) ? spectrumMaxRows : null,
    rssGoalMb: RSS_GOAL_MB,
    allUnderGoal: peaks.every((peak) => peak < RSS_GOAL_MB),
    traceWithin1e6: withReference ? rows.every((row) => row.relativeError <= 1e-6) : null,
    runs: rows,
  };
  fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench', 'results', path.basename(outName)), `${JSON.stringify(results, null, 2)}\n`);
  return { peaks, allUnderGoal: results.allUnderGoal, traceWithin1e6: results.traceWithin1e6 };
}

async function main(): Promise<void> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-stream-bench-'));
  const network = makeNetwork();
  const model = path.join(folder, 'model.safetensors');
  fs.writeFileSync(model, foundNetworkToSafetensors(network));
  const rows: Array<StreamRun & Record<string, unknown>> = [];
  try {
    for (const n of sizes) {
      const written = performance.now();
      const { inputs } = writePair(folder, n);
      const fileBytes = fs.statSync(inputs).size;
      console.log(`n = ${n}: wrote ${(fileBytes / 1024 ** 3).toFixed(2)} GiB in ${((performance.now() - written) / 1000).toFixed(1)} s`);
      const base = ['--model', model, '--data', inputs, '--backend', backend];
      const core = runCli(base, folder, `core-${n}`);
      console.log(`  core:     peak RSS ${core.peakRssMb.toFixed(0)} MB, ${(core.wallMs / 1000).toFixed(1)} s`);
      const spectrum = withSpectrum && n <= spectrumMaxRows
        ? (fullSpectrum
          ? runCli([...base, '--spectrum'], folder, `spectrum-${n}`)
          : runShortSpectrum({ modelPath: model, dataPath: inputs, backend: backend as AnalyzeRequest['backend'], sections: { spectrum: true } }, folder, `spectrum-${n}`))
        : null;
      if (spectrum) console.log(`  spectrum: peak RSS ${spectrum.peakRssMb.toFixed(0)} MB, ${(spectrum.wallMs / 1000).toFixed(1)} s`);
      const referenceStarted = performance.now();
      const reference = withReference ? referenceTrace(inputs, n, network) : Number.NaN;
      const trace = core.report.flatness.trace;
      const relativeError = withReference ? Math.abs(trace - reference) / Math.abs(reference) : Number.NaN;
      console.log(`  trace ${trace} vs float64 reference ${reference}: relative error ${relativeError.toExponential(2)} (reference ${((performance.now() - referenceStarted) / 1000).toFixed(1)} s)`);
      rows.push({
        n, d: D, m: M, inputFileBytes: fileBytes,
        streamed: core.report.data.notes.some((note) => note.startsWith('streamed from disk')),
        core: { peakRssMb: Math.round(core.peakRssMb), wallMs: Math.round(core.wallMs), flatnessMs: Math.round(core.report.timings.flatnessMs) },
        spectrum: spectrum ? {
          peakRssMb: Math.round(spectrum.peakRssMb), wallMs: Math.round(spectrum.wallMs),
          spectrumMs: Math.round(spectrum.report.timings.spectrumMs ?? 0), topEigenvalue: spectrum.report.spectrum?.top[0] ?? null,
          lanczosSteps: spectrum.report.spectrum?.lanczosSteps ?? null, full: fullSpectrum,
        } : null,
        trace, referenceTrace: reference, relativeError,
        backend: `${core.report.backend.name}`,
      });
      fs.rmSync(path.join(folder, 'stream_X.npy'));
      fs.rmSync(path.join(folder, 'stream_y.npy'));
      writeResults(rows); // after every size, so a long run leaves the sizes it finished
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  const results = writeResults(rows);
  console.log(`peak RSS ${results.peaks.join(', ')} MB (goal < ${RSS_GOAL_MB} MB at every n): ${results.allUnderGoal ? 'met' : 'NOT met'}; trace within 1e-6: ${results.traceWithin1e6}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
