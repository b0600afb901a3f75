import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
// Static so that esbuild bundles it: the packaged extension and CLI ship no node_modules.
import * as tfWasm from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf';
import type { BackendName, BackendRequest } from '../../shared/report';
import { FlatnessLensError } from '../errors';

export interface BackendInfo {
  name: BackendName;
  requested: BackendRequest;
  fallbacks: string[];
  tfjsVersion: string;
}

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

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
  if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise');
}

let wasmPathsSet = false;
async function tryWasm(): Promise<void> {
  if (!wasmPathsSet) {
    const directory = findWasmDirectory();
    if (directory === null) throw new Error(`${WASM_FILE} was not found next to the engine or in node_modules`);
    tfWasm.setWasmPaths(directory + path.sep);
    wasmPathsSet = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
}

async function tryCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
}

const ATTEMPTS: Record<BackendName, () => Promise<void>> = {
  'tensorflow-gpu': () => tryNative(true),
  tensorflow: () => tryNative(false),
  wasm: tryWasm,
  cpu: tryCpu,
};

const AUTO_ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * Selects the compute backend once per process: the requested one, or for 'auto' the first of
 * tfjs-node-gpu, tfjs-node, wasm and cpu that initialises. A forced backend that fails is an
 * error; 'auto' records why each preferred backend was skipped.
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

async function selectBackend(requested: BackendRequest): Promise<BackendInfo> {
  tf.env().set('PROD', true); // silences tfjs's console advice about native backends
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const fallbacks: string[] = [];
  for (const name of order) {
    try {
      await ATTEMPTS[name]();
      return { name, requested, fallbacks, tfjsVersion: tf.version_core };
    } catch (error) {
      fallbacks.push(`${name}: ${describe(error)}`);
    }
  }
  throw new FlatnessLensError('unsupported', `backend '${requested}' is not available (${fallbacks.join('; ')})`);
}

export function activeBackend(): BackendInfo | null {
  return active;
}
