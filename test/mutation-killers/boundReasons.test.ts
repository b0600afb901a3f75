/**
 * The certified bound's branches without a value (src/engine/analysis/flatness.ts): cross-entropy,
 * activations that are not positively homogeneous, and degree k = 2. Each says why, in the words the
 * report shows, and the ratio carries the first reason that applies.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { buildFlatnessSection } from '../../src/engine/analysis/flatness';
import { makeLossSpec } from '../../src/engine/math/losses';
import type { ActivationSpec } from '../../src/engine/model/types';
import type { LossKind, ReportFlatness } from '../../src/shared/report';
import { randomData, randomModel } from '../helpers/tinyNetworks';

before(async () => { await initBackend('wasm'); });

async function flatnessFor(activation: ActivationSpec, loss: LossKind, c: number): Promise<ReportFlatness> {
  const random = new SeededRandom(7);
  const model = randomModel({ d: 3, m: 4, c, hiddenBias: true, outputBias: true, activation }, random);
  const data = loss === 'ce' ? randomData(12, 3, 1, random, c) : randomData(12, 3, c, random);
  const spec = makeLossSpec(loss, c);
  return buildFlatnessSection(model, spec, await computeCurvatureSums(model, data, spec, { withInvariantDiagonal: true }));
}

test('cross-entropy: no certified bound, in every bound field, and the ratio says why', async () => {
  const reason = 'no certified bound is derived for softmax cross-entropy (FLATNESS.md section 4 covers squared error)';
  const flatness = await flatnessFor({ name: 'relu' }, 'ce', 3);
  assert.deepEqual(flatness.lowerBound, { value: null, reason });
  assert.deepEqual(flatness.lowerBoundAtModel, { value: null, reason });
  assert.deepEqual(flatness.lowerBoundAtModelBias, { value: null, reason });
  assert.notEqual(flatness.normalized.value, null, 'F_sym is defined for ReLU under cross-entropy');
  assert.deepEqual(flatness.ratio, { value: null, reason });
});

test('tanh: neither F_sym nor a bound, each with its reason; the ratio gives the first', async () => {
  const flatness = await flatnessFor({ name: 'tanh' }, 'mse', 1);
  const boundReason = 'tanh is not positively homogeneous: no rescaling symmetry and no certified bound';
  assert.deepEqual(flatness.lowerBound, { value: null, reason: boundReason });
  assert.deepEqual(flatness.lowerBoundAtModel, { value: null, reason: boundReason });
  assert.deepEqual(flatness.lowerBoundAtModelBias, { value: null, reason: boundReason });
  assert.equal(flatness.normalized.value, null);
  assert.match(flatness.normalized.reason ?? '', /is not positively homogeneous: the rescaling symmetry does not exist, so symmetry-normalized quantities are not defined$/);
  assert.deepEqual(flatness.ratio, { value: null, reason: flatness.normalized.reason });
});

test('degree k = 2 (relu^2): F_sym defined, no certified bound for k != 1', async () => {
  const flatness = await flatnessFor({ name: 'relu_pow', power: 2 }, 'mse', 2);
  const reason = 'no certified bound is derived for degree k = 2 (only k = 1 activations)';
  assert.deepEqual(flatness.lowerBound, { value: null, reason });
  assert.deepEqual(flatness.lowerBoundAtModel, { value: null, reason });
  assert.deepEqual(flatness.lowerBoundAtModelBias, { value: null, reason });
  assert.deepEqual(flatness.ratio.reason, flatness.normalized.value === null ? flatness.normalized.reason : reason);
});

test('a bound exists for ReLU with squared error, and the model-bias value is never below the certified one', async () => {
  const flatness = await flatnessFor({ name: 'relu' }, 'mse', 2);
  assert.ok(flatness.lowerBound.value !== null && flatness.lowerBound.value > 0);
  assert.ok(flatness.lowerBoundAtModelBias?.value !== null && flatness.lowerBoundAtModelBias!.value! >= flatness.lowerBound.value! * (1 - 1e-12));
  assert.equal(flatness.lowerBound.reason, undefined);
});
