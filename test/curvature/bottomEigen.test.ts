/**
 * The smallest eigenvalues against matrices whose spectrum is known exactly (Q diag(lambda) Q^T),
 * and against a dense finite-difference network Hessian with a null space: repeated eigenvalues
 * and null spaces must come out with their multiplicity, and "converged" must mean "smallest".
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { smallestEigenpairs } from '../../src/engine/curvature/bottomEigen';
import type { SymmetricOperator } from '../../src/engine/curvature/lanczos';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { LossOperator } from '../../src/engine/curvature/lossOperator';
import { computeSpectra } from '../../src/engine/curvature/spectrum';
import { finiteDifferenceHessian, flatTheta, jacobiEigenvalues, nearInterpolatingTargets, referenceLoss, tinyProblem } from './helpers';

before(async () => { await initBackend('cpu'); });

/** Rows of a random orthogonal matrix (Gram-Schmidt on Gaussian vectors). */
function randomOrthogonal(size: number, random: SeededRandom): Float64Array[] {
  const rows: Float64Array[] = [];
  while (rows.length < size) {
    const v = random.normals(size);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of rows) {
        let dot = 0;
        for (let i = 0; i < size; i++) dot += v[i]! * q[i]!;
        for (let i = 0; i < size; i++) v[i] = v[i]! - dot * q[i]!;
      }
    }
    const length = Math.hypot(...v);
    rows.push(v.map((x) => x / length));
  }
  return rows;
}

/** Dense Q^T diag(lambda) Q as an operator (one view per matrix). */
function denseOperators(spectra: number[][], random: SeededRandom): SymmetricOperator {
  const size = spectra[0]!.length;
  const matrices = spectra.map((lambda) => {
    const q = randomOrthogonal(size, random);
    const m = new Float64Array(size * size);
    for (let k = 0; k < size; k++) for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) m[i * size + j]! += q[k]![i]! * lambda[k]! * q[k]![j]!;
    return m;
  });
  return {
    size,
    apply: async (vectors, views) => vectors.map((v, r) => {
      const m = matrices[views[r]!]!;
      const out = new Float64Array(size);
      for (let i = 0; i < size; i++) { let s = 0; for (let j = 0; j < size; j++) s += m[i * size + j]! * v[j]!; out[i] = s; }
      return out;
    }),
  };
}

test('indefinite spectra with repeated and clustered eigenvalues at the bottom: every copy, smallest first', async () => {
  const random = new SeededRandom(90);
  const size = 120;
  const spectra = [
    // Three copies of -1, then a cluster: one Krylov space alone finds one copy of -1 only.
    [-1, -1, -1, -0.5, -0.4999, ...Array.from({ length: size - 5 }, (_, i) => 0.1 + (3 * i) / size)],
    // The third smallest close to the second (the case a plain run skipped).
    [-2, -0.3, -0.29, 0.1, 0.2, ...Array.from({ length: size - 5 }, (_, i) => 0.5 + (3 * i) / size)],
  ];
  const scales = spectra.map((lambda) => Math.max(...lambda.map(Math.abs)));
  const results = await smallestEigenpairs(denseOperators(spectra, random), 2, { k: 5, tolerance: 1e-6, scales, maxSteps: 40, random });
  results.forEach((result, v) => {
    const exact = [...spectra[v]!].sort((x, y) => x - y).slice(0, 5);
    assert.equal(result.values.length, 5);
    result.values.forEach((value, i) => assert.ok(Math.abs(value - exact[i]!) <= 1e-5 * scales[v]!, `view ${v} value ${i}: ${value} vs ${exact[i]} (all ${result.values.join(', ')})`));
    assert.ok(result.certified && result.converged.every(Boolean), `view ${v}: certified (${result.rounds} rounds, ${result.notes.join("; ")})`);
  });
});

