import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { LossOperator } from '../../src/engine/curvature/lossOperator';
import { computeSpectra } from '../../src/engine/curvature/spectrum';
import { spectralDensity } from '../../src/engine/curvature/slq';
import { lanczos } from '../../src/engine/curvature/lanczos';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import type { ActivationSpec } from '../../src/engine/model/types';
import type { LossKind } from '../../src/shared/report';
import { finiteDifferenceHessian, flatTheta, jacobiEigenvalues, referenceLoss, tinyProblem } from './helpers';

before(async () => { await initBackend('cpu'); });

const CASES: Array<{ activation: ActivationSpec; loss: LossKind; c: number; h: number }> = [
  { activation: { name: 'tanh' }, loss: 'mse', c: 1, h: 1e-4 },
  { activation: { name: 'relu' }, loss: 'mse-half', c: 2, h: 1e-5 },
  { activation: { name: 'softplus' }, loss: 'ce', c: 3, h: 1e-4 },
];

for (const [index, testCase] of CASES.entries()) {
  const { model, data } = tinyProblem({ ...testCase, d: 3, m: 4, n: 20, seed: 60 + index });
  const theta = flatTheta(model);
  const H = finiteDifferenceHessian((t) => referenceLoss(model, data, testCase.loss, t), theta, testCase.h);
  const exact = jacobiEigenvalues(H); // ascending
  const spec = makeLossSpec(testCase.loss, model.outputDim);
  const label = `${testCase.activation.name}, ${testCase.loss}, c=${testCase.c}`;

  test(`Lanczos top and bottom eigenvalues match a dense Jacobi eigensolver (${label})`, async () => {
    const operator = await LossOperator.prepare(model, data, spec);
    const [result] = await computeSpectra(operator, [{ scaling: null }], { topK: 5, bottomK: 5, probes: 2 });
    const spectrum = result!.report;
    const scale = Math.max(...exact.map(Math.abs));
    assert.equal(spectrum.parameters, theta.length);
    for (let k = 0; k < 5; k++) {
      assert.ok(Math.abs(spectrum.top[k]! - exact[exact.length - 1 - k]!) <= 1e-4 * scale, `top ${k}: ${spectrum.top[k]} vs ${exact[exact.length - 1 - k]}`);
      assert.ok(Math.abs(spectrum.bottom[k]! - exact[k]!) <= 1e-4 * scale, `bottom ${k}: ${spectrum.bottom[k]} vs ${exact[k]}`);
      assert.ok(spectrum.topConverged[k] && spectrum.bottomConverged[k]);
      assert.ok(spectrum.topResiduals[k]! <= spectrum.tolerance * scale * 1.01);
    }
    // The returned top eigenvector satisfies H v = lambda v against the dense Hessian.
    const v = result!.topVector;
    const hv = H.map((row) => row.reduce((s, h, q) => s + h * v[q]!, 0));
    const residual = Math.sqrt(hv.reduce((s, x, p) => s + (x - spectrum.top[0]! * v[p]!) ** 2, 0));
    assert.ok(residual <= 1e-4 * scale, `eigenvector residual ${residual}`);
    operator.dispose();
  });

  test(`quadrature moments give the exact trace and tr H^2 (${label})`, async () => {
    const operator = await LossOperator.prepare(model, data, spec);
    const size = theta.length;
    // Probing with the whole standard basis makes the SLQ moments exact: sum_p e_p^T H e_p = tr H, sum_p ||H e_p||^2 = tr H^2.
    const basis = Array.from({ length: size }, (_, p) => { const e = new Float64Array(size); e[p] = 1; return e; });
    const runs = await lanczos({
      size,
      apply: (vectors) => operator.hessianVectorProducts(vectors),
    }, basis, { maxSteps: 6 });
    const density = spectralDensity(runs, size, 101, 6);
    const sums = await computeCurvatureSums(model, data, spec);
    let trace = sums.outputBiasTerm;
    for (let j = 0; j < model.hiddenDim; j++) trace += sums.neuronA[j]! + sums.neuronB[j]! + sums.neuronC[j]!;
    const traceOfSquare = H.reduce((s, row) => s + row.reduce((t, h) => t + h * h, 0), 0);
    assert.ok(Math.abs(density.traceEstimate - trace) <= 1e-5 * Math.abs(trace), `trace ${density.traceEstimate} vs ${trace}`);
    assert.ok(Math.abs(density.squaredTraceEstimate - traceOfSquare) <= 1e-4 * traceOfSquare, `tr H^2 ${density.squaredTraceEstimate} vs ${traceOfSquare}`);
    // The smoothed density integrates to 1.
    const step = density.grid[1]! - density.grid[0]!;
    const mass = density.values.reduce((s, x) => s + x, 0) * step;
    assert.ok(Math.abs(mass - 1) < 0.02, `density mass ${mass}`);
    // Random Gaussian probes: unbiased, so many probes land near the exact trace.
    const [random] = await computeSpectra(operator, [{ scaling: null }], { probes: 300, densitySteps: 4, maxSteps: 4, topK: 1, bottomK: 1 });
    const estimate = random!.report.density.traceEstimate;
    assert.ok(Math.abs(estimate - trace) <= 0.15 * Math.abs(trace), `random-probe trace ${estimate} vs ${trace}`);
    operator.dispose();
  });
}

test('a scaled view is the Hessian of the reparametrized loss', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'sigmoid' }, d: 2, m: 3, n: 15, seed: 5 });
  const theta = flatTheta(model);
  const factors = theta.map((_, p) => 0.5 + (p % 3) * 0.75); // theta' = factors o theta
  const H = finiteDifferenceHessian((t) => referenceLoss(model, data, 'mse', t.map((x, p) => x / factors[p]!)), theta.map((x, p) => x * factors[p]!));
  const exact = jacobiEigenvalues(H);
  const operator = await LossOperator.prepare(model, data, makeLossSpec('mse', 1));
  // A tolerance well below the assertion's, so that close eigenvalues are resolved.
  const [, scaled] = await computeSpectra(operator, [{ scaling: null }, { scaling: factors.map((t) => 1 / t) }], { topK: 3, bottomK: 3, tolerance: 1e-7 });
  const scale = Math.max(...exact.map(Math.abs));
  for (let k = 0; k < 3; k++) {
    assert.ok(Math.abs(scaled!.report.top[k]! - exact[exact.length - 1 - k]!) <= 1e-4 * scale, `top ${k}: ${scaled!.report.top[k]} vs ${exact[exact.length - 1 - k]}`);
    assert.ok(Math.abs(scaled!.report.bottom[k]! - exact[k]!) <= 1e-4 * scale, `bottom ${k}: ${scaled!.report.bottom[k]} vs ${exact[k]} (all ${exact.join(", ")})`);
  }
});

test('the spectrum run can be cancelled between Lanczos steps', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'tanh' }, d: 4, m: 8, n: 30, seed: 8 });
  const operator = await LossOperator.prepare(model, data, makeLossSpec('mse', 1));
  const controller = new AbortController();
  let steps = 0;
  const context = { signal: controller.signal, onProgress: (stage: string) => { if (stage === 'Lanczos' && ++steps === 3) controller.abort(); } };
  await assert.rejects(computeSpectra(operator, [{ scaling: null }], {}, context), (error: Error) => error.name === 'FlatnessLensError' && /cancelled/.test(error.message));
  assert.ok(steps >= 3);
  operator.dispose();
});
