import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { FlatnessLensError } from '../../src/engine/errors';
import { dataFormats } from '../../src/engine/load/dataFormats';
import { loadModel, loadModelFromBytes } from '../../src/engine/load/modelLoader';
import { pickFormat } from '../../src/engine/load/modelFormats';
import { ALL_FIXTURES, prng } from './helpers';

/**
 * Truncates and flips bytes in every fixture under test/fixtures (fixed seed, 100 variants per
 * file) and feeds each variant to the model loader and to the data loader, in process. Each load
 * must end in a result or a FlatnessLensError: never another exception, a hang or a crash.
 * TF.js weight shards are fuzzed in a temporary copy of their model folder. A watchdog thread
 * turns a hang into a failure that names the variant.
 * Reference JSON written by the fixture scripts (expected values, not inputs) is skipped. HDF5
 * variants on which the HDF5 library spins are stopped by the loader's time budget and refused.
 */
const VARIANTS = 100;
const PER_FIXTURE_TIMEOUT_MS = 60_000;
/** The size-limit setting, lowered so zip-bomb variants are refused instead of inflated (the default is 2 GiB). */
const LIMITS = { maxFileBytes: 8 * 1024 * 1024, hdf5BudgetMs: 10_000 };

function listFixtures(directory: string): string[] {
  return readdirSync(directory).sort().flatMap((entry) => {
    const path = join(directory, entry);
    // hostile/ holds files made to hang or exhaust a reader: their own tests cover them.
    if (statSync(path).isDirectory()) return entry === 'reference' || entry === 'hostile' ? [] : listFixtures(path);
    return entry === 'reference.json' ? [] : [path];
  });
}

function variants(bytes: Uint8Array, seed: number): Uint8Array[] {
  const random = prng(seed);
  const result: Uint8Array[] = [];
  for (let v = 0; v < VARIANTS; v++) {
    if (v % 2 === 0) {
      const length = v === 0 ? 0 : v === 2 ? Math.max(0, bytes.length - 1) : Math.floor(random() * bytes.length);
      result.push(bytes.slice(0, length));
    } else {
      const copy = bytes.slice();
      if (copy.length > 0) {
        // Half of the flips hit the first KiB, where headers, magic numbers and sizes live.
        const span = v % 4 === 1 ? Math.min(copy.length, 1024) : copy.length;
        const flips = 1 + Math.floor(random() * 8);
        for (let k = 0; k < flips; k++) copy[Math.floor(random() * span)] = Math.floor(random() * 256);
      }
      result.push(copy);
    }
  }
  return result;
}

interface Outcome {
  loaded: number;
  refused: number;
  slowestMs: number;
}

/**
 * A hang inside a synchronous parser (or the HDF5 wasm library) cannot be interrupted by the
 * test's own timeout, so a watchdog thread watches a heartbeat that every load bumps: when one
 * load takes longer than PER_LOAD_LIMIT_MS it prints the variant and kills the process, and the
 * test file fails instead of hanging CI.
 */
const PER_LOAD_LIMIT_MS = 60_000;
const shared = new SharedArrayBuffer(8 + 1024);
const heartbeat = new Int32Array(shared, 0, 2);
const labelBytes = new Uint8Array(shared, 8);
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
   const { writeSync } = require('node:fs');
   const beat = new Int32Array(workerData.shared, 0, 2);
   const label = new Uint8Array(workerData.shared, 8);
   let last = -1;
   let since = Date.now();
   while (Atomics.load(beat, 1) === 0) {
     Atomics.wait(beat, 1, 0, 1000);
     const now = Atomics.load(beat, 0);
     if (now !== last) { last = now; since = Date.now(); continue; }
     if (Date.now() - since > workerData.limit) {
       const end = label.indexOf(0);
       writeSync(2, 'fuzz watchdog: no progress for ' + workerData.limit + ' ms while loading ' + Buffer.from(label.slice(0, end < 0 ? label.length : end)).toString() + '\\n');
       process.kill(process.pid, 'SIGKILL');
     }
   }`,
  { eval: true, workerData: { shared, limit: PER_LOAD_LIMIT_MS } },
);
watchdog.unref();

function beat(label: string): void {
  labelBytes.fill(0);
  labelBytes.set(new TextEncoder().encode(label).subarray(0, labelBytes.length - 1));
  Atomics.add(heartbeat, 0, 1);
}

async function settle(run: () => unknown, outcome: Outcome, label: string): Promise<void> {
  beat(label);
  const start = performance.now();
  try {
    await run();
    outcome.loaded++;
  } catch (error) {
    if (!(error instanceof FlatnessLensError)) {
      assert.fail(`${label}: escaped as ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    outcome.refused++;
  }
  outcome.slowestMs = Math.max(outcome.slowestMs, performance.now() - start);
}

async function loadData(bytes: Uint8Array, path: string): Promise<unknown> {
  const format = pickFormat(dataFormats, bytes, path);
  return format === null ? null : format.load(bytes, path, LIMITS);
}

const fixtures = listFixtures(ALL_FIXTURES);
const scratch = mkdtempSync(join(tmpdir(), 'flatness-fuzz-'));

describe('fuzzed fixtures end in a result or a FlatnessLensError', () => {
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    Atomics.store(heartbeat, 1, 1);
    Atomics.notify(heartbeat, 1);
    await watchdog.terminate();
  });

  it('finds the fixtures of every format', () => {
    const names = fixtures.map((path) => relative(ALL_FIXTURES, path));
    for (const pattern of [/\.h5$/, /\.keras$/, /model\.json$/, /\.bin$/, /\.pt$/, /\.onnx$/, /\.safetensors$/, /\.npz$/, /\.npy$/]) {
      assert.ok(names.some((name) => pattern.test(name)), `a fixture matching ${pattern}`);
    }
  });

  fixtures.forEach((path, index) => {
    const name = relative(ALL_FIXTURES, path);
    it(name, { timeout: PER_FIXTURE_TIMEOUT_MS }, async (t) => {
      const original = new Uint8Array(readFileSync(path));
      const outcome: Outcome = { loaded: 0, refused: 0, slowestMs: 0 };
      const modelJson = join(dirname(path), 'model.json');
      const isShard = path.endsWith('.bin') && existsSync(modelJson);
      let shardCopy: { model: string; shard: string } | null = null;
      if (isShard) {
        const folder = mkdtempSync(join(scratch, 'tfjs-'));
        for (const entry of readdirSync(dirname(path))) copyFileSync(join(dirname(path), entry), join(folder, entry));
        shardCopy = { model: join(folder, 'model.json'), shard: join(folder, basename(path)) };
      }
      for (const [v, bytes] of variants(original, 1000 + index).entries()) {
        const label = `${name} variant ${v} (${bytes.length} bytes)`;
        if (shardCopy !== null) {
          const copy = shardCopy;
          writeFileSync(copy.shard, bytes);
          await settle(() => loadModel(copy.model, LIMITS), outcome, label);
        } else {
          await settle(() => loadModelFromBytes(bytes, path, LIMITS), outcome, `${label} as a model`);
          await settle(() => loadData(bytes, path), outcome, `${label} as data`);
        }
      }
      assert.equal(outcome.loaded + outcome.refused, shardCopy !== null ? VARIANTS : 2 * VARIANTS);
      t.diagnostic(`${outcome.loaded} loaded, ${outcome.refused} refused, slowest ${outcome.slowestMs.toFixed(1)} ms`);
    });
  });
});
