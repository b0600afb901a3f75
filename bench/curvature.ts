/**
 * Curvature benchmark: what a Hessian-vector product costs next to the trace pass, on W1 (d 50,
 * m 512, n 4096, squared error) and W2 (d 784, m 1024, n 60000, 10 outputs, cross-entropy), per
 * backend (wasm and onnxruntime, each in its own process), and our Lanczos top eigenvalue against
 * PyHessian's method (power iteration on autograd HVPs, bench/torch_power_iteration.py) on the same
 * weights and data when python3 has torch. Everything in one run, so the ratios compare like with
 * like on a machine whose load changes; wall and process CPU time are both recorded.
 *   npx tsx bench/curvature.ts      writes bench/results/curvature.json
 * FLATNESS_BENCH_BACKENDS=wasm,onnxruntime picks the backends; FLATNESS_BENCH_PYTHON the interpreter;
 * FLATNESS_BENCH_TORCH_TIMEOUT_S (default 3600) stops a torch run, whose last iteration is then reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import type { BackendRequest } from '../src/shared/report';
import { initBackend } from '../src/engine/compute/backend';
import { evaluateLoss } from '../src/engine/compute/forward';
import { computeCurvatureSums } from '../src/engine/analysis/curvatureSums';
import { makeLossSpec } from '../src/engine/math/losses';
import { LossOperator } from '../src/engine/curvature/lossOperator';
import { computeSpectra } from '../src/engine/curvature/spectrum';
import { npyHeader } from '../src/engine/io/npy';
import { makeWorkload } from './workloads';
import { median } from './timing';

type WorkloadName = 'W1' | 'W2';

interface Timing { ms: number; cpuMs: number }

async function timed<T>(run: () => Promise<T>): Promise<Timing & { value: T }> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const value = await run();
  const cpu = process.cpuUsage(cpuStarted);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

async function medianOf(repetitions: number, run: () => Promise<unknown>): Promise<Timing> {
  const runs: Timing[] = [];
  for (let k = 0; k < repetitions; k++) runs.push(await timed(run));
  return { ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)) };
}

const ratio = (a: Timing, b: Timing) => ({ wall: a.ms / b.ms, cpu: a.cpuMs / b.cpuMs });

/** One workload on the process's backend: trace pass, forward pass, one HVP, a batch of HVPs, Lanczos. */
async function measure(name: WorkloadName, withLanczos: boolean) {
  const workload = makeWorkload(name);
  const { model, data } = workload;
  const loss = makeLossSpec(workload.loss, model.outputDim);
  // W2's passes take tens of seconds each on wasm: one timed run after the warm-up.
  const repetitions = name === 'W1' ? 5 : 1;
  const batch = name === 'W1' ? 8 : 4;

  await computeCurvatureSums(model, data, loss); // warm-up: sessions, kernels, first allocations
  const trace = await medianOf(repetitions, () => computeCurvatureSums(model, data, loss));
  const forward = await medianOf(repetitions, () => evaluateLoss(model, data, loss));

  const prepared = await timed(() => LossOperator.prepare(model, data, loss));
  const operator = prepared.value;
  const v = Float64Array.from({ length: operator.layout.size }, (_, i) => Math.sin(i + 1));
  await operator.hessianVectorProduct(v); // warm-up
  const hvp = await medianOf(repetitions, () => operator.hessianVectorProduct(v));
  const vectors = Array.from({ length: batch }, (_, b) => Float64Array.from(v, (x, i) => x + Math.cos(b * i)));
  const batched = await timed(() => operator.hessianVectorProducts(vectors));
  const perVector = { ms: batched.ms / batch, cpuMs: batched.cpuMs / batch };
  const kernel = operator.productKernel;
  operator.dispose();

  let lanczos = null;
  if (withLanczos) {
    // Top eigenvalue alone, as PyHessian's eigenvalues(top_n=1) gives it, from the raw model and data.
    const run = await timed(async () => {
      const fresh = await LossOperator.prepare(model, data, loss);
      try {
        const [result] = await computeSpectra(fresh, [{ scaling: null }], { topK: 1, bottomK: 0, probes: 1 });
        return result!.report;
      } finally {
        fresh.dispose();
      }
    });
    lanczos = {
      ms: run.ms, cpuMs: run.cpuMs, eigenvalue: run.value.top[0]!, residual: run.value.topResiduals[0]!,
      relativeResidual: run.value.topResiduals[0]! / Math.abs(run.value.top[0]!),
      lanczosSteps: run.value.lanczosSteps, hessianVectorProducts: run.value.hessianVectorProducts,
      tolerance: run.value.tolerance,
    };
  }

  return {
    workload: name,
    description: workload.description,
    productKernel: kernel,
    forwardPass: forward,
    tracePass: trace,
    prepare: { ms: prepared.ms, cpuMs: prepared.cpuMs },
    hessianVectorProduct: hvp,
    batchSize: batch,
    hessianVectorProductInBatch: perVector,
    hvpOverTrace: ratio(hvp, trace),
    batchedHvpOverTrace: ratio(perVector, trace),
    traceOverForward: ratio(trace, forward),
    hvpCoresBusy: hvp.cpuMs / hvp.ms,
    lanczos,
  };
}

async function child(backendRequest: BackendRequest, out: string, lanczosOnW2: boolean): Promise<void> {
  const backend = await initBackend(backendRequest);
  if (backend.name !== backendRequest) {
    writeFileSync(out, JSON.stringify({ backend: backendRequest, skipped: `initialized ${backend.name} instead (${backend.fallbacks.join('; ')})` }));
    return;
  }
  const workloads = [await measure('W1', true), await measure('W2', lanczosOnW2)];
  writeFileSync(out, JSON.stringify({ backend: backend.name, kernels: backend.kernels ?? null, threads: backend.threads ?? null, workloads }));
}

