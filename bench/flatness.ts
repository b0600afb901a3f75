/**
 * Engine benchmark (issues 2 and 14), per backend (wasm and onnxruntime) in one run: one forward
 * pass, the exact trace pass, the CLI's whole pass (trace, invariant diagonal, per-neuron
 * figures), their ratios at two n per workload, GFLOP/s and cores busy of the trace pass, peak
 * memory, and (wasm, W1) a 100-probe Hutchinson estimate on the engine's own Hessian-vector
 * product. Each (workload, backend) runs in its own process so that peak memory is its own.
 *   npx tsx bench/flatness.ts                         writes bench/results/flatness.json
 *   npx tsx bench/flatness.ts --backends wasm         one backend only
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeWorkload, type Workload } from './workloads';
import { median, time } from './timing';
import { initBackend } from '../src/engine/compute/backend';
import { evaluateLoss } from '../src/engine/compute/forward';
import { computeCurvatureSums } from '../src/engine/analysis/curvatureSums';
import { makeLossSpec } from '../src/engine/math/losses';
import { LossOperator } from '../src/engine/curvature/lossOperator';
import type { BackendRequest } from '../src/shared/report';

const HUTCHINSON_PROBES = 100;
/** n of each workload: the issue's n and a second one, to see whether the ratios drift with n. */
const SIZES: Record<'W1' | 'W2', number[]> = { W1: [4096, 16384], W2: [60000, 15000] };

function rademacher(size: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state & 0x80000000 ? 1 : -1;
  }
  return out;
}

