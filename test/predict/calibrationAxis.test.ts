/**
 * The calibration chart's axis (shared/calibrationAxis.ts) is the predictor's input: the fitted
 * curve it draws passes through every prediction at that prediction's position, and the
 * references sit at rho + D. Without D the chart falls back to the ratio R.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CalibrationResult, calibrationReport, fitCalibration, predictFromFit } from '../../src/engine/predict/calibration';
import type { LossSample } from '../../src/engine/predict/lossModel';
import { SeededRandom } from '../../src/engine/math/random';
import { calibrationAxis, readOffText } from '../../src/shared/calibrationAxis';
import type { CalibrationPoint } from '../../src/shared/report';

function reportOf(samples: LossSample[]) {
  const fit = fitCalibration(samples, 1e-9);
  const points: CalibrationPoint[] = samples.map((s, k) => ({ kind: 'gd-init', setting: k, split: 0, ratio: s.ratio, heldOutLoss: s.heldOutLoss, normalized: s.ratio, disagreement: s.disagreement }));
  const result: CalibrationResult = { points, fit, skipped: 0 };
  return { fit, calibration: calibrationReport(result, 1, 0.8) };
}

function samples(random: SeededRandom, withDisagreement: boolean): LossSample[] {
  return Array.from({ length: 24 }, () => {
    const disagreement = Math.exp(random.uniform() * 8 - 6);
    const ratio = Math.exp(random.uniform() * 4);
    // The loss follows D, not R: a chart against R would scatter; against rho + D it is one curve.
    const heldOutLoss = withDisagreement ? (0.01 + disagreement) * Math.exp(0.2 * random.normal()) : 0.02 * ratio ** 2 * Math.exp(0.2 * random.normal());
    return { ratio, disagreement: withDisagreement ? disagreement : null, heldOutLoss };
  });
}

test('with a flattest interpolator the axis is rho + D and the drawn fit passes through every prediction', () => {
  const { fit, calibration } = reportOf(samples(new SeededRandom(3), true));
  assert.ok(calibration.lossModel.rho !== null && calibration.lossModel.c === 0, 'the D-only form was fitted');
  const axis = calibrationAxis(calibration);
  assert.equal(axis.kind, 'distance');
  const random = new SeededRandom(9);
  for (let k = 0; k < 10; k++) {
    const ratio = Math.exp(random.uniform() * 4);
    const disagreement = Math.exp(random.uniform() * 8 - 6);
    const x = axis.position(ratio, disagreement)!;
    assert.ok(Math.abs(x - (calibration.lossModel.rho! + disagreement)) < 1e-15 * x);
    const [knot] = axis.curve(x, x);
    const predicted = predictFromFit(fit, ratio, disagreement).testLoss;
    assert.ok(Math.abs(knot!.loss - predicted) <= 1e-12 * predicted, `curve ${knot!.loss} vs prediction ${predicted} at ${x}`);
  }
  // The curve rises with the distance (b >= 0) and spans the range asked for.
  const curve = axis.curve(0.01, 10);
  assert.equal(curve[0]!.x, 0.01);
  assert.ok(Math.abs(curve.at(-1)!.x - 10) < 1e-12);
  for (let k = 1; k < curve.length; k++) assert.ok(curve[k]!.loss >= curve[k - 1]!.loss);
  assert.match(readOffText(calibration, 2, 0.5), /^read off the fit at rho \+ D = .* \(D = 0\.5\)$/);
});

test('without D the axis is the ratio R and the fit is drawn at the reference points', () => {
  const { calibration } = reportOf(samples(new SeededRandom(4), false));
  assert.equal(calibration.lossModel.rho, null);
  const axis = calibrationAxis(calibration);
  assert.equal(axis.kind, 'ratio');
  assert.equal(axis.position(3.5, null), 3.5);
  assert.deepEqual(axis.curve(1, 2).map((k) => k.x), calibration.curve.map((k) => k.ratio));
  assert.equal(readOffText(calibration, 3.5, null), 'read off the calibration at R = 3.5');
});
