import { forward as referenceForward } from '../helpers/tinyNetworks';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlatnessLensError, type ErrorCode } from '../../src/engine/errors';
import type { TwoLayerModel } from '../../src/engine/model/types';

export const FIXTURES = join(__dirname, '..', 'fixtures');
export const GENERATED = join(FIXTURES, 'generated');

export function fixture(relative: string): string {
  return join(GENERATED, relative);
}

export interface ReferenceModel {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  hiddenWeights: number[][];
  hiddenBias: number[] | null;
  outputWeights: number[][];
  outputBias: number[] | null;
  activation: string;
  activationSource: string;
  probeInputs: number[][];
  probeOutputs: number[][];
  /** Outputs on the inputs of data/train.npz, for models with 3 inputs. */
  outputsOnTrainNpz?: number[][];
}

export interface ReferenceData {
  X: number[][];
  y: number[][];
}

export interface Reference {
  models: Record<string, ReferenceModel>;
  data: Record<string, ReferenceData>;
  npy: Record<string, { shape: number[]; values: number[]; descr: string }>;
  borrowed: Record<string, Record<string, unknown> & { probeInputs: number[][]; probeOutputsRelu: number[][] }>;
}

/** Values written by scripts/fixtures/make_fixtures.py with torch/numpy (float64). */
export const reference: Reference = JSON.parse(readFileSync(join(GENERATED, 'reference.json'), 'utf8'));

/** f(x) in float64 straight from the model's arrays (independent of the engine's compute code). */
export function forward(model: TwoLayerModel, x: readonly number[]): number[] {
  return referenceForward(model, x, 0);
}

export function assertClose(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * (1 + Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

/** Awaits the promise (or runs the function) and checks the FlatnessLensError code and message fragments. */
export async function assertFails(
  action: Promise<unknown> | (() => unknown),
  code: ErrorCode,
  ...fragments: string[]
): Promise<FlatnessLensError> {
  let caught: unknown = null;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== null, `expected a ${code} error, but nothing was thrown`);
  assert.ok(caught instanceof FlatnessLensError, `expected a FlatnessLensError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `message lacks '${fragment}': ${caught.message}`);
  return caught;
}
