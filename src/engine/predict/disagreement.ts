import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import { SeededRandom } from '../math/random';
import type { TrainingArrays } from './trainer';

/**
 * How far a model's function is from the flattest interpolators found, off the training points:
 * D = mean over the references g_k and the probe inputs of ||f(x) - g_k(x)||^2. Both interpolate
 * the training points, so their difference there is ~0; what separates a generalizing interpolator
 * from a memorizing one is what it does between them. D depends on the function only (the
 * rescaling symmetry cannot move it).
 *
 * Several references, found from different seeds: each is one draw of "the flattest interpolator"
 * with errors of its own (under label noise it fits the noise its own way). D estimates
 * E ||f - g||^2 for g a draw independent of f: the mean over the references f was not built from.
 * A reference is compared with the others only (with one reference it alone would get D = 0,
 * however it generalizes, and with the mean over all it would get half an independent model's
 * expected D); a model built on a reference (a bump added to it) is compared with the others too.
 */

/**
 * Probe inputs drawn like the training inputs without a model of their distribution: each is
 * mu + (x_i - mu) cos(theta) + (x_j - mu) sin(theta) for two distinct training rows and a uniform
 * angle. The mean and covariance match the training inputs' (in expectation), and for Gaussian
 * inputs the probes have exactly the inputs' distribution.
 */
export function probeInputs(arrays: TrainingArrays, count: number, seed: number): Float64Array {
  const { n, d, x } = arrays;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let l = 0; l < d; l++) mean[l] = mean[l]! + x[i * d + l]! / n;
  const random = new SeededRandom(seed);
  const probes = new Float64Array(count * d);
  for (let p = 0; p < count; p++) {
    const i = Math.min(n - 1, Math.floor(random.uniform() * n));
    let j = n > 1 ? Math.min(n - 2, Math.floor(random.uniform() * (n - 1))) : 0;
    if (n > 1 && j >= i) j++;
    const angle = 2 * Math.PI * random.uniform();
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    for (let l = 0; l < d; l++) {
      probes[p * d + l] = mean[l]! + (x[i * d + l]! - mean[l]!) * cos + (x[j * d + l]! - mean[l]!) * sin;
    }
  }
  return probes;
}

/**
 * f(x) for `count` row-major inputs (count x c), in float64: D compares two interpolators that agree
 * on the training points, so f - f_ref is small and float32 outputs would move D (and the
 * prediction of a rescaled copy) by ~1e-5 relative.
 */
export function networkOutputs(model: TwoLayerModel, inputs: Float64Array, count: number): Float64Array {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const sigma = makeActivation(model.activation).value;
  const out = new Float64Array(count * c);
  const W = model.hiddenWeights;
  const A = model.outputWeights;
  for (let p = 0; p < count; p++) {
    for (let o = 0; o < c; o++) out[p * c + o] = model.outputBias ? model.outputBias[o]! : 0;
    for (let j = 0; j < m; j++) {
      let z = model.hiddenBias ? model.hiddenBias[j]! : 0;
      for (let l = 0; l < d; l++) z += W[j * d + l]! * inputs[p * d + l]!;
      const h = sigma(z);
      if (h === 0) continue;
      for (let o = 0; o < c; o++) out[p * c + o] = out[p * c + o]! + A[o * m + j]! * h;
    }
  }
  return out;
}

/** The probes and the reference functions' values on them, computed once per training set. */
export interface DisagreementProbe {
  inputs: Float64Array;
  count: number;
  /** One array of values per reference (count x c each). */
  referenceValues: Float64Array[];
  /** Mean over the probes of ||g_k(x)||^2, per reference: the scale of "same function". */
  referenceSquares: number[];
}

export const PROBE_COUNT = 1000;

/**
 * A model whose mean squared difference from a reference is at most this share of the reference's
 * mean square computes the same function up to float rounding (float32 weights move it by ~1e-14):
 * it is that reference (e.g. the found network saved and analyzed again, or a rescaled copy of it).
 */
export const SAME_FUNCTION = 1e-10;

export function makeProbe(arrays: TrainingArrays, references: readonly TwoLayerModel[], seed: number, count = PROBE_COUNT): DisagreementProbe {
  if (references.length === 0) throw new Error('the disagreement probe needs at least one reference interpolator');
  const inputs = probeInputs(arrays, count, seed);
  const referenceValues = references.map((reference) => networkOutputs(reference, inputs, count));
  const referenceSquares = referenceValues.map((values) => values.reduce((sum, v) => sum + v * v, 0) / count);
  return { inputs, count, referenceValues, referenceSquares };
}

/** (1/P) sum_p ||f(x_p) - g_k(x_p)||^2 for each reference g_k. */
export function referenceDisagreements(model: TwoLayerModel, probe: DisagreementProbe): number[] {
  const values = networkOutputs(model, probe.inputs, probe.count);
  return probe.referenceValues.map((reference) => {
    let sum = 0;
    for (let q = 0; q < values.length; q++) sum += (values[q]! - reference[q]!) ** 2;
    return sum / probe.count;
  });
}

/**
 * D: the mean of referenceDisagreements over the references the model is independent of. The
 * caller may name the reference the model was built from (`builtFrom`, an index into the probe's
 * references); a reference whose function the model reproduces (SAME_FUNCTION) is left out as
 * well. With no reference left (a single one, and the model is it), the mean over all.
 */
export function disagreement(model: TwoLayerModel, probe: DisagreementProbe, builtFrom: number | null = null): number {
  const each = referenceDisagreements(model, probe);
  const independent = each.filter((value, k) => k !== builtFrom && value > SAME_FUNCTION * probe.referenceSquares[k]!);
  const used = independent.length ? independent : each;
  return used.reduce((sum, value) => sum + value, 0) / used.length;
}
