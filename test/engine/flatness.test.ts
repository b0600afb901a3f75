import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { testBackend } from '../helpers/testBackend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { buildFlatnessSection } from '../../src/engine/analysis/flatness';
import { makeLossSpec } from '../../src/engine/math/losses';
import { makeActivation } from '../../src/engine/math/activations';
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import type { LossKind } from '../../src/shared/report';
import {
  finiteDifferenceHessian, flatten, forward, randomData, randomModel, referenceLoss, relativeError,
  rescale, unflatten,
} from '../helpers/tinyNetworks';

const ACTIVATIONS: ActivationSpec[] = [
  { name: 'relu' }, { name: 'leaky_relu', slope: 0.1 }, { name: 'relu_pow', power: 3 }, { name: 'square' },
  { name: 'abs' }, { name: 'linear' }, { name: 'tanh' }, { name: 'sigmoid' }, { name: 'gelu' },
  { name: 'softplus' }, { name: 'elu', alpha: 0.7 },
];
const LOSSES: LossKind[] = ['mse', 'mse-half', 'mse-mean', 'ce'];
const BIASES: Array<[boolean, boolean]> = [[false, false], [true, false], [false, true], [true, true]];

interface Case { model: TwoLayerModel; data: Dataset; loss: LossKind; label: string }

function makeCase(activation: ActivationSpec, loss: LossKind, hiddenBias: boolean, outputBias: boolean, seed: number): Case {
  const random = new SeededRandom(seed);
  const c = 2;
  const d = 3;
  const model = randomModel({ d, m: 3, c, hiddenBias, outputBias, activation }, random);
  const data = loss === 'ce' ? randomData(7, d, 1, random, c) : randomData(7, d, c, random);
  return { model, data, loss, label: `${activation.name} ${loss} hiddenBias=${hiddenBias} outputBias=${outputBias}` };
}

/** Parameter indices of neuron j's input weights and bias, of a_j, and of c0 in flatten() order. */
function blocks(model: TwoLayerModel) {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const biasStart = m * d;
  const outputStart = biasStart + (model.hiddenBias ? m : 0);
  const outputBiasStart = outputStart + c * m;
  return {
    input: (j: number) => [...Array.from({ length: d }, (_, l) => j * d + l), ...(model.hiddenBias ? [biasStart + j] : [])],
    output: (j: number) => Array.from({ length: c }, (_, o) => outputStart + o * m + j),
    outputBias: model.outputBias ? Array.from({ length: c }, (_, o) => outputBiasStart + o) : [],
  };
}

/** Gauss-Newton diagonal (1/n) sum_i J_i^T Lambda_i J_i from a finite-difference Jacobian of f. */
function gaussNewtonDiagonal(model: TwoLayerModel, data: Dataset, loss: LossKind): Float64Array {
  const theta = flatten(model);
  const c = model.outputDim;
  const h = 1e-6;
  const diagonal = new Float64Array(theta.length);
  for (let i = 0; i < data.n; i++) {
    const f = forward(model, data.inputs, i);
    let lambda: number[][];
    if (loss === 'ce') {
      const max = Math.max(...f);
      const e = f.map((v) => Math.exp(v - max));
      const z = e.reduce((s, v) => s + v, 0);
      const p = e.map((v) => v / z);
      lambda = p.map((pi, a) => p.map((pj, b) => (a === b ? pi : 0) - pi * pj));
    } else {
      const scale = loss === 'mse' ? 2 : loss === 'mse-half' ? 1 : 2 / c;
      lambda = f.map((_, a) => f.map((__, b) => (a === b ? scale : 0)));
    }
    for (let p = 0; p < theta.length; p++) {
      const plus = theta.slice(); plus[p]! += h;
      const minus = theta.slice(); minus[p]! -= h;
      const fp = forward(unflatten(model, plus), data.inputs, i);
      const fm = forward(unflatten(model, minus), data.inputs, i);
      const column = fp.map((v, o) => (v - fm[o]!) / (2 * h));
      let quadratic = 0;
      for (let a = 0; a < c; a++) for (let b = 0; b < c; b++) quadratic += column[a]! * lambda[a]![b]! * column[b]!;
      diagonal[p]! += quadratic / data.n;
    }
  }
  return diagonal;
}

function sumAt(values: ArrayLike<number>, indices: number[]): number {
  return indices.reduce((s, p) => s + values[p]!, 0);
}

