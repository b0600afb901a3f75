import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
// Static so that esbuild bundles it: the packaged extension and CLI ship no node_modules.
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import type { BackendName, BackendRequest } from '../../shared/report';
import { FlatnessLensError } from '../errors';
import type { ReportAdapter } from '../../shared/report';
import { checkOnnxRuntime, onnxRuntimeVersion, onnxThreads } from './onnx/runtime';
import { GpuDeviceFailure, WebGpuUnavailable, currentWebGpu, startWebGpu, stopWebGpu } from './webgpu';

export interface BackendInfo {
  name: BackendName;
  requested: BackendRequest;
  fallbacks: string[];
  tfjsVersion: string;
  /** The GPU, for the webgpu backend. */
  adapter?: ReportAdapter;
  /** Set when this backend took over from a GPU that failed during an analysis. */
  switchedFrom?: { name: BackendName; reason: string };
  /** Which kernels run the products, e.g. "onnxruntime 1.30.0 CPU (MLAS)". */
  kernels?: string;
  /** Threads the products run on, where the backend says. */
  threads?: number;
  /** onnxruntime: session threads that ran the curvature pass's chunks side by side (set by the analysis). */
  lanes?: number;
}

/** What a backend attempt learned beyond success: the GPU, the kernels and threads. */
interface BackendDetails {
  adapter?: ReportAdapter;
  kernels?: string;
  threads?: number;
}

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'onnxruntime', 'wasm', 'cpu'];

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

// Silences tfjs's console advice about native backends (the "Hi, looks like you are running
// TensorFlow.js in Node.js" banner) for every path, including work done before initBackend().
tf.env().set('PROD', true);

// Importing the wasm package registers it with a higher priority than cpu; tfjs would then pick it
// (asynchronous, so unusable) for any tensor made before initBackend(). Keep cpu the default.
const wasmFactory = tf.findBackendFactory('wasm');
if (wasmFactory !== null) {
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', wasmFactory, 0);
}

let active: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/**
 * Loads a module by name at run time without letting the bundler resolve it: the native
 * backends are optional dependencies that cannot be installed everywhere.
 */
function optionalRequire(moduleName: string): unknown {
  const load = createRequire(__filename);
  return load(moduleName);
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 200);
}