test('a 21-dimensional null space comes out as 21 zeros, then the smallest positive eigenvalue', async () => {
  const random = new SeededRandom(91);
  const size = 50;
  const lambda = [...new Array<number>(21).fill(0), ...Array.from({ length: size - 21 }, (_, i) => 0.5 + (4.5 * i) / (size - 21))];
  const [result] = await smallestEigenpairs(denseOperators([lambda], random), 1, { k: 23, tolerance: 1e-7, scales: [5], maxSteps: 40, random });
  assert.equal(result!.values.length, 23);
  for (let i = 0; i < 21; i++) assert.ok(Math.abs(result!.values[i]!) <= 1e-6, `value ${i}: ${result!.values[i]}`);
  assert.ok(Math.abs(result!.values[21]! - 0.5) <= 1e-5 && Math.abs(result!.values[22]! - lambda[22]!) <= 1e-5, `then ${result!.values[21]}, ${result!.values[22]}`);
  assert.ok(result!.certified);
});

test('too few steps: reported as not converged, never as converged', async () => {
  const random = new SeededRandom(92);
  const size = 80;
  const lambda = Array.from({ length: size }, (_, i) => (i < 10 ? 1e-3 * i : 1 + i / size));
  const [result] = await smallestEigenpairs(denseOperators([lambda], random), 1, { k: 5, tolerance: 1e-9, scales: [2], maxSteps: 6, maxRounds: 2, random });
  assert.ok(!result!.certified);
  assert.ok(result!.converged.every((c) => !c), `flags ${result!.converged.join(', ')}`);
});

test('network Hessians: an over-parametrized interpolator (null space) and an indefinite one, against a dense eigensolver', async () => {
  for (const [label, options] of [
    ['interpolator with a null space', { activation: { name: 'relu' as const }, d: 4, m: 8, n: 6, seed: 93, interpolate: true }],
    ['indefinite (tanh, random targets)', { activation: { name: 'tanh' as const }, d: 3, m: 5, n: 12, seed: 94 }],
  ] as const) {
    const { interpolate, ...tiny } = { interpolate: false, ...options };
    const problem = tinyProblem(tiny);
    const model = problem.model;
    const data = interpolate ? nearInterpolatingTargets(model, problem.data, 0, 1) : problem.data;
    const theta = flatTheta(model);
    const H = finiteDifferenceHessian((t) => referenceLoss(model, data, 'mse', t), theta, 1e-5);
    const exact = jacobiEigenvalues(H);
    const scale = Math.max(...exact.map(Math.abs));
    const operator = await LossOperator.prepare(model, data, makeLossSpec('mse', 1), { products: 'float64' });
    const [result] = await computeSpectra(operator, [{ scaling: null }], { topK: 3, bottomK: 8, tolerance: 1e-7, maxSteps: 60 });
    operator.dispose();
    const bottom = result!.report.bottom;
    for (let i = 0; i < 8; i++) {
      assert.ok(Math.abs(bottom[i]! - exact[i]!) <= 1e-4 * scale, `${label}: bottom ${i} ${bottom[i]} vs ${exact[i]} (dense ${exact.slice(0, 9).map((x) => x.toExponential(2)).join(', ')})`);
    }
    assert.ok(result!.report.bottomConverged.every(Boolean), `${label}: converged`);
  }
});

test('at the default tolerance, every value flagged converged is the i-th smallest eigenvalue to within the tolerance', async () => {
  const random = new SeededRandom(95);
  const size = 150;
  for (let trial = 0; trial < 6; trial++) {
    // Indefinite bulks with a dense cluster at the bottom, null spaces, and a few outliers on top.
    const lambda = Array.from({ length: size }, (_, i) => {
      if (trial % 3 === 0 && i < 25) return 0;
      if (i < 12) return -1 + 0.02 * i + 0.005 * random.normal();
      return -0.5 + 3 * random.uniform();
    });
    lambda[size - 1] = 100;
    lambda[size - 2] = 40;
    const exact = [...lambda].sort((x, y) => x - y);
    const [result] = await smallestEigenpairs(denseOperators([lambda], random), 1, { k: 5, tolerance: 1e-3, scales: [100], maxSteps: 40, random });
    result!.values.forEach((value, i) => {
      if (result!.converged[i]) assert.ok(Math.abs(value - exact[i]!) <= 1e-3 * 100, `trial ${trial} value ${i}: ${value} vs ${exact[i]} (${exact.slice(0, 6).map((x) => x.toFixed(3)).join(', ')})`);
    });
  }
});