/** Wall time and CPU time (all threads) of one run. */
async function measured(run: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const ms = await time(run);
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

async function passes(workload: Workload, repetitions: number) {
  const loss = makeLossSpec(workload.loss, workload.model.outputDim);
  const { model, data } = workload;
  // Warm-up: kernel compilation, sessions and first allocations are not what we measure.
  await evaluateLoss(model, data, loss);
  await computeCurvatureSums(model, data, loss);
  await computeCurvatureSums(model, data, loss, { withInvariantDiagonal: true });
  const forward: number[] = [];
  const trace: number[] = [];
  const cli: number[] = [];
  // CPU time (all threads) of each pass: ratios that hold on a machine loaded by other jobs.
  const forwardCpu: number[] = [];
  const traceCpu: number[] = [];
  const cliCpu: number[] = [];
  let traceCpuMs = 0;
  let traceWallMs = 0;
  let traceValue = 0;
  for (let rep = 0; rep < repetitions; rep++) {
    const forwarded = await measured(() => evaluateLoss(model, data, loss));
    forward.push(forwarded.ms);
    forwardCpu.push(forwarded.cpuMs);
    const traced = await measured(async () => {
      const sums = await computeCurvatureSums(model, data, loss);
      traceValue = [sums.neuronA, sums.neuronB, sums.neuronC].reduce((s, v) => s + v.reduce((a, b) => a + b, 0), 0) + sums.outputBiasTerm;
    });
    trace.push(traced.ms);
    traceCpu.push(traced.cpuMs);
    traceCpuMs += traced.cpuMs;
    traceWallMs += traced.ms;
    const passed = await measured(() => computeCurvatureSums(model, data, loss, { withInvariantDiagonal: true }));
    cli.push(passed.ms);
    cliCpu.push(passed.cpuMs);
  }
  const { n } = data;
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const forwardMs = median(forward);
  const traceMs = median(trace);
  const cliMs = median(cli);
  // The forward pass's products, X W^T and sigma(Z) A^T: the dense work the trace pass cannot avoid.
  const forwardFlops = 2 * n * m * (d + c);
  return {
    n,
    description: workload.description,
    forwardMs,
    traceMs,
    cliPassMs: cliMs,
    traceOverForward: traceMs / forwardMs,
    cliPassOverForward: cliMs / forwardMs,
    forwardCpuMs: median(forwardCpu),
    traceOverForwardCpu: median(traceCpu) / median(forwardCpu),
    cliPassOverForwardCpu: median(cliCpu) / median(forwardCpu),
    forwardGflops: forwardFlops / forwardMs / 1e6,
    traceGflops: forwardFlops / traceMs / 1e6,
    traceCoresBusy: traceCpuMs / traceWallMs,
    traceGflopsPerCore: (forwardFlops * repetitions) / traceCpuMs / 1e6,
    trace: traceValue,
  };
}

async function runWorkload(name: 'W1' | 'W2', backendRequest: BackendRequest) {
  const backend = await initBackend(backendRequest);
  const repetitions = name === 'W1' ? 15 : 2;
  const sizes = [];
  for (const n of SIZES[name]) sizes.push(await passes(makeWorkload(name, n), repetitions));

  let hutchinson: Record<string, number> | null = null;
  if (name === 'W1' && backend.name === 'wasm') {
    const workload = makeWorkload(name);
    const loss = makeLossSpec(workload.loss, workload.model.outputDim);
    let estimate = 0;
    const hutchinsonMs = await time(async () => {
      const operator = await LossOperator.prepare(workload.model, workload.data, loss);
      let sum = 0;
      for (let probe = 0; probe < HUTCHINSON_PROBES; probe++) {
        const v = rademacher(operator.layout.size, probe + 1);
        const hv = await operator.hessianVectorProduct(v);
        let dot = 0;
        for (let p = 0; p < v.length; p++) dot += v[p]! * hv[p]!;
        sum += dot;
      }
      estimate = sum / HUTCHINSON_PROBES;
      operator.dispose();
    });
    hutchinson = {
      probes: HUTCHINSON_PROBES,
      ms: hutchinsonMs,
      estimate,
      relativeError: Math.abs(estimate - sizes[0]!.trace) / sizes[0]!.trace,
      exactTraceSpeedup: hutchinsonMs / sizes[0]!.traceMs,
    };
  }
  const main = sizes[0]!;
  return {
    workload: name,
    description: main.description,
    backend: backend.name,
    kernels: backend.kernels ?? null,
    threads: backend.threads ?? null,
    lanes: backend.lanes ?? null,
    adapter: backend.adapter ?? null,
    repetitions,
    forwardMs: main.forwardMs,
    traceMs: main.traceMs,
    cliPassMs: main.cliPassMs,
    traceOverForward: main.traceOverForward,
    cliPassOverForward: main.cliPassOverForward,
    traceOverForwardCpu: main.traceOverForwardCpu,
    cliPassOverForwardCpu: main.cliPassOverForwardCpu,
    traceGflops: main.traceGflops,
    traceCoresBusy: main.traceCoresBusy,
    traceGflopsPerCore: main.traceGflopsPerCore,
    trace: main.trace,
    sizes,
    hutchinson,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const option = (name: string) => { const k = argv.indexOf(name); return k >= 0 ? argv[k + 1] : undefined; };
  const workload = option('--workload');
  if (workload) {
    const result = await runWorkload(workload as 'W1' | 'W2', (option('--backend') ?? 'wasm') as BackendRequest);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    return;
  }
  const backends = (option('--backends') ?? option('--backend') ?? 'wasm,onnxruntime').split(',');
  const results = [];
  for (const name of ['W1', 'W2']) {
    for (const backend of backends) {
      const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--workload', name, '--backend', backend], {
        encoding: 'utf8', maxBuffer: 1 << 24,
      });
      const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`workload ${name} on ${backend} failed:\n${child.stderr}`);
      const result = JSON.parse(line.slice(7));
      results.push(result);
      console.log(`${name} on ${result.backend} (${result.kernels}, ${result.threads} thread(s)${result.lanes ? `, ${result.lanes} session threads` : ''}):`);
      for (const size of result.sizes) {
        console.log(`   n ${size.n}: forward ${size.forwardMs.toFixed(0)} ms (${size.forwardGflops.toFixed(1)} GFLOP/s), trace ${size.traceMs.toFixed(0)} ms (x${size.traceOverForward.toFixed(2)}, ${size.traceGflops.toFixed(1)} GFLOP/s, ${size.traceCoresBusy.toFixed(2)} cores, ${size.traceGflopsPerCore.toFixed(1)} GFLOP per CPU-s), CLI pass ${size.cliPassMs.toFixed(0)} ms (x${size.cliPassOverForward.toFixed(2)}); in CPU time trace x${size.traceOverForwardCpu.toFixed(2)}, CLI pass x${size.cliPassOverForwardCpu.toFixed(2)}`);
      }
      console.log(`   peak RSS ${result.peakRssMB.toFixed(0)} MB`);
      if (result.hutchinson) {
        const h = result.hutchinson;
        console.log(`   Hutchinson ${h.probes} probes: ${h.ms.toFixed(0)} ms, estimate ${h.estimate.toFixed(3)} vs exact ${result.trace.toFixed(3)} (error ${(h.relativeError * 100).toFixed(2)}%); exact trace ${h.exactTraceSpeedup.toFixed(0)}x faster`);
      }
    }
  }
  const out = path.join(__dirname, 'results', 'flatness.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const definitions = {
    traceGflops: '2 n m (d + c) (the forward pass\'s products) over the trace pass\'s wall time',
    traceCoresBusy: 'process CPU time (all threads) over wall time during the trace passes',
    traceGflopsPerCore: 'the same flops over the CPU time of the trace passes (per-core speed, whatever else loads the machine)',
    cliPass: 'the trace pass with the invariant diagonal and per-neuron figures, as the CLI runs it',
    overForwardCpu: 'the same ratios in process CPU time (all threads), which hold on a machine loaded by other jobs',
  };
  fs.writeFileSync(out, `${JSON.stringify({ createdAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), definitions, results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

void main();
