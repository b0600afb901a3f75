import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { OnnxGraph } from './graph';

/**
 * onnxruntime-node, loaded at run time only: the bundler must not resolve it (its native binary
 * ships per platform beside the bundle, or in node_modules), and every caller falls back to the
 * tfjs backends when it is absent.
 */
type OrtModule = typeof Ort;

let loaded: OrtModule | null = null;

/**
 * The copy a platform-specific package ships beside the bundle (dist/onnxruntime/node_modules,
 * staged by scripts/package.mjs), else the one in node_modules.
 */
export function loadOnnxRuntime(): OrtModule {
  if (loaded !== null) return loaded;
  const bundled = path.join(__dirname, 'onnxruntime', 'node_modules', 'onnxruntime-node');
  const from = fs.existsSync(bundled) ? path.join(__dirname, 'onnxruntime', 'index.js') : __filename;
  try {
    loaded = createRequire(from)('onnxruntime-node') as OrtModule;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new Error(/Cannot find module 'onnxruntime-node'/.test(message)
      ? 'onnxruntime-node is not installed (the platform-specific .vsix ships it)'
      : `onnxruntime-node did not load: ${message}`);
  }
  return loaded;
}

export function onnxRuntimeVersion(): string {
  const ort = loadOnnxRuntime();
  return ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
}

let threadCount: number | null = null;

/** Intra-op threads of every session: one per core this process may use. */
export function onnxThreads(): number {
  if (threadCount === null) threadCount = Math.max(1, os.availableParallelism());
  return threadCount;
}

/** Loads the native binding and runs a one-node graph: throws where onnxruntime cannot run. */
export async function checkOnnxRuntime(): Promise<void> {
  const ort = loadOnnxRuntime();
  const graph = new OnnxGraph();
  graph.op('Relu', [graph.input('x', [2])], {}, 'y');
  graph.output('y', [2]);
  const session = await OnnxSession.create(graph.build(), 1);
  try {
    const { y } = await session.run({ x: { data: Float32Array.of(-1, 2), dims: [2] } });
    if (y?.[0] !== 0 || y[1] !== 2) throw new Error(`onnxruntime ${ort.env.versions.node ?? ''} computed relu(-1, 2) as ${String(y)}`);
  } finally {
    await session.release();
  }
}

export interface FeedTensor {
  data: Float32Array;
  dims: readonly number[];
  /** The caller gives the array up: a session on another thread may take it without a copy. */
  move?: boolean;
}

/** A value kept on the session's thread by an earlier run (RunOptions.keep), fed again without a copy. */
export interface KeptFeed {
  kept: string;
}

export type Feed = FeedTensor | KeptFeed;

export interface RunOptions {
  /** Feeds or fetched outputs to keep on this thread for later runs: name -> key. */
  keep?: Readonly<Record<string, string>>;
  /** Keys to drop once this run is done. */
  forget?: readonly string[];
  /** Which lane runs it (modulo `lanes`): kept values stay on their lane. */
  lane?: number;
}

/** What the kernels need of a session: run it, name its outputs, drop kept values, release it. */
export interface OnnxRunner {
  readonly outputNames: readonly string[];
  /** Sessions that run at the same time (one per thread); runs on one lane run in order. */
  readonly lanes: number;
  run(feeds: Record<string, Feed>, fetches?: readonly string[], options?: RunOptions): Promise<Record<string, Float32Array>>;
  forget(keys: readonly string[]): Promise<void>;
  release(): Promise<void>;
}

/** Values kept between runs on this thread, by key. */
const keptValues = new Map<string, FeedTensor>();

export function keptValueCount(): number {
  return keptValues.size;
}

/** Drops kept values; returns their arrays. */
export function forgetKeptValues(keys: readonly string[]): Float32Array[] {
  const dropped: Float32Array[] = [];
  for (const key of keys) {
    const value = keptValues.get(key);
    if (value) dropped.push(value.data);
    keptValues.delete(key);
  }
  return dropped;
}

export function isKeptFeed(feed: Feed): feed is KeptFeed {
  return 'kept' in feed;
}

/** One InferenceSession over an in-memory model, with float32 feeds and fetches. */
export class OnnxSession implements OnnxRunner {
  private constructor(private readonly session: Ort.InferenceSession, private readonly ort: OrtModule) {}

  static async create(model: Uint8Array, threads = onnxThreads()): Promise<OnnxSession> {
    const ort = loadOnnxRuntime();
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      // Pool threads sleep between runs instead of spinning: between the two runs of a chunk the
      // main thread computes per-sample terms in JavaScript, and a spinning thread would take the
      // other core from it (and from everything else on the machine) for nothing.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new OnnxSession(session, ort);
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  get lanes(): number {
    return 1;
  }

  /** Runs the graph; returns the fetched outputs (all of them by default) as float32 arrays. */
  async run(feeds: Record<string, Feed>, fetches: readonly string[] = this.session.outputNames, options: RunOptions = {}): Promise<Record<string, Float32Array>> {
    const resolved: Record<string, FeedTensor> = {};
    const inputs: Record<string, Ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      const value = isKeptFeed(feed) ? keptValues.get(feed.kept) : feed;
      if (!value) throw new Error(`ONNX session: no kept value '${(feed as KeptFeed).kept}' for input '${name}'`);
      resolved[name] = value;
      inputs[name] = new this.ort.Tensor('float32', value.data, [...value.dims]);
    }
    const results = await this.session.run(inputs, [...fetches]);
    const out: Record<string, Float32Array> = {};
    for (const name of fetches) {
      const result = results[name];
      if (!(result?.data instanceof Float32Array)) throw new Error(`ONNX session: output '${name}' is not float32`);
      out[name] = result.data;
      const key = options.keep?.[name];
      if (key !== undefined) keptValues.set(key, { data: result.data, dims: result.dims });
    }
    for (const [name, key] of Object.entries(options.keep ?? {})) {
      if (!(name in out)) {
        const feed = resolved[name];
        if (!feed) throw new Error(`ONNX session: '${name}' to keep is neither a feed nor a fetched output`);
        keptValues.set(key, feed);
      }
    }
    forgetKeptValues(options.forget ?? []);
    return out;
  }

  async forget(keys: readonly string[]): Promise<void> {
    forgetKeptValues(keys);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
