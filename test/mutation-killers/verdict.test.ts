/**
 * Known answers for every branch of the two verdicts (src/engine/analysis/verdict.ts): the level,
 * the headline and the explanation users read, word for word, at and beside each threshold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReportFlatness, ReportInterpolation } from '../../src/shared/report';
import { activationSlopeFactor, buildPredictionVerdict, buildVerdict, predictionLevel, type PredictionVerdictInput } from '../../src/engine/analysis/verdict';

const interpolating: ReportInterpolation = { interpolates: true, criterion: 'mean squared residual 1e-7 <= tolerance 1e-4', tolerance: 1e-4, measured: 1e-7 };
const notInterpolating: ReportInterpolation = { interpolates: false, criterion: 'mean squared residual 0.3 > tolerance 1e-4', tolerance: 1e-4, measured: 0.3 };

function flatness(ratio: number | null, reason?: string): ReportFlatness {
  return {
    normalized: { value: ratio === null ? null : 12 * ratio },
    lowerBound: { value: 12 },
    ratio: reason === undefined ? { value: ratio } : { value: ratio, reason },
  } as unknown as ReportFlatness;
}

test('no ratio: not applicable, with the reason or "unknown reason"', () => {
  assert.deepEqual(buildVerdict(flatness(null, 'tanh is not positively homogeneous'), interpolating), {
    level: 'not-applicable',
    headline: 'No flatness ratio',
    explanation: 'The flatness ratio is not defined here: tanh is not positively homogeneous. The exact trace is still reported.',
  });
  assert.equal(buildVerdict(flatness(null), interpolating).explanation, 'The flatness ratio is not defined here: unknown reason. The exact trace is still reported.');
});

test('a model that does not interpolate gets no verdict, its ratio for reference', () => {
  assert.deepEqual(buildVerdict(flatness(1.2), notInterpolating), {
    level: 'not-applicable',
    headline: 'Does not interpolate (ratio 1.20)',
    explanation: 'The flatness-generalization link is stated for interpolators, and this model does not fit its training data (mean squared residual 0.3 > tolerance 1e-4). The ratio R = 1.20 is shown for reference only.',
  });
});

test('the three ratio levels, word for word, on both sides of each threshold', () => {
  assert.deepEqual(buildVerdict(flatness(2.5), interpolating), {
    level: 'flat',
    headline: 'Flattest order: R = 2.50',
    explanation: 'R is at most 2.5, the threshold of the flattest order (R = 1 is the flattest any interpolator can be): normalized flatness 30.00 against a certified minimum of 12.00 for any interpolator of this data (R = 2.50). Flattest interpolators of multi-index data generalize.',
  });
  assert.deepEqual(buildVerdict(flatness(2.51), interpolating), {
    level: 'in-between',
    headline: 'In between: R = 2.51',
    explanation: 'R is between 2.5 and 16: flatter than typical memorizing interpolators but not of the flattest order: normalized flatness 30.12 against a certified minimum of 12.00 for any interpolator of this data (R = 2.51).',
  });
  assert.equal(buildVerdict(flatness(16), interpolating).level, 'in-between');
  assert.deepEqual(buildVerdict(flatness(16.1), interpolating), {
    level: 'sharp',
    headline: 'Far from the flattest: R = 16.1',
    explanation: 'R is above 16, where interpolators that memorize sit: normalized flatness 193.2 against a certified minimum of 12.00 for any interpolator of this data (R = 16.1). No rescaling of this network makes it flatter.',
  });
});

test('leaky ReLU: the verdict reads the slope times R and says so', () => {
  const verdict = buildVerdict(flatness(14), interpolating, { name: 'leaky_relu', slope: 0.1 });
  assert.equal(verdict.level, 'flat');
  assert.equal(verdict.headline, 'Flattest order: R = 14.0 (1.40 corrected for the activation)');
  assert.match(verdict.explanation, /\(R = 14\.0; the bound carries the leaky slope 0\.1, so the verdict reads 0\.1 x R = 1\.40\)/);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu', slope: -0.2 }), 0.2);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu', slope: 0 }), 1);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu', slope: 1 }), 1);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu', slope: 1.5 }), 1);
  assert.equal(activationSlopeFactor({ name: 'leaky_relu', slope: 0.999 }), 0.999);
});

test('the prediction verdict: each level and its wording', () => {
  const base: PredictionVerdictInput = {
    ratio: 3, ratioToFound: 2, interpolation: interpolating, testLoss: 0.5, interval: [0.2, 1.2], intervalLevel: 0.8, extrapolated: false, relativeLoss: 0.05,
  };
  assert.equal(predictionLevel(Math.SQRT1_2), 'in-between');
  assert.equal(predictionLevel(Math.SQRT1_2 + 1e-9), 'sharp');
  assert.equal(predictionLevel(0.1 + 1e-9), 'in-between');
  const loss = 'predicted test loss 0.5 (80% interval [0.2, 1.2]), 5.0% of what predicting the mean costs';
  const against = 'R = 3.00 times the certified minimum F_LB and 2.00 times the flattest interpolator found on this data';
  assert.deepEqual(buildPredictionVerdict(base), {
    level: 'flat', headline: 'Flattest order',
    explanation: `${loss}: at most 10%, the share at which interpolators generalize like the flattest; ${against}.`,
  });
  assert.deepEqual(buildPredictionVerdict({ ...base, relativeLoss: 0.5 }), {
    level: 'in-between', headline: 'In between',
    explanation: `${loss.replace('5.0%', '50%')}: between 10% and 71%; ${against}.`,
  });
  assert.deepEqual(buildPredictionVerdict({ ...base, relativeLoss: 0.9, ratioToFound: null }), {
    level: 'sharp', headline: 'Far from the flattest',
    explanation: `${loss.replace('5.0%', '90%')}: above 71%, where interpolators that memorize sit; R = 3.00 times the certified minimum F_LB (no flattest interpolator was found). No rescaling makes it flatter.`,
  });
  assert.deepEqual(buildPredictionVerdict({ ...base, interpolation: notInterpolating }), {
    level: 'not-applicable', headline: 'Does not interpolate',
    explanation: `The theory is stated for interpolators and this model does not fit its training data (mean squared residual 0.3 > tolerance 1e-4); ${against}, ${loss} for reference only.`,
  });
});
