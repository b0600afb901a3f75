import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportFlatness, ReportInterpolation } from '../../src/shared/report';
import {
  RATIO_THRESHOLDS, RELATIVE_LOSS_THRESHOLDS, activationSlopeFactor, buildPredictionVerdict, buildVerdict, predictionLevel,
} from '../../src/engine/analysis/verdict';

const interpolating: ReportInterpolation = { interpolates: true, criterion: 'mean squared residual 1e-7 <= tolerance 1e-4', tolerance: 1e-4, measured: 1e-7 };

/** The fields of the flatness section the verdict reads. */
function flatnessWithRatio(ratio: number): ReportFlatness {
  return {
    normalized: { value: 10 * ratio },
    lowerBound: { value: 10 },
    ratio: { value: ratio },
  } as unknown as ReportFlatness;
}

test('the ratio verdict is corrected for the leaky slope the bound carries', () => {
  assert.equal(activationSlopeFactor({ name: 'relu' }), 1);
  assert.equal(activationSlopeFactor({ name: 'abs' }), 1);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu', slope: 0.1 }), 0.1);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu' }), 0.01);
  assert.equal(activationSlopeFactor(undefined), 1);
  // The flattest leaky-ReLU(0.1) interpolators sit near R = 14: flattest order, not "in between".
  assert.equal(buildVerdict(flatnessWithRatio(14), interpolating, { name: 'leaky_relu', slope: 0.1 }).level, 'flat');
  assert.equal(buildVerdict(flatnessWithRatio(14), interpolating, { name: 'relu' }).level, 'in-between');
  assert.equal(buildVerdict(flatnessWithRatio(200), interpolating, { name: 'leaky_relu', slope: 0.1 }).level, 'sharp');
  assert.equal(buildVerdict(flatnessWithRatio(RATIO_THRESHOLDS.flat), interpolating, { name: 'relu' }).level, 'flat');
  assert.equal(buildVerdict(flatnessWithRatio(RATIO_THRESHOLDS.flat * 1.01), interpolating, { name: 'relu' }).level, 'in-between');
  assert.equal(buildVerdict(flatnessWithRatio(RATIO_THRESHOLDS.sharp * 1.01), interpolating).level, 'sharp');
  assert.match(buildVerdict(flatnessWithRatio(14), interpolating, { name: 'leaky_relu', slope: 0.1 }).headline, /corrected for the activation/);
});

test('the prediction verdict reads the predicted loss relative to the mean predictor, thresholds fixed in advance', () => {
  assert.ok(Math.abs(RELATIVE_LOSS_THRESHOLDS.flat - Math.sqrt(0.05 * 0.2)) < 1e-12);
  assert.ok(Math.abs(RELATIVE_LOSS_THRESHOLDS.sharp - Math.sqrt(0.5 * 1)) < 1e-12);
  assert.equal(predictionLevel(0.05), 'flat');
  assert.equal(predictionLevel(0.1), 'flat');
  assert.equal(predictionLevel(0.11), 'in-between');
  assert.equal(predictionLevel(0.7), 'in-between');
  assert.equal(predictionLevel(0.72), 'sharp');
  const base = { ratio: 3, ratioToFound: 2, interpolation: interpolating, testLoss: 0.5, interval: [0.2, 1.2] as [number, number], intervalLevel: 0.8, extrapolated: false, relativeLoss: 0.9 };
  const sharp = buildPredictionVerdict(base);
  assert.equal(sharp.level, 'sharp');
  assert.match(sharp.explanation, /90% of what predicting the mean costs/);
  // From the mean predictor's cost up, a multiple: never an exponent on a percentage.
  assert.match(buildPredictionVerdict({ ...base, relativeLoss: 8.8 }).explanation, /, 8\.8 times what predicting the mean costs/);
  assert.match(buildPredictionVerdict({ ...base, relativeLoss: 0.999 }).explanation, /, 1\.0 times what predicting the mean costs/);
  assert.match(buildPredictionVerdict({ ...base, relativeLoss: 0.994 }).explanation, /, 99% of what predicting the mean costs/);
  assert.match(buildPredictionVerdict({ ...base, relativeLoss: 1234 }).explanation, /, 1\.2e\+3 times what|, 1200 times what/);
  assert.doesNotMatch(sharp.explanation, /extrapolated/);
  assert.match(buildPredictionVerdict({ ...base, extrapolated: true }).explanation, /extrapolated: the model lies outside the range/);
  assert.match(buildPredictionVerdict({ ...base, interval: null }).explanation, /no 80% interval: too few reference interpolators/);
  assert.equal(buildPredictionVerdict({ ...base, interpolation: { ...interpolating, interpolates: false } }).level, 'not-applicable');
});
