/**
 * Curvature benchmark on W1 (d 50, m 512, n 4096, ReLU, squared error; random Gaussian data and
 * random network), all on one backend (wasm unless FLATNESS_BENCH_BACKEND says otherwise).
 * Run: npx tsx bench/curvature.ts   Writes bench/results/curvature.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendRequest } from '../src/shared/report';
import { initBackend } from '../src/engine/compute/backend';
import { forEachPreactivationChunk } from '../src/engine/compute/preactivations';
import { makeLossSpec } from '../src/engine/math/losses';
import { analyzeLoaded } from '../src/engine/analysis/analyzeLoaded';
import { LossOperator } from '../src/engine/curvature/lossOperator';
import { computeSpectra } from '../src/engine/curvature/spectrum';
import { computeLandscape } from '../src/engine/curvature/landscape';
import { setCurvatureSettings } from '../src/engine/curvature/section';
import { makeWorkload } from './workloads';

/** PyHessian defaults (Yao et al. 2020, pyhessian/hessian.py): power iteration maxIter 100 per eigenvalue, Hutchinson maxIter 100, SLQ iter 100 x n_v 1. */
const PYHESSIAN = { eigenvalueMaxIterPerEigenvalue: 100, traceProbes: 100, densitySteps: 100, densityProbes: 1 };

/** Wall time, and process CPU time (the backend is single-threaded: on a busy machine CPU time is the better guide). */
async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const value = await run();
  const cpu = process.cpuUsage(cpuStarted);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const backendName = (process.env.FLATNESS_BENCH_BACKEND ?? 'wasm') as BackendRequest;
  const backend = await initBackend(backendName);
  const { model, data } = makeWorkload('W1');
  const loss = makeLossSpec('mse', 1);

  const forwardTimes: number[] = [];
  const forwardCpu: number[] = [];
  for (let k = 0; k < 7; k++) {
    const run = await timed(() => forEachPreactivationChunk(model, data, () => {}));
    forwardTimes.push(run.ms);
    forwardCpu.push(run.cpuMs);
  }
  const forwardMs = median(forwardTimes.slice(2));
  const forwardCpuMs = median(forwardCpu.slice(2));

  // Top-5 eigenvalues alone (no density, no canonical view).
  const topRuns: Array<{ ms: number; cpuMs: number; steps: number; products: number; top: number[]; residuals: number[] }> = [];
  for (let k = 0; k < 2; k++) {
    const { ms, cpuMs, value } = await timed(async () => {
      const operator = await LossOperator.prepare(model, data, loss);
      try {
        const [result] = await computeSpectra(operator, [{ scaling: null }], { topK: 5, bottomK: 0, probes: 1 });
        return result!.report;
      } finally {
        operator.dispose();
      }
    });
    topRuns.push({ ms, cpuMs, steps: value.lanczosSteps, products: value.hessianVectorProducts, top: value.top, residuals: value.topResiduals });
  }
  const top5 = topRuns[topRuns.length - 1]!;

  // One Hessian-vector product, for scale.
  const operator = await LossOperator.prepare(model, data, loss);
  const v = Float64Array.from({ length: operator.layout.size }, (_, i) => Math.sin(i));
  const hvpTimes: number[] = [];
  for (let k = 0; k < 5; k++) hvpTimes.push((await timed(() => operator.hessianVectorProduct(v))).ms);
  const batchMs = (await timed(() => operator.hessianVectorProducts([v, v, v, v, v, v]))).ms / 6;
  operator.dispose();

  const landscape2d = await timed(() => computeLandscape(model, data, loss, null, { twoD: true, points1d: 0 }));

  // Full report: exact trace and flatness core, spectrum (top/bottom/density) and 1D landscape, raw and canonical.
  setCurvatureSettings({ landscape: { twoD: false } });
  const fullRuns: Array<{ ms: number; cpuMs: number; timings: Record<string, number>; steps: number[] }> = [];
  for (let k = 0; k < 2; k++) {
    const { ms, cpuMs, value } = await timed(() => analyzeLoaded(model, data, { backend: backendName, sections: { spectrum: true, landscape: true } }));
    fullRuns.push({ ms, cpuMs, timings: { ...value.timings }, steps: [value.spectrum!.lanczosSteps, value.canonical?.spectrum?.lanczosSteps ?? 0] });
    if (k === 1) {
      const spectrum = value.spectrum!;
      console.log(`  top ${spectrum.top.map((x) => x.toPrecision(5)).join(', ')}; bottom ${spectrum.bottom.map((x) => x.toPrecision(3)).join(', ')}`);
      console.log(`  canonical top ${value.canonical?.spectrum?.top.map((x) => x.toPrecision(5)).join(', ')}`);
      console.log(`  exact trace ${value.flatness.trace.toPrecision(5)}, SLQ estimate ${spectrum.density.traceEstimate.toPrecision(5)}`);
    }
  }
  const full = fullRuns[fullRuns.length - 1]!;

  const results = {
    workload: 'W1: d 50, m 512, n 4096, ReLU, squared error ||f - y||^2, hidden and output bias; random Gaussian data and network (seed 1)',
    backend: backend.name,
    adapter: backend.adapter ?? null,
    machine: `${(await import('node:os')).cpus().length} cores, node ${process.version}`,
    loadAverageAtEnd: (await import('node:os')).loadavg(),
    forwardPassMs: forwardMs,
    forwardPassCpuMs: forwardCpuMs,
    hessianVectorProductMs: median(hvpTimes.slice(1)),
    hessianVectorProductInBatchOf6Ms: batchMs,
    top5: {
      ms: top5.ms,
      cpuMs: top5.cpuMs,
      overForwardPass: top5.ms / forwardMs,
      cpuOverForwardPassCpu: top5.cpuMs / forwardCpuMs,
      lanczosSteps: top5.steps,
      hessianVectorProducts: top5.products,
      eigenvalues: top5.top,
      residuals: top5.residuals,
      pyHessianDefaultProducts: 5 * PYHESSIAN.eigenvalueMaxIterPerEigenvalue,
    },
    trace: { ours: 'exact, one pass over the data, 0 Hessian-vector products', pyHessianDefaultProducts: PYHESSIAN.traceProbes, issueQuote: '62 HVPs / 16 s on W1' },
    density: { pyHessianDefaultProducts: PYHESSIAN.densitySteps * PYHESSIAN.densityProbes },
    landscape2d31x31Ms: landscape2d.ms,
    landscape2d31x31CpuMs: landscape2d.cpuMs,
    fullReportWithSpectrumAnd1dLandscapeMs: full.ms,
    fullReportCpuMs: full.cpuMs,
    fullReportLanczosSteps: { raw: full.steps[0], canonical: full.steps[1] },
    fullReportTimings: full.timings,
    goalMs: 5000,
  };
  const directory = join(__dirname, 'results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'curvature.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(JSON.stringify(results, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