function writeNpy(path: string, values: Float32Array, shape: number[]): void {
  const header = npyHeader('<f4', shape);
  const bytes = new Uint8Array(header.length + values.byteLength);
  bytes.set(header);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), header.length);
  writeFileSync(path, bytes);
}

function findTorchPython(): { python: string; version: string } | string {
  const candidates = [process.env.FLATNESS_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
    if (probe.status === 0) return { python, version: probe.stdout.trim() };
  }
  return `no python3 with torch and numpy among ${candidates.join(', ')}`;
}

/** PyHessian's top-eigenvalue method on the workload's weights and data, timed in this run. */
function torchPowerIteration(name: WorkloadName, python: string): Record<string, unknown> {
  const { model, data, loss } = makeWorkload(name);
  const directory = mkdtempSync(join(os.tmpdir(), 'flatness-bench-'));
  try {
    const { inputDim: d, hiddenDim: m, outputDim: c } = model;
    writeNpy(join(directory, 'X.npy'), data.inputs, [data.n, d]);
    writeNpy(join(directory, 'y.npy'), data.targets, [data.n]);
    writeNpy(join(directory, 'W1.npy'), Float32Array.from(model.hiddenWeights), [m, d]);
    writeNpy(join(directory, 'b1.npy'), Float32Array.from(model.hiddenBias!), [m]);
    writeNpy(join(directory, 'W2.npy'), Float32Array.from(model.outputWeights), [c, m]);
    writeNpy(join(directory, 'b2.npy'), Float32Array.from(model.outputBias!), [c]);
    const timeoutMs = Number(process.env.FLATNESS_BENCH_TORCH_TIMEOUT_S ?? 3600) * 1000;
    const run = spawnSync(python, [join(__dirname, 'torch_power_iteration.py'), directory, loss === 'ce' ? 'ce' : 'mse'],
      { encoding: 'utf8', maxBuffer: 1 << 24, timeout: timeoutMs });
    const lastProgress = run.stderr.trim().split('\n').filter((line) => line.startsWith('{')).slice(-1)[0];
    if (run.error || run.status !== 0) {
      return {
        error: run.error ? `stopped after ${timeoutMs / 1000} s: ${run.error.message}` : (run.stderr || `exit ${run.status}`).trim().split('\n').slice(-1)[0],
        lastIteration: lastProgress ? JSON.parse(lastProgress) as unknown : null,
      };
    }
    return JSON.parse(run.stdout.trim().split('\n').slice(-1)[0]!) as Record<string, unknown>;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const childIndex = process.argv.indexOf('--child');
  if (childIndex >= 0) {
    await child(process.argv[childIndex + 1] as BackendRequest, process.argv[childIndex + 2]!, process.argv[childIndex + 3] === 'lanczos');
    return;
  }
  const backends = (process.env.FLATNESS_BENCH_BACKENDS ?? 'wasm,onnxruntime').split(',').map((x) => x.trim()).filter(Boolean);
  // W2's Lanczos runs on the last backend listed (the fastest one by default): it is the one compared with torch.
  const runs: unknown[] = [];
  const scratch = mkdtempSync(join(os.tmpdir(), 'flatness-bench-curvature-'));
  try {
    for (const [index, backend] of backends.entries()) {
      const out = join(scratch, `${backend}.json`);
      console.log(`## ${backend}`);
      const result = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', backend, out, index === backends.length - 1 ? 'lanczos' : ''],
        { stdio: ['ignore', 'inherit', 'inherit'] });
      if (result.status !== 0) throw new Error(`the ${backend} run failed (exit ${result.status})`);
      const parsed = JSON.parse(readFileSync(out, 'utf8')) as unknown;
      console.log(JSON.stringify(parsed, null, 2));
      runs.push(parsed);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const results = {
    createdAt: new Date().toISOString(),
    machine: `${os.cpus().length} cores, node ${process.version}`,
    loadAverageAtEnd: os.loadavg(),
    notes: [
      'hvpOverTrace: one Hessian-vector product over one trace pass (computeCurvatureSums), same process and backend (W1: medians of 5, W2: one timed run after a warm-up)',
      'batchedHvpOverTrace: a batch of batchSize products in one pass, per vector, over the trace pass',
      'lanczos: LossOperator.prepare plus Lanczos to the top eigenvalue (relative residual tolerance 1e-3); torchPowerIteration: PyHessian-style power iteration (maxIter 100, tol 1e-3 on the eigenvalue change, batches of 8192 rows) on the same weights and data, torch threads = cores',
      'ms is wall time, cpuMs the process CPU time (all threads): on a loaded machine compare the CPU figures too',
    ],
    backends: runs,
    torchPowerIteration: {} as Record<string, unknown>,
  };
  const directory = join(__dirname, 'results');
  mkdirSync(directory, { recursive: true });
  const save = () => {
    results.loadAverageAtEnd = os.loadavg();
    writeFileSync(join(directory, 'curvature.json'), JSON.stringify(results, null, 2) + '\n');
  };
  save();

  const found = findTorchPython();
  if (typeof found === 'string') {
    results.torchPowerIteration = { skipped: found };
  } else {
    results.torchPowerIteration = { version: found.version, python: found.python };
    for (const name of ['W1', 'W2'] as const) {
      console.log(`## torch ${found.version} power iteration on ${name}`);
      results.torchPowerIteration[name] = torchPowerIteration(name, found.python);
      console.log(JSON.stringify(results.torchPowerIteration[name], null, 2));
      save();
    }
  }
  save();
  console.log(`wrote ${join(directory, 'curvature.json')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
