import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { setCurvatureSettings } from '../../src/engine/curvature/section';
import { rescaleNeurons } from '../../src/engine/curvature/canonical';
import type { Report } from '../../src/shared/report';
import type { ActivationSpec } from '../../src/engine/model/types';
import { finiteDifferenceHessian, flatTheta, makeRandom, nearInterpolatingTargets, referenceLoss, tinyProblem } from './helpers';

before(async () => {
  await initBackend('cpu');
  // A tolerance far below the comparisons' so that both copies resolve the near-zero bottom eigenvalues.
  setCurvatureSettings({ spectrum: { probes: 2, tolerance: 1e-9 }, sharpness: { rhos: [0.02, 0.1], steps: 6, averageSamples: 8 }, landscape: { points1d: 11, grid2d: 5 } });
});

const SECTIONS = { spectrum: true, sharpness: true, landscape: true };

function relativeDifference(x: number, y: number): number {
  return Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-12);
}

function assertClose(actual: readonly number[], expected: readonly number[], tolerance: number, what: string, reference?: number): void {
  assert.equal(actual.length, expected.length, what);
  const scale = reference ?? Math.max(...expected.map(Math.abs), 1e-12);
  actual.forEach((value, i) => {
    assert.ok(Math.abs(value - expected[i]!) <= tolerance * scale, `${what}[${i}]: ${value} vs ${expected[i]} (relative to ${scale})`);
  });
}

function canonicalOf(report: Report) {
  assert.ok(report.canonical?.available, report.canonical?.reason);
  return report.canonical!;
}

for (const activation of [{ name: 'relu' }, { name: 'relu_pow', power: 2 }] as ActivationSpec[]) {
  test(`canonical quantities are invariant under random per-neuron rescalings, raw ones are not (${activation.name})`, async () => {
    const problem = tinyProblem({ activation, d: 3, m: 5, n: 40, seed: 21 });
    const { model } = problem;
    // Near an interpolator every B_j + C_j > 0, so every neuron has a flattest scaling.
    const data = nearInterpolatingTargets(model, problem.data, 0.01, 3);
    const random = makeRandom(77);
    const k = activation.name === 'relu' ? 1 : 2;
    const scales = Float64Array.from({ length: model.hiddenDim }, () => Math.exp(1.2 * random.normal()));
    const rescaled = rescaleNeurons(model, scales, k);
    const original = await analyzeLoaded(model, data, { sections: SECTIONS });
    const copy = await analyzeLoaded(rescaled, data, { sections: SECTIONS });
    assert.ok(relativeDifference(original.loss.value, copy.loss.value) < 1e-6, 'the rescaled network computes the same function');

    const a = canonicalOf(original);
    const b = canonicalOf(copy);
    const tolerance = 1e-6;
    assertClose(b.spectrum!.top, a.spectrum!.top, tolerance, 'canonical top');
    // Eigenvalue perturbations are bounded by the operator norm: the bottom ones are compared on that scale.
    assertClose(b.spectrum!.bottom, a.spectrum!.bottom, tolerance, 'canonical bottom', Math.abs(a.spectrum!.top[0]!));
    assertClose(b.spectrum!.density.values, a.spectrum!.density.values, 1e-5, 'canonical density');
    assertClose(b.sharpness!.adaptive.map((e) => e.lossIncrease), a.sharpness!.adaptive.map((e) => e.lossIncrease), tolerance, 'canonical adaptive sharpness');
    assertClose(b.sharpness!.average.map((e) => e.mean), a.sharpness!.average.map((e) => e.mean), tolerance, 'canonical average sharpness');
    for (const [i, curve] of a.landscape!.oneD.entries()) {
      assertClose(b.landscape!.oneD[i]!.loss, curve.loss, tolerance, `canonical landscape ${curve.direction}`);
    }
    assertClose(b.landscape!.twoD!.loss.flat(), a.landscape!.twoD!.loss.flat(), tolerance, 'canonical 2D landscape');

    // Raw spectrum and the raw eigenvector landscape move with the rescaling.
    assert.ok(relativeDifference(original.spectrum!.top[0]!, copy.spectrum!.top[0]!) > 1e-3, 'raw top eigenvalue should change');
    const rawEigen = (report: Report) => report.landscape!.oneD.find((c) => c.direction === 'top-eigenvector')!.loss;
    assert.ok(Math.max(...rawEigen(original).map((x, i) => relativeDifference(x, rawEigen(copy)[i]!))) > 1e-3, 'raw eigenvector landscape should change');
    // Adaptive sharpness is invariant by construction (elementwise-scaled ball, biases included), raw too.
    assertClose(copy.sharpness!.adaptive.map((e) => e.lossIncrease), original.sharpness!.adaptive.map((e) => e.lossIncrease), 1e-5, 'raw adaptive sharpness');
    // The orbit curve is flat.
    const orbit = original.landscape!.oneD.find((c) => c.direction === 'orbit')!;
    for (const value of orbit.loss) assert.ok(relativeDifference(value, original.loss.value) < 1e-5);
    assert.equal(a.unscaledNeurons, 0);
    assert.ok(original.timings.curvatureMs! >= 0 && original.timings.spectrumMs! >= 0);
  });
}

