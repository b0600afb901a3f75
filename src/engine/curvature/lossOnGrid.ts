import { tf } from '../compute/tf';
import type { Dataset } from '../data/types';
import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { type LossSpec, evaluateSampleLoss, targetLayout } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { forEachPreactivationChunk } from '../compute/preactivations';
import { backendProduct } from './backendProducts';
import { parameterLayout } from './parameterVector';
import { inputRows } from './inMemoryRows';

/** sigma(v) = linear v + kink relu(v) for the piecewise-linear activations with one kink at 0. */
export function piecewiseLinearParts(spec: ActivationSpec): { linear: number; kink: number } | null {
  switch (spec.name) {
    case 'relu': return { linear: 0, kink: 1 };
    case 'leaky_relu': { const slope = spec.slope ?? 0.01; return { linear: slope, kink: 1 - slope }; }
    case 'abs': return { linear: -1, kink: 2 };
    case 'linear': return { linear: 1, kink: 0 };
    default: return null;
  }
}

/**
 * Loss on the grid theta + x_k d1 + y d2 (x_k = xs[0] + k h uniform, y in ys), exactly, for a
 * piecewise-linear activation. Along x every pre-activation is affine, z + x r, and every output
 * weight too, a + x e, so each (sample, neuron) pair contributes the quadratic (a + x e)(z + x r)
 * on one side of its kink x* = -z / r: the pair's three coefficients are added at the grid index
 * of x* in a difference array, and a prefix sum gives f at all K grid points. One pass over the
 * data costs O(n m |ys|) instead of O(n m K |ys|). Returns loss[iy][k].
 */
export async function lossOnGrid(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  d1: Float64Array,
  xs: number[],
  d2: Float64Array | null,
  ys: number[],
  context?: ComputeContext,
  chunkRows?: number,
): Promise<number[][]> {
  const parts = piecewiseLinearParts(model.activation);
  if (!parts) throw new RangeError(`lossOnGrid needs a piecewise-linear activation, not ${model.activation.name}`);
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const layout = parameterLayout(model);
  const targets = targetLayout(loss, model, data);
  const K = xs.length;
  const x0 = xs[0]!;
  const h = K > 1 ? (xs[K - 1]! - x0) / (K - 1) : 1;
  const directions = d2 ? [d1, d2] : [d1];
  const width = directions.length * m;
  const transposed = new Float32Array(d * width);
  directions.forEach((direction, i) => {
    for (let j = 0; j < m; j++) for (let l = 0; l < d; l++) transposed[l * width + i * m + j] = direction[j * d + l]!;
  });
  const directionTensor = tf.tensor2d(transposed, [d, width]);
  const blockOf = (direction: Float64Array | null) => {
    const outputs = new Float64Array(m * c);  // neuron-major
    const hiddenBias = new Float64Array(m);
    const outputBias = new Float64Array(c);
    if (direction) {
      for (let o = 0; o < c; o++) for (let j = 0; j < m; j++) outputs[j * c + o] = direction[layout.outputWeightsOffset + o * m + j]!;
      if (layout.hasHiddenBias) hiddenBias.set(direction.subarray(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m));
      if (layout.hasOutputBias) outputBias.set(direction.subarray(layout.outputBiasOffset, layout.outputBiasOffset + c));
    }
    return { outputs, hiddenBias, outputBias };
  };
  const model0 = blockOf(null);
  for (let o = 0; o < c; o++) {
    for (let j = 0; j < m; j++) model0.outputs[j * c + o] = model.outputWeights[o * m + j]!;
    model0.outputBias[o] = model.outputBias ? model.outputBias[o]! : 0;
  }
  const first = blockOf(d1);
  const second = blockOf(d2);
  const sums = ys.map(() => new Float64Array(K));
  // Difference arrays of the kink part's coefficients (constant, x, x^2) per output, and the
  // always-on linear part's coefficients.
  const difference = new Float64Array((K + 1) * 3 * c);
  const always = new Float64Array(3 * c);
  const weightsByY = ys.map((y) => model0.outputs.map((value, e) => value + y * second.outputs[e]!));
  const output = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);
  const { linear, kink } = parts;
  try {
    await forEachPreactivationChunk(model, data, async (chunk) => {
      const { rows, start } = chunk;
      const inputs = inputRows(data, start, rows);
      const projected = await backendProduct(() => tf.matMul(tf.tensor2d(inputs, [rows, d]), directionTensor));
      // Row by row, every y for the row: its m pre-activations and projections stay in cache.
      for (let r = 0; r < rows; r++) {
        for (let iy = 0; iy < ys.length; iy++) {
          const y = ys[iy]!;
          const weightsAtY = weightsByY[iy]!;
          const total = sums[iy]!;
          difference.fill(0);
          always.fill(0);
          if (c === 1) {
            scalarKinks(
              m, K, x0, h, chunk.preactivations, r * m, projected, r * width, d2 ? r * width + m : -1, y,
              first.hiddenBias, second.hiddenBias, weightsAtY, first.outputs, linear, kink, difference, always,
            );
          } else {
            vectorKinks(
              m, c, K, x0, h, chunk.preactivations, r * m, projected, r * width, d2 ? r * width + m : -1, y,
              first.hiddenBias, second.hiddenBias, weightsAtY, first.outputs, linear, kink, difference, always,
            );
          }
          for (let o = 0; o < c; o++) {
            let s0 = always[o * 3]!;
            let s1 = always[o * 3 + 1]!;
            let s2 = always[o * 3 + 2]!;
            const bias = model0.outputBias[o]! + y * second.outputBias[o]!;
            for (let k = 0; k < K; k++) {
              s0 += difference[(k * c + o) * 3]!;
              s1 += difference[(k * c + o) * 3 + 1]!;
              s2 += difference[(k * c + o) * 3 + 2]!;
              const x = xs[k]!;
              // Stash f_o(x_k) in the difference array's slot (k, o, 0), consumed below.
              difference[(k * c + o) * 3] = bias + x * first.outputBias[o]! + s0 + x * (s1 + x * s2);
            }
          }
          for (let k = 0; k < K; k++) {
            for (let o = 0; o < c; o++) output[o] = difference[(k * c + o) * 3]!;
            total[k] = total[k]! + evaluateSampleLoss(loss, targets, output, data.targets, start + r, gradient, probabilities);
          }
        }
      }
    }, { chunkRows }, context, 'loss landscape');
  } finally {
    directionTensor.dispose();
  }
  return sums.map((row) => Array.from(row, (sum) => sum / data.n));
}

