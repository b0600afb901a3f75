/**
 * Why the onnxruntime backend (issue 14): one dense product, X (8192 x 784) by W (784 x 1024),
 * the shape of W2's forward pass, on tfjs-backend-wasm and on onnxruntime-node's CPU kernels with
 * 1 and with all intra-op threads, in one run: GFLOP/s, cores busy (process CPU time over wall
 * time) and GFLOP per CPU-second (the per-core speed, meaningful on a loaded machine too).
 * Writes bench/results/kernels.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../src/engine/compute/backend';
import { tf } from '../src/engine/compute/tf';
import { OnnxGraph } from '../src/engine/compute/onnx/graph';
import { OnnxSession, onnxRuntimeVersion } from '../src/engine/compute/onnx/runtime';
import { median } from './timing';

const ROWS = 8192;
const D = 784;
const M = 1024;
const REPETITIONS = 7;
const FLOPS = 2 * ROWS * D * M;

function random(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  });
}

async function measure(label: string, run: () => Promise<void>) {
  await run();
  const times: number[] = [];
  const cpu = process.cpuUsage();
  let wall = 0;
  for (let k = 0; k < REPETITIONS; k++) {
    const started = performance.now();
    await run();
    const ms = performance.now() - started;
    times.push(ms);
    wall += ms;
  }
  const used = process.cpuUsage(cpu);
  const ms = median(times);
  const cpuMs = (used.user + used.system) / 1000;
  // GFLOP per CPU-second: what one busy core delivers, whatever else loads the machine.
  const result = { kernels: label, ms, gflops: FLOPS / ms / 1e6, coresBusy: cpuMs / wall, gflopsPerCore: (FLOPS * REPETITIONS) / cpuMs / 1e6 };
  console.log(`${label}: ${ms.toFixed(1)} ms, ${result.gflops.toFixed(1)} GFLOP/s, ${result.coresBusy.toFixed(2)} cores busy, ${result.gflopsPerCore.toFixed(1)} GFLOP per CPU-second`);
  return result;
}

async function main(): Promise<void> {
  const inputs = random(ROWS * D, 1);
  const weights = random(D * M, 2);
  const results = [];
  await initBackend('wasm');
  const x = tf.tensor2d(inputs, [ROWS, D]);
  const w = tf.tensor2d(weights, [D, M]);
  results.push(await measure(`tfjs-backend-wasm ${tf.version_core} SIMD, 1 thread`, async () => {
    const product = tf.matMul(x, w);
    await product.data();
    product.dispose();
  }));
  x.dispose();
  w.dispose();
  const graph = new OnnxGraph();
  graph.op('MatMul', [graph.input('X', ['rows', D]), graph.initializer('W', weights, [D, M])], {}, 'Y');
  graph.output('Y', ['rows', M]);
  const bytes = graph.build();
  for (const threads of [...new Set([1, os.availableParallelism()])]) {
    const session = await OnnxSession.create(bytes, threads);
    results.push(await measure(`onnxruntime ${onnxRuntimeVersion()} CPU, ${threads} intra-op thread${threads === 1 ? '' : 's'}`, async () => {
      await session.run({ X: { data: inputs, dims: [ROWS, D] } });
    }));
    await session.release();
  }
  const out = path.join(__dirname, 'results', 'kernels.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify({ createdAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), product: `${ROWS} x ${D} by ${D} x ${M}`, results }, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

void main();
