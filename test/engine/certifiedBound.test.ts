/**
 * Known answers for the certified bound F_LB (FLATNESS.md section 4). Expected values are computed
 * here in float64, independently of the engine: the one-output minimum over the output bias by
 * evaluating every breakpoint of the piecewise-linear sum, the several-output minimum checked by
 * its optimality condition and a grid, and networks on which the bound is attained exactly.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { testBackend } from '../helpers/testBackend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { buildFlatnessSection } from '../../src/engine/analysis/flatness';
import { makeLossSpec } from '../../src/engine/math/losses';
import { minimizeWeightedDistanceSum, weightedDistanceSum } from '../../src/engine/math/weightedMedian';
import type { TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind, ReportFlatness } from '../../src/shared/report';
import { forward, randomData, randomModel, relativeError } from '../helpers/tinyNetworks';

before(async () => { await initBackend(testBackend()); });

async function flatnessOf(model: TwoLayerModel, data: Dataset, loss: LossKind = 'mse'): Promise<ReportFlatness> {
  const spec = makeLossSpec(loss, model.outputDim);
  return buildFlatnessSection(model, spec, await computeCurvatureSums(model, data, spec, { withInvariantDiagonal: true }));
}

function withOwnOutputs(model: TwoLayerModel, data: Dataset): Dataset {
  const c = model.outputDim;
  const targets = new Float32Array(data.n * c);
  for (let i = 0; i < data.n; i++) forward(model, data.inputs, i).forEach((v, o) => { targets[i * c + o] = v; });
  return { ...data, targetDim: c, targets };
}

/** ||u_i|| in float64: u_i = (x_i, 1) with a hidden bias. */
function inputNorms(data: Dataset, hiddenBias: boolean): number[] {
  return Array.from({ length: data.n }, (_, i) => {
    let s = hiddenBias ? 1 : 0;
    for (let l = 0; l < data.d; l++) s += data.inputs[i * data.d + l]! ** 2;
    return Math.sqrt(s);
  });
}

/** min over c of (1/n) sum_i w_i |y_i - c|: a convex piecewise-linear function, minimal at a breakpoint. */
function bruteForceOneOutput(weights: number[], targets: ArrayLike<number>): number {
  let best = Infinity;
  for (let k = 0; k < weights.length; k++) {
    let s = 0;
    for (let i = 0; i < weights.length; i++) s += weights[i]! * Math.abs(targets[i]! - targets[k]!);
    best = Math.min(best, s);
  }
  return best / weights.length;
}

/** Squared-error conventions: Lambda = scale I. */
const SCALE: Record<Exclude<LossKind, 'ce'>, (c: number) => number> = { 'mse': () => 2, 'mse-half': () => 1, 'mse-mean': (c) => 2 / c };