function closeTo(actual: number, expected: number, scale: number, what: string): void {
  const tolerance = 2e-4 * Math.abs(expected) + 2e-5 * scale;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: engine ${actual} vs reference ${expected} (tolerance ${tolerance})`);
}

/**
 * Trace of the Hessian by second differences, written without the engine. Each step is scaled to
 * its neuron's weights (w_j, b_j) or a_j, so that rescaled neurons neither cross a kink nor drown
 * in rounding.
 */
function referenceTrace(model: TwoLayerModel, data: Dataset, loss: LossKind): number {
  const theta = flatten(model);
  const index = blocks(model);
  const steps = new Float64Array(theta.length).fill(1e-4);
  for (let j = 0; j < model.hiddenDim; j++) {
    for (const group of [index.input(j), index.output(j)]) {
      const norm = Math.sqrt(group.reduce((s, p) => s + theta[p]! ** 2, 0));
      for (const p of group) steps[p] = 1e-4 * Math.max(norm, 1e-12);
    }
  }
  const center = referenceLoss(model, data, loss);
  let trace = 0;
  for (let p = 0; p < theta.length; p++) {
    const h = steps[p]!;
    const plus = theta.slice(); plus[p]! += h;
    const minus = theta.slice(); minus[p]! -= h;
    trace += (referenceLoss(unflatten(model, plus), data, loss) - 2 * center + referenceLoss(unflatten(model, minus), data, loss)) / (h * h);
  }
  return trace;
}

/** Flattest rescaling by golden-section search on each neuron's log-scale (the trace is separable). */
function referenceNormalizedFlatness(model: TwoLayerModel, data: Dataset, loss: LossKind, k: number): number {
  const scales = new Float64Array(model.hiddenDim).fill(1);
  const golden = (Math.sqrt(5) - 1) / 2;
  for (let j = 0; j < model.hiddenDim; j++) {
    const traceAt = (logT: number) => {
      const trial = scales.slice(); trial[j] = Math.exp(logT);
      return referenceTrace(rescale(model, trial, k), data, loss);
    };
    let low = Math.log(1e-2);
    let high = Math.log(1e2);
    let x1 = high - golden * (high - low);
    let x2 = low + golden * (high - low);
    let f1 = traceAt(x1);
    let f2 = traceAt(x2);
    for (let iteration = 0; iteration < 60; iteration++) {
      if (f1 < f2) { high = x2; x2 = x1; f2 = f1; x1 = high - golden * (high - low); f1 = traceAt(x1); }
      else { low = x1; x1 = x2; f1 = f2; x2 = low + golden * (high - low); f2 = traceAt(x2); }
    }
    scales[j] = Math.exp((low + high) / 2);
  }
  return referenceTrace(rescale(model, scales, k), data, loss);
}

before(async () => { await initBackend(testBackend()); });

describe('exact trace against a dense finite-difference Hessian', () => {
  let seed = 100;
  for (const activation of ACTIVATIONS) {
    for (const loss of LOSSES) {
      for (const [hiddenBias, outputBias] of BIASES) {
        const testCase = makeCase(activation, loss, hiddenBias, outputBias, seed++);
        test(testCase.label, async () => {
          const { model, data } = testCase;
          const spec = makeLossSpec(loss, model.outputDim);
          const sums = await computeCurvatureSums(model, data, spec, { withInvariantDiagonal: true });
          const flatness = buildFlatnessSection(model, spec, sums);
          const theta = flatten(model);
          const hessian = finiteDifferenceHessian((t) => referenceLoss(unflatten(model, t), data, loss), theta);
          const diagonal = hessian.map((row, p) => row[p]!);
          const gaussNewton = gaussNewtonDiagonal(model, data, loss);
          const traceReference = diagonal.reduce((s, v) => s + v, 0);
          const scale = diagonal.reduce((s, v) => s + Math.abs(v), 0) + 1e-3;
          closeTo(flatness.trace, traceReference, scale, 'trace');
          closeTo(sums.lossValue, referenceLoss(model, data, loss), 1, 'loss');
          const index = blocks(model);
          for (let j = 0; j < model.hiddenDim; j++) {
            closeTo(sums.neuronA[j]!, sumAt(diagonal, index.output(j)), scale, `A_${j}`);
            closeTo(sums.neuronB[j]!, sumAt(gaussNewton, index.input(j)), scale, `B_${j}`);
            closeTo(sums.neuronC[j]!, sumAt(diagonal, index.input(j)) - sumAt(gaussNewton, index.input(j)), scale, `C_${j}`);
          }
          closeTo(flatness.parts.outputBias, sumAt(diagonal, index.outputBias), scale, 'C0');
          const invariant = diagonal.reduce((s, v, p) => s + theta[p]! ** 2 * v, 0);
          closeTo(sums.invariantDiagonal!, invariant, diagonal.reduce((s, v, p) => s + theta[p]! ** 2 * Math.abs(v), 0) + 1e-3, 'sum theta^2 H_pp');
          if (makeActivation(activation).piecewiseLinear) {
            for (let j = 0; j < model.hiddenDim; j++) assert.equal(sums.neuronC[j], 0, 'C_j vanishes for piecewise-linear activations');
          }
        });
      }
    }
  }
});

describe('symmetry-normalized flatness against a direct search over each neuron\'s orbit', () => {
  let seed = 500;
  for (const activation of ACTIVATIONS.filter((a) => makeActivation(a).homogeneityDegree !== null)) {
    for (const loss of LOSSES) {
      for (const [hiddenBias, outputBias] of BIASES) {
        const testCase = makeCase(activation, loss, hiddenBias, outputBias, seed++);
        test(testCase.label, async () => {
          const { model, data } = testCase;
          const k = makeActivation(activation).homogeneityDegree!;
          const spec = makeLossSpec(loss, model.outputDim);
          const sums = await computeCurvatureSums(model, data, spec);
          const flatness = buildFlatnessSection(model, spec, sums);
          if (flatness.normalized.value === null) {
            // Negative curvature along some orbit: the trace must fall without bound as t -> 0.
            const bad = flatness.perNeuron.find((row) => row.status === 'not-at-minimum');
            assert.ok(bad, 'null normalized flatness names a neuron that is not at a minimum');
            const scales = new Float64Array(model.hiddenDim).fill(1);
            scales[bad.index] = 1e-2;
            const small = referenceTrace(rescale(model, scales, k), data, loss);
            scales[bad.index] = 1e-3;
            const smaller = referenceTrace(rescale(model, scales, k), data, loss);
            assert.ok(smaller < small && smaller < -10 * Math.abs(flatness.trace), `trace ${small} -> ${smaller} decreases without bound`);
            return;
          }
          const reference = referenceNormalizedFlatness(model, data, loss, k);
          assert.ok(relativeError(flatness.normalized.value, reference) < 1e-3,
            `normalized flatness ${flatness.normalized.value} vs direct search ${reference}`);
          assert.ok(flatness.normalized.value <= flatness.trace * (1 + 1e-9), 'F_sym <= raw trace');
        });
      }
    }
  }
});