/** Finds the directory that holds the wasm binaries: next to the bundle, else in node_modules. */
export function findWasmDirectory(): string | null {
  const candidates = [path.join(__dirname, 'wasm'), __dirname];
  try {
    const load = createRequire(__filename);
    candidates.push(path.join(path.dirname(load.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // not resolvable from here: only the bundled copy can work
  }
  for (const candidate of candidates) {
    if (fs.existsSync(path.join(candidate, WASM_FILE))) return candidate;
  }
  return null;
}

async function tryNative(gpu: boolean): Promise<void> {
  optionalRequire(gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node');
  // Both packages register their backend under the name 'tensorflow' with the shared tfjs-core.
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialize');
}

let wasmPathsSet = false;
async function tryWasm(): Promise<BackendDetails> {
  if (!wasmPathsSet) {
    const directory = findWasmDirectory();
    if (directory === null) throw new Error(`${WASM_FILE} was not found next to the engine or in node_modules`);
    tfWasm.setWasmPaths(directory + path.sep);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialize');
  // tfjs-backend-wasm turns its threads off under Node.
  return { kernels: `tfjs-backend-wasm ${tf.version_core} SIMD`, threads: 1 };
}

async function tryCpu(): Promise<BackendDetails> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialize');
  return { kernels: `tfjs-backend-cpu ${tf.version_core} (JavaScript)`, threads: 1 };
}

/** WebGPU through Dawn: a hardware adapter, or any adapter when the backend was forced. */
async function tryWebGpu(forced: boolean): Promise<BackendDetails> {
  return { adapter: (await startWebGpu(forced)).adapter };
}

/**
 * onnxruntime-node's native CPU kernels for the data passes (forward, curvature sums), with
 * tfjs on wasm (else cpu) for the rest of the analyses.
 */
async function tryOnnxRuntime(): Promise<BackendDetails> {
  await checkOnnxRuntime();
  try {
    await tryWasm();
  } catch {
    await tryCpu();
  }
  // The session threads (sessionThread.ts) start with the first curvature pass of several chunks,
  // and that analysis's report names them: a one-chunk analysis does not pay for starting them.
  return { kernels: `onnxruntime ${onnxRuntimeVersion()} CPU`, threads: onnxThreads() };
}

const ATTEMPTS: Record<BackendName, (forced: boolean) => Promise<BackendDetails | void>> = {
  webgpu: tryWebGpu,
  'tensorflow-gpu': () => tryNative(true),
  tensorflow: () => tryNative(false),
  onnxruntime: tryOnnxRuntime,
  wasm: tryWasm,
  cpu: tryCpu,
};

const AUTO_ORDER: BackendName[] = ['webgpu', 'tensorflow-gpu', 'tensorflow', 'onnxruntime', 'wasm', 'cpu'];

/**
 * Selects the compute backend once per process: the requested one, or for 'auto' the first of
 * webgpu (hardware adapters only), tfjs-node-gpu, tfjs-node, onnxruntime, wasm and cpu that
 * initializes. A forced backend that fails is an error; 'auto' records why each preferred
 * backend was skipped.
 */
export async function initBackend(requested: BackendRequest = 'auto'): Promise<BackendInfo> {
  if (active !== null && (requested === 'auto' || requested === active.name)) return active;
  if (pending !== null) {
    await pending;
    if (active !== null && (requested === 'auto' || requested === active.name)) return active;
  }
  pending = selectBackend(requested);
  try {
    active = await pending;
    return active;
  } finally {
    pending = null;
  }
}

async function selectBackend(requested: BackendRequest, autoOrder: BackendName[] = AUTO_ORDER): Promise<BackendInfo> {
  tf.env().set('PROD', true); // silences tfjs's console advice about native backends
  const order = requested === 'auto' ? autoOrder : [requested];
  const fallbacks: string[] = [];
  for (const name of order) {
    try {
      const details = (await ATTEMPTS[name](requested !== 'auto')) ?? {};
      if (name !== 'webgpu' && currentWebGpu() !== null) stopWebGpu();
      return { name, requested, fallbacks, tfjsVersion: tf.version_core, ...details };
    } catch (error) {
      fallbacks.push(`${name}: ${error instanceof WebGpuUnavailable ? error.message : describe(error)}`);
    }
  }
  throw new FlatnessLensError('unsupported', `backend '${requested}' is not available (${fallbacks.join('; ')})`);
}

export function activeBackend(): BackendInfo | null {
  return active;
}

/** Whether the data passes run on onnxruntime's kernels. */
export function onnxKernelsActive(): boolean {
  return active?.name === 'onnxruntime';
}

const GPU_FAILURE_MESSAGES = /out of memory|GPUOutOfMemoryError|maxBufferSize|maxStorageBufferBindingSize|device (?:is |was )?lost|device is destroyed/i;

/**
 * A failure of the GPU rather than of the analysis: reported by Dawn (GpuDeviceFailure), or an
 * allocation or lost-device error thrown by tfjs while the webgpu backend was running.
 */
export function isGpuFailure(error: unknown): error is Error {
  if (error instanceof GpuDeviceFailure) return true;
  return active?.name === 'webgpu' && error instanceof Error && GPU_FAILURE_MESSAGES.test(error.message);
}

/**
 * After the GPU failed mid-analysis (lost device, out of memory): drops the device and makes
 * the first of onnxruntime, wasm and cpu that initializes the process's backend, recording why.
 */
export async function fallBackFromGpu(reason: string): Promise<BackendInfo> {
  const previous = active;
  stopWebGpu();
  active = null;
  const info = await selectBackend('auto', ['onnxruntime', 'wasm', 'cpu']);
  active = {
    ...info,
    requested: previous?.requested ?? 'auto',
    fallbacks: [...(previous?.fallbacks ?? []), `webgpu: ${reason}`],
    switchedFrom: { name: 'webgpu', reason },
  };
  return active;
}