/**
 * The pair loop of one sample for c outputs: pair j adds (a_jo + x e_jo)(z_j + x r_j) to output o,
 * its linear part everywhere and its kink part on the grid indices [low, high) where z_j + x r_j > 0.
 */
function vectorKinks(
  m: number, c: number, K: number, x0: number, h: number,
  base: Float32Array, baseOffset: number, projected: Float32Array, slopeOffset: number, planeOffset: number, y: number,
  slopeBias: Float64Array, planeBias: Float64Array, weights: Float64Array, weightSlopes: Float64Array,
  linear: number, kink: number, difference: Float64Array, always: Float64Array,
): void {
  for (let j = 0; j < m; j++) {
    let z = base[baseOffset + j]!;
    if (planeOffset >= 0) z += y * (projected[planeOffset + j]! + planeBias[j]!);
    const slope = projected[slopeOffset + j]! + slopeBias[j]!;
    const low = firstActiveStep(z, slope, x0, h, K);
    const high = endActiveStep(z, slope, x0, h, K);
    const active = kink !== 0 && low < high;
    if (!active && linear === 0) continue;
    for (let o = 0; o < c; o++) {
      const a = weights[j * c + o]!;
      const e = weightSlopes[j * c + o]!;
      const q0 = a * z;
      const q1 = a * slope + e * z;
      const q2 = e * slope;
      if (linear !== 0) {
        always[o * 3] = always[o * 3]! + linear * q0;
        always[o * 3 + 1] = always[o * 3 + 1]! + linear * q1;
        always[o * 3 + 2] = always[o * 3 + 2]! + linear * q2;
      }
      if (active) {
        const lowSlot = (low * c + o) * 3;
        const highSlot = (high * c + o) * 3;
        difference[lowSlot] = difference[lowSlot]! + kink * q0;
        difference[lowSlot + 1] = difference[lowSlot + 1]! + kink * q1;
        difference[lowSlot + 2] = difference[lowSlot + 2]! + kink * q2;
        difference[highSlot] = difference[highSlot]! - kink * q0;
        difference[highSlot + 1] = difference[highSlot + 1]! - kink * q1;
        difference[highSlot + 2] = difference[highSlot + 2]! - kink * q2;
      }
    }
  }
}

/**
 * The grid steps k in [low, high) where the neuron with pre-activation z + slope (x0 + k h) is
 * active: first index, then one past the last, both clamped to [0, K].
 */
function firstActiveStep(z: number, slope: number, x0: number, h: number, K: number): number {
  if (!(slope > 0)) return 0;
  const low = Math.floor((-z / slope - x0) / h) + 1;
  return low < 0 ? 0 : low > K ? K : low;
}

function endActiveStep(z: number, slope: number, x0: number, h: number, K: number): number {
  if (slope > 0) return K;
  if (slope < 0) {
    const high = Math.ceil((-z / slope - x0) / h);
    return high < 0 ? 0 : high > K ? K : high;
  }
  return z > 0 ? K : 0;
}

/** The pair loop of one sample for a single output, kept small and monomorphic (the hot loop). */
function scalarKinks(
  m: number, K: number, x0: number, h: number,
  base: Float32Array, baseOffset: number, projected: Float32Array, slopeOffset: number, planeOffset: number, y: number,
  slopeBias: Float64Array, planeBias: Float64Array, weights: Float64Array, weightSlopes: Float64Array,
  linear: number, kink: number, difference: Float64Array, always: Float64Array,
): void {
  let l0 = 0;
  let l1 = 0;
  let l2 = 0;
  for (let j = 0; j < m; j++) {
    let z = base[baseOffset + j]!;
    if (planeOffset >= 0) z += y * (projected[planeOffset + j]! + planeBias[j]!);
    const slope = projected[slopeOffset + j]! + slopeBias[j]!;
    const a = weights[j]!;
    const e = weightSlopes[j]!;
    const q0 = kink * a * z;
    const q1 = kink * (a * slope + e * z);
    const q2 = kink * e * slope;
    l0 += a * z;
    l1 += a * slope + e * z;
    l2 += e * slope;
    const low = firstActiveStep(z, slope, x0, h, K);
    const high = endActiveStep(z, slope, x0, h, K);
    if (low < high) {
      difference[low * 3] = difference[low * 3]! + q0;
      difference[low * 3 + 1] = difference[low * 3 + 1]! + q1;
      difference[low * 3 + 2] = difference[low * 3 + 2]! + q2;
      difference[high * 3] = difference[high * 3]! - q0;
      difference[high * 3 + 1] = difference[high * 3 + 1]! - q1;
      difference[high * 3 + 2] = difference[high * 3 + 2]! - q2;
    }
  }
  always[0] = always[0]! + linear * l0;
  always[1] = always[1]! + linear * l1;
  always[2] = always[2]! + linear * l2;
}
