import { forward as referenceForward } from '../helpers/tinyNetworks';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FlatnessLensError, type ErrorCode } from '../../src/engine/errors';
import { parseActivation } from '../../src/engine/math/activations';
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';

/** test/fixtures/formats: shared/ (files saved by real frameworks, committed), generated/, reference/. */
export const FORMAT_FIXTURES = join(__dirname, '..', 'fixtures', 'formats');
export const ALL_FIXTURES = join(__dirname, '..', 'fixtures');

export function formatFixture(relative: string): string {
  return join(FORMAT_FIXTURES, relative);
}

/** Written by scripts/fixtures/make_format_fixtures.py with the real frameworks (h5py, torch, numpy). */
export interface FormatReference {
  id: string;
  file: string;
  safetensors: string;
  note: string;
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  activation: string;
  outputLink: 'identity' | 'sigmoid' | 'softmax';
  W1: number[][];
  b1: number[] | null;
  W2: number[][];
  b2: number[] | null;
  X: number[][];
  output: number[][];
  linked: number[][];
}

export function loadReference(id: string): FormatReference {
  return JSON.parse(readFileSync(join(FORMAT_FIXTURES, 'reference', `${id}.json`), 'utf8')) as FormatReference;
}

export function referenceIds(): string[] {
  return readdirSync(join(FORMAT_FIXTURES, 'reference'))
    .filter((name) => name.endsWith('.json') && name !== 'data_pt.json')
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

export function activationOf(text: string): ActivationSpec {
  const spec = parseActivation(text);
  assert.ok(spec, `reference activation ${text} parses`);
  return spec;
}

/** f(x) = W2 sigma(W1 x + b1) + b2 in float64, straight from the definition. */
export function forward(model: TwoLayerModel, x: readonly number[]): number[] {
  return referenceForward(model, x, 0);
}

export function assertClose(actual: number, expected: number, relative: number, label: string): void {
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= relative * scale, `${label}: ${actual} vs ${expected}`);
}

/** Asserts the promise rejects with a FlatnessLensError of this code whose message matches. */
export async function assertRefused(run: () => unknown, code: ErrorCode, pattern: RegExp): Promise<FlatnessLensError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof FlatnessLensError, `expected a FlatnessLensError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected a ${code} refusal matching ${pattern}`);
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
