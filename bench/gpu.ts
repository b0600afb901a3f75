/**
 * GPU benchmark (issue 12): which adapter `auto` finds and why it is or is not used; then, per
 * workload, the exact trace over one forward pass and the full report time on the webgpu backend
 * beside the wasm backend, in the same run. W1 and W2 run only on a hardware adapter; on a
 * software adapter (SwiftShader, llvmpipe) a small workload shows the path works and how slow a
 * CPU implementation of WebGPU is. Each (workload, backend) runs in its own process.
 *   npx tsx bench/gpu.ts            writes bench/results/gpu.json
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWorkload, type Workload } from './workloads';
import { median, time } from './timing';
import { initBackend } from '../src/engine/compute/backend';
import { evaluateLoss } from '../src/engine/compute/forward';
import { computeCurvatureSums } from '../src/engine/analysis/curvatureSums';
import { analyzeLoaded } from '../src/engine/analysis/analyzeLoaded';
import { makeLossSpec } from '../src/engine/math/losses';
import { backendLabel } from '../src/shared/backendLabel';
import type { BackendRequest } from '../src/shared/report';

type WorkloadName = 'W1' | 'W2' | 'S';

/** S: small enough for a software adapter (d 50, m 64, n 1024, ReLU, squared error). */
function workload(name: WorkloadName): Workload {
  if (name !== 'S') return makeWorkload(name);
  const w1 = makeWorkload('W1');
  const d = 50;
  const m = 64;
  const n = 1024;
  return {
    ...w1,
    name: 'S',
    description: 'd 50, m 64, n 1024, ReLU, squared error',
    model: { ...w1.model, hiddenDim: m, hiddenWeights: w1.model.hiddenWeights.slice(0, m * d), hiddenBias: w1.model.hiddenBias!.slice(0, m), outputWeights: w1.model.outputWeights.slice(0, m) },
    data: { ...w1.data, n, inputs: w1.data.inputs.slice(0, n * d), targets: w1.data.targets.slice(0, n) },
  };
}


async function measure(name: WorkloadName, request: BackendRequest) {
  const backend = await initBackend(request);
  const { model, data, loss: lossKind, description } = workload(name);
  const loss = makeLossSpec(lossKind, model.outputDim);
  const repetitions = name === 'W2' ? 2 : 5;
  // Warm-up: shader compilation and first allocations are not what we measure.
  await evaluateLoss(model, data, loss);
  await computeCurvatureSums(model, data, loss);
  const forward: number[] = [];
  const trace: number[] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    forward.push(await time(() => evaluateLoss(model, data, loss)));
    trace.push(await time(() => computeCurvatureSums(model, data, loss)));
  }
  let traceValue = 0;
  const reportMs = await time(async () => {
    const report = await analyzeLoaded(model, data, { backend: request, loss: lossKind });
    traceValue = report.flatness.trace;
  });
  const forwardMs = median(forward);
  const traceMs = median(trace);
  return {
    workload: name, description, backend: backend.name, label: backendLabel(backend), adapter: backend.adapter ?? null,
    chunkRows: backend.name === 'webgpu' ? 'device' : 'wasm default', repetitions,
    forwardMs, traceMs, traceOverForward: traceMs / forwardMs, reportMs, trace: traceValue,
  };
}

async function probe() {
  const info = await initBackend('auto');
  return { chosen: info.name, label: backendLabel(info), adapter: info.adapter ?? null, fallbacks: info.fallbacks };
}

function child(args: string[]): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = result.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`bench/gpu.ts ${args.join(' ')} failed:\n${result.stderr}`);
  return JSON.parse(line.slice(7)) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--probe') {
    process.stdout.write(`RESULT ${JSON.stringify(await probe())}\n`);
    return;
  }
  if (argv[0] === '--measure') {
    process.stdout.write(`RESULT ${JSON.stringify(await measure(argv[1] as WorkloadName, argv[2] as BackendRequest))}\n`);
    return;
  }
  const found = child(['--probe']);
  console.log(`auto chose ${String(found.label)}${(found.fallbacks as string[]).length ? `; skipped: ${(found.fallbacks as string[]).join('; ')}` : ''}`);
  const hardware = found.chosen === 'webgpu';
  // Without a hardware adapter, force webgpu onto whatever adapter exists (software) for the small workload.
  const forced = hardware ? null : (() => {
    try {
      return child(['--measure', 'S', 'webgpu']);
    } catch (error) {
      console.log(`no WebGPU adapter at all: ${(error as Error).message.split('\n')[0]}`);
      return null;
    }
  })();
  const names: WorkloadName[] = hardware ? ['W1', 'W2'] : forced ? ['S'] : [];
  const results: Record<string, unknown>[] = [];
  for (const name of names) {
    const gpu = name === 'S' && forced ? forced : child(['--measure', name, 'webgpu']);
    const wasm = child(['--measure', name, 'wasm']);
    for (const result of [gpu, wasm]) {
      results.push(result);
      console.log(`${name} on ${String(result.label)}: forward ${(result.forwardMs as number).toFixed(1)} ms, exact trace ${(result.traceMs as number).toFixed(1)} ms (${(result.traceOverForward as number).toFixed(2)} forward passes), full report ${(result.reportMs as number).toFixed(0)} ms`);
    }
    console.log(`   webgpu / wasm: trace ${((gpu.traceMs as number) / (wasm.traceMs as number)).toFixed(2)}x the time, report ${((gpu.reportMs as number) / (wasm.reportMs as number)).toFixed(2)}x; traces ${String(gpu.trace)} vs ${String(wasm.trace)}`);
  }
  const out = path.join(__dirname, 'results', 'gpu.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ createdAt: new Date().toISOString(), node: process.version, auto: found, hardwareAdapter: hardware, results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

void main();