test('non-homogeneous activation: canonical absent with a reason, raw analyses present', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'tanh' }, d: 3, m: 4, n: 20, seed: 4 });
  const report = await analyzeLoaded(model, data, { sections: SECTIONS });
  assert.equal(report.canonical!.available, false);
  assert.match(report.canonical!.reason!, /not positively homogeneous/);
  assert.equal(report.spectrum!.top.length, 5);
  assert.equal(report.sharpness!.adaptive.length, 2);
  assert.ok(report.landscape!.oneD.every((curve) => curve.direction !== 'orbit'));
});

test('switches: only the requested sections are computed', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'relu' }, d: 3, m: 4, n: 20, seed: 9 });
  const none = await analyzeLoaded(model, data, { sections: {} });
  assert.equal(none.spectrum, undefined);
  assert.equal(none.canonical, undefined);
  const onlySharpness = await analyzeLoaded(model, data, { sections: { sharpness: true } });
  assert.ok(onlySharpness.sharpness);
  assert.equal(onlySharpness.spectrum, undefined);
  assert.equal(onlySharpness.landscape, undefined);
  assert.ok(onlySharpness.canonical!.sharpness);
  const onlyLandscape = await analyzeLoaded(model, data, { sections: { landscape: true } });
  assert.equal(onlyLandscape.spectrum, undefined);
  assert.ok(onlyLandscape.landscape!.oneD.some((curve) => curve.direction === 'top-eigenvector'));
});

test('exact trace at the canonical point matches the finite-difference Hessian of the rescaled network, and F_sym', async () => {
  const problem = tinyProblem({ activation: { name: 'relu' }, d: 3, m: 4, n: 30, seed: 33 });
  const data = nearInterpolatingTargets(problem.model, problem.data, 0.02, 5);
  const report = await analyzeLoaded(problem.model, data, { sections: { spectrum: true } });
  const canonical = canonicalOf(report);
  assert.equal(report.spectrum!.exactTrace, report.flatness.trace);
  const canonicalModel = rescaleNeurons(problem.model, Float64Array.from(canonical.scales!), 1);
  const H = finiteDifferenceHessian((t) => referenceLoss(canonicalModel, data, 'mse', t), flatTheta(canonicalModel), 1e-5);
  const trace = H.reduce((sum, row, p) => sum + row[p]!, 0);
  const exact = canonical.spectrum!.exactTrace!;
  assert.ok(relativeDifference(exact, trace) < 1e-5, `canonical trace ${exact} vs finite differences ${trace}`);
  assert.ok(relativeDifference(exact, report.flatness.normalized.value!) < 1e-9, 'every neuron at its t*: the trace is F_sym');
  assert.ok(relativeDifference(exact, report.flatness.trace) > 1e-4, 'and differs from the raw trace');
});