describe('the certified bound with an output bias', () => {
  test('two interpolators of the same data with output bias 0 and 3 get the same bound, equal to the independent minimum', async () => {
    const random = new SeededRandom(41);
    const first = randomModel({ d: 3, m: 5, c: 1, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    first.outputBias![0] = 0;
    // The same function with c0 = 3: one more neuron relu(0 . x + 1) = 1 with output weight -3.
    const m = first.hiddenDim + 1;
    const second: TwoLayerModel = {
      ...first,
      hiddenDim: m,
      hiddenWeights: Float64Array.from([...first.hiddenWeights, 0, 0, 0]),
      hiddenBias: Float64Array.from([...first.hiddenBias!, 1]),
      outputWeights: Float64Array.from([...first.outputWeights, -3]),
      outputBias: Float64Array.of(3),
    };
    const data = withOwnOutputs(first, randomData(60, 3, 1, random));
    for (let i = 0; i < data.n; i++) {
      assert.ok(Math.abs(forward(second, data.inputs, i)[0]! - data.targets[i]!) < 1e-5, 'the second network interpolates the same data');
    }
    const a = await flatnessOf(first, data);
    const b = await flatnessOf(second, data);
    const expected = 4 * bruteForceOneOutput(inputNorms(data, true), data.targets) + 2; // + C0 = tr(2 I)
    assert.ok(relativeError(a.lowerBound.value!, expected) < 1e-9, `bound ${a.lowerBound.value} vs independent ${expected}`);
    assert.ok(relativeError(b.lowerBound.value!, expected) < 1e-9, `bound ${b.lowerBound.value} vs independent ${expected}`);
    for (const flatness of [a, b]) {
      assert.ok(flatness.normalized.value! >= flatness.lowerBound.value! * (1 - 1e-6), `F_sym ${flatness.normalized.value} >= F_LB ${flatness.lowerBound.value}`);
    }
    // The model-specific figures differ: each holds only at its own c0.
    const atZero = 4 * inputNorms(data, true).reduce((s, w, i) => s + w * Math.abs(data.targets[i]!), 0) / data.n + 2;
    const atThree = 4 * inputNorms(data, true).reduce((s, w, i) => s + w * Math.abs(data.targets[i]! - 3), 0) / data.n + 2;
    assert.ok(relativeError(a.lowerBoundAtModelBias!.value!, atZero) < 1e-9);
    assert.ok(relativeError(b.lowerBoundAtModelBias!.value!, atThree) < 1e-9);
    assert.ok(Math.abs(atZero - atThree) > 0.1 * expected, 'the two model-specific values are far apart');
  });

  test('a network attaining the bound: collinear data gives R = 1 exactly, for 1 to 3 outputs and every squared-error convention', async () => {
    // f(x) = a relu(w . x), x_i = r_i w / ||w||: Cauchy-Schwarz and the triangle inequality are equalities.
    const random = new SeededRandom(42);
    for (const c of [1, 2, 3]) {
      for (const loss of ['mse', 'mse-half', 'mse-mean'] as const) {
        const d = 4;
        const w = random.normals(d);
        const wNorm = Math.hypot(...w);
        const model = randomModel({ d, m: 1, c, hiddenBias: false, outputBias: false, activation: { name: 'relu' } }, random);
        model.hiddenWeights = Float64Array.from(w);
        const data = randomData(30, d, c, random);
        for (let i = 0; i < data.n; i++) {
          const r = 0.2 + random.uniform() * 2;
          for (let l = 0; l < d; l++) data.inputs[i * d + l] = (r * w[l]!) / wNorm;
        }
        const exact = withOwnOutputs(model, data);
        const flatness = await flatnessOf(model, exact, loss);
        assert.ok(Math.abs(flatness.ratio.value! - 1) < 1e-5, `${c} outputs, ${loss}: R = ${flatness.ratio.value}`);
        // The bound's value, independently: 2 scale sqrt(c) (1/n) sum ||x_i|| ||y_i||.
        const scale = SCALE[loss](c);
        const norms = inputNorms(exact, false);
        let sum = 0;
        for (let i = 0; i < exact.n; i++) {
          let squared = 0;
          for (let o = 0; o < c; o++) squared += exact.targets[i * c + o]! ** 2;
          sum += norms[i]! * Math.sqrt(squared);
        }
        const expected = (2 * scale * Math.sqrt(c) * sum) / exact.n;
        assert.ok(relativeError(flatness.lowerBound.value!, expected) < 1e-9, `${c} outputs, ${loss}: ${flatness.lowerBound.value} vs ${expected}`);
      }
    }
  });

  test('leaky ReLU carries its slope: on the same collinear data, all samples active, R = 1 / alpha exactly', async () => {
    const random = new SeededRandom(47);
    const d = 3;
    const w = random.normals(d);
    const wNorm = Math.hypot(...w);
    const model = randomModel({ d, m: 1, c: 1, hiddenBias: false, outputBias: false, activation: { name: 'leaky_relu', slope: 0.1 } }, random);
    model.hiddenWeights = Float64Array.from(w);
    const data = randomData(25, d, 1, random);
    for (let i = 0; i < data.n; i++) {
      const r = 0.3 + random.uniform();
      for (let l = 0; l < d; l++) data.inputs[i * d + l] = (r * w[l]!) / wNorm;
    }
    const flatness = await flatnessOf(model, withOwnOutputs(model, data));
    assert.ok(Math.abs(flatness.ratio.value! - 10) < 1e-4, `R = ${flatness.ratio.value}`);
  });

  test('with an output bias the attained bound is the model-specific value; the certified one is the minimum over c and lies below', async () => {
    const random = new SeededRandom(43);
    for (const c of [1, 2]) {
      const d = 3;
      const w = random.normals(d);
      const wNorm = Math.hypot(...w);
      const model = randomModel({ d, m: 1, c, hiddenBias: false, outputBias: true, activation: { name: 'relu' } }, random);
      model.hiddenWeights = Float64Array.from(w);
      model.outputBias = Float64Array.from({ length: c }, (_, o) => 3 + o);
      const data = randomData(40, d, c, random);
      for (let i = 0; i < data.n; i++) {
        const r = 0.2 + random.uniform() * 2;
        for (let l = 0; l < d; l++) data.inputs[i * d + l] = (r * w[l]!) / wNorm;
      }
      const exact = withOwnOutputs(model, data);
      const flatness = await flatnessOf(model, exact);
      const atModel = flatness.lowerBoundAtModelBias!.value!;
      assert.ok(relativeError(atModel, flatness.normalized.value!) < 1e-5, `${c} outputs: at c0 the bound is attained: ${atModel} vs F_sym ${flatness.normalized.value}`);
      assert.ok(flatness.lowerBound.value! <= atModel * (1 + 1e-12), 'the certified bound is a minimum over c, so at most the value at c0');
      // Ignoring the output bias (c = 0) would "certify" more than this interpolator's own F_sym.
      const norms = inputNorms(exact, false);
      let ignoringBias = 0;
      for (let i = 0; i < exact.n; i++) {
        let squared = 0;
        for (let o = 0; o < c; o++) squared += exact.targets[i * c + o]! ** 2;
        ignoringBias += norms[i]! * Math.sqrt(squared);
      }
      ignoringBias = (4 * Math.sqrt(c) * ignoringBias) / exact.n + 2 * c;
      assert.ok(ignoringBias > 1.5 * flatness.normalized.value!, 'the targets sit far from 0, so c = 0 is far from the minimum');
      assert.ok(flatness.lowerBound.value! < flatness.normalized.value! * (1 + 1e-6));
    }
  });

  test('several outputs: the certified bound is the minimum over the vector c, with the factor sqrt(c) and the c0 entry', async () => {
    const random = new SeededRandom(44);
    const c = 2;
    const model = randomModel({ d: 3, m: 6, c, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    model.outputBias = Float64Array.of(2, -1);
    const data = withOwnOutputs(model, randomData(50, 3, c, random));
    const flatness = await flatnessOf(model, data, 'mse');
    const norms = inputNorms(data, true);
    const points = Float64Array.from(data.targets);
    // Independent minimum of S(c) = sum ||u_i|| ||y_i - c||: a fine grid around the coordinate medians, then a finer one.
    const S = (c1: number, c2: number) => norms.reduce((s, w, i) => s + w * Math.hypot(points[2 * i]! - c1, points[2 * i + 1]! - c2), 0);
    let best = { value: Infinity, x: 0, y: 0 };
    let [cx, cy, width] = [0, 0, 20];
    for (let level = 0; level < 8; level++) {
      for (let a = -20; a <= 20; a++) for (let b = -20; b <= 20; b++) {
        const x = cx + (a * width) / 20;
        const y = cy + (b * width) / 20;
        const value = S(x, y);
        if (value < best.value) best = { value, x, y };
      }
      [cx, cy, width] = [best.x, best.y, width / 8];
    }
    const expected = (4 * Math.sqrt(c) * best.value) / data.n + 2 * c;
    assert.ok(relativeError(flatness.lowerBound.value!, expected) < 1e-7, `bound ${flatness.lowerBound.value} vs grid minimum ${expected}`);
    assert.ok(flatness.lowerBound.value! <= expected * (1 + 1e-12), 'certified: never above the minimum');
    assert.ok(flatness.normalized.value! >= flatness.lowerBound.value!);
  });
});

describe('minimum of sum_i w_i ||y_i - c|| over c', () => {
  test('one dimension: equals the best breakpoint, for odd and even counts and ties', () => {
    const random = new SeededRandom(45);
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + (trial % 9);
      const values = Float64Array.from({ length: n }, () => Math.round(random.normal() * 3) / (trial % 2 ? 1 : 7));
      const weights = Float64Array.from({ length: n }, () => (trial % 3 === 0 ? 1 : random.uniform() + 0.01));
      const result = minimizeWeightedDistanceSum(values, weights, 1);
      const expected = bruteForceOneOutput(Array.from(weights), values) * n;
      assert.ok(Math.abs(result.value - expected) <= 1e-12 * (1 + expected), `trial ${trial}: ${result.value} vs ${expected}`);
    }
  });

  test('several dimensions: a certified lower bound within 1e-9 of the minimum; the optimality condition holds at the center', () => {
    const random = new SeededRandom(46);
    for (let trial = 0; trial < 30; trial++) {
      const dim = 2 + (trial % 3);
      const n = 2 + (trial % 11);
      const points = random.normals(n * dim);
      // Some trials put heavy weight on one point, so the minimum sits exactly on it.
      const weights = Float64Array.from({ length: n }, (_, i) => (trial % 4 === 0 && i === 0 ? n : random.uniform() + 0.05));
      const result = minimizeWeightedDistanceSum(points, weights, dim);
      const atCenter = weightedDistanceSum(points, weights, dim, result.center);
      assert.ok(result.value <= atCenter * (1 + 1e-15), 'lower bound below the value at the center');
      assert.ok(atCenter - result.value <= 1e-9 * atCenter, `trial ${trial}: gap ${atCenter - result.value}`);
      // Subgradient condition: || sum over points away from c of w_i (y_i - c) / ||y_i - c|| || <= weight at c.
      const pull = new Float64Array(dim);
      let held = 0;
      for (let i = 0; i < n; i++) {
        const diff = Array.from({ length: dim }, (_, o) => points[i * dim + o]! - result.center[o]!);
        const length = Math.hypot(...diff);
        if (length < 1e-9) { held += weights[i]!; continue; }
        diff.forEach((v, o) => { pull[o]! += (weights[i]! * v) / length; });
      }
      const total = weights.reduce((s, v) => s + v, 0);
      assert.ok(Math.hypot(...pull) <= held + 1e-5 * total, `trial ${trial}: pull ${Math.hypot(...pull)} vs held ${held}`);
      // No random point does better than the certified value.
      for (let probe = 0; probe < 50; probe++) {
        const c = Float64Array.from({ length: dim }, (_, o) => result.center[o]! + random.normal() * 0.3);
        assert.ok(weightedDistanceSum(points, weights, dim, c) >= result.value);
      }
    }
  });
});
