/**
 * Engine benchmark (issue 2): exact trace vs one forward pass, vs a 100-probe Hutchinson estimate
 * built on the engine's own exact Hessian-vector product, and peak memory. Each workload runs in
 * its own process (`--workload W1|W2`) so that peak memory is the workload's own.
 *   npx tsx bench/flatness.ts            all workloads, writes bench/results/flatness.json
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWorkload } from './workloads';
import { median, time } from './timing';
import { initBackend } from '../src/engine/compute/backend';
import { evaluateLoss } from '../src/engine/compute/forward';
import { computeCurvatureSums } from '../src/engine/analysis/curvatureSums';
import { makeLossSpec } from '../src/engine/math/losses';
import { LossOperator } from '../src/engine/curvature/lossOperator';
import type { BackendRequest } from '../src/shared/report';

const HUTCHINSON_PROBES = 100;


function rademacher(size: number, seed: number): Float64Array {
  let state = seed >>> 0;
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state & 0x80000000 ? 1 : -1;
  }
  return out;
}

async function runWorkload(name: 'W1' | 'W2', backendRequest: BackendRequest) {
  const backend = await initBackend(backendRequest);
  const workload = makeWorkload(name);
  const loss = makeLossSpec(workload.loss, workload.model.outputDim);
  const repetitions = name === 'W1' ? 7 : 2;
  const forwardTimes: number[] = [];
  const traceTimes: number[] = [];
  let trace = 0;
  // Warm-up: kernel compilation and first allocations are not what we measure.
  await evaluateLoss(workload.model, workload.data, loss);
  await computeCurvatureSums(workload.model, workload.data, loss);
  for (let rep = 0; rep < repetitions; rep++) {
    forwardTimes.push(await time(() => evaluateLoss(workload.model, workload.data, loss)));
    traceTimes.push(await time(async () => {
      const sums = await computeCurvatureSums(workload.model, workload.data, loss);
      trace = Array.from(sums.neuronA).reduce((s, v) => s + v, 0) + Array.from(sums.neuronB).reduce((s, v) => s + v, 0)
        + Array.from(sums.neuronC).reduce((s, v) => s + v, 0) + sums.outputBiasTerm;
    }));
  }
  const forwardMs = median(forwardTimes);
  const traceMs = median(traceTimes);

  let hutchinson: Record<string, number> | null = null;
  if (name === 'W1') {
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
      relativeError: Math.abs(estimate - trace) / trace,
      exactTraceSpeedup: hutchinsonMs / traceMs,
    };
  }
  const usage = process.resourceUsage();
  return {
    workload: name,
    description: workload.description,
    backend: backend.name,
    adapter: backend.adapter ?? null,
    repetitions,
    forwardMs,
    traceMs,
    traceOverForward: traceMs / forwardMs,
    trace,
    hutchinson,
    dataMB: (workload.data.inputs.byteLength + workload.data.targets.byteLength) / 2 ** 20,
    peakRssMB: usage.maxRSS / 1024,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const workloadIndex = argv.indexOf('--workload');
  const backendIndex = argv.indexOf('--backend');
  const backend = (backendIndex >= 0 ? argv[backendIndex + 1] : 'wasm') as BackendRequest;
  if (workloadIndex >= 0) {
    const result = await runWorkload(argv[workloadIndex + 1] as 'W1' | 'W2', backend);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    return;
  }
  const results = [];
  for (const name of ['W1', 'W2']) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--workload', name, '--backend', backend], {
      encoding: 'utf8', maxBuffer: 1 << 24,
    });
    const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`workload ${name} failed:\n${child.stderr}`);
    const result = JSON.parse(line.slice(7));
    results.push(result);
    console.log(`${name} (${result.description}) on ${result.backend}: forward ${result.forwardMs.toFixed(1)} ms, exact trace ${result.traceMs.toFixed(1)} ms, ratio ${result.traceOverForward.toFixed(2)}; peak RSS ${result.peakRssMB.toFixed(0)} MB (data ${result.dataMB.toFixed(0)} MB)`);
    if (result.hutchinson) {
      const h = result.hutchinson;
      console.log(`   Hutchinson ${h.probes} probes: ${h.ms.toFixed(0)} ms, estimate ${h.estimate.toFixed(3)} vs exact ${result.trace.toFixed(3)} (error ${(h.relativeError * 100).toFixed(2)}%); exact trace ${h.exactTraceSpeedup.toFixed(0)}x faster`);
    }
  }
  const out = path.join(__dirname, 'results', 'flatness.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ createdAt: new Date().toISOString(), node: process.version, cpus: (await import('node:os')).cpus().length, results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

void main();
