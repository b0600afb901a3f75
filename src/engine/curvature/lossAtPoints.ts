import { tf } from '../compute/tf';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import { type LossSpec, evaluateSampleLoss, targetLayout } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { defaultChunkRows, forEachPreactivationChunk } from '../compute/preactivations';
import { backendProduct } from './backendProducts';
import { parameterLayout } from './parameterVector';
import { inputRows } from './inMemoryRows';

/**
 * A parameter point near the model: theta' = S(theta) + sum_i c_i d_i, where S rescales every
 * neuron by one common t (preactivationScale = t multiplies (w_j, b_j), outputScale = t^-k
 * multiplies a_j; both 1 by default) and the terms list the directions used (index, c_i).
 */
export interface ParameterPoint {
  terms: Array<readonly [number, number]>;
  preactivationScale?: number;
  outputScale?: number;
}

/**
 * Empirical loss at many points in one streamed pass. Pre-activations are linear in (W, b), so
 * z(theta') = t z + sum_i c_i (D_i x + d_i): the data is multiplied once by the model and once
 * by every direction (one backend product per chunk), and each point then costs only the
 * per-sample activation and loss work, in float64.
 */
export async function lossAtPoints(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  directions: Float64Array[],
  points: ParameterPoint[],
  context?: ComputeContext,
  chunkRows?: number,
): Promise<number[]> {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const layout = parameterLayout(model);
  const layoutOfTargets = targetLayout(loss, model, data);
  const activation = makeActivation(model.activation);
  const isRelu = model.activation.name === 'relu';
  const sigma = activation.value;
  const q = directions.length;
  const width = q * m;
  let directionTensor: tf.Tensor2D | null = null;
  if (q > 0) {
    const transposed = new Float32Array(d * width);
    directions.forEach((direction, i) => {
      for (let j = 0; j < m; j++) for (let l = 0; l < d; l++) transposed[l * width + i * m + j] = direction[j * d + l]!;
    });
    directionTensor = tf.tensor2d(transposed, [d, width]);
  }
  // Per point: the output weights (m x c neuron-major) and output bias it uses.
  const pointOutputs = points.map((point) => {
    const weights = new Float64Array(m * c);
    const bias = new Float64Array(c);
    const outputScale = point.outputScale ?? 1;
    for (let o = 0; o < c; o++) {
      for (let j = 0; j < m; j++) weights[j * c + o] = outputScale * model.outputWeights[o * m + j]!;
      bias[o] = model.outputBias ? model.outputBias[o]! : 0;
    }
    for (const [index, coefficient] of point.terms) {
      const direction = directions[index]!;
      for (let o = 0; o < c; o++) {
        for (let j = 0; j < m; j++) weights[j * c + o] = weights[j * c + o]! + coefficient * direction[layout.outputWeightsOffset + o * m + j]!;
        if (layout.hasOutputBias) bias[o] = bias[o]! + coefficient * direction[layout.outputBiasOffset + o]!;
      }
    }
    return { weights, bias };
  });
  const sums = new Float64Array(points.length);
  const output = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);
  const z = new Float64Array(m);
  const zeroBias = new Float64Array(m);
  const zeroProjection = new Float32Array(m);
  const hiddenBiasOf = directions.map((direction) =>
    layout.hasHiddenBias ? direction.subarray(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m) : zeroBias);
  // Keeps the per-chunk direction products near 64 MB however many directions there are.
  const rowsPerChunk = Math.max(16, Math.min(chunkRows ?? defaultChunkRows(model), Math.floor((1 << 24) / Math.max(1, width))));
  try {
    await forEachPreactivationChunk(model, data, async (chunk) => {
      const { rows, start } = chunk;
      const base = chunk.preactivations;
      let projected: Float32Array = new Float32Array(0);
      if (directionTensor) {
        const inputs = inputRows(data, start, rows);
        projected = await backendProduct(() => tf.matMul(tf.tensor2d(inputs, [rows, d]), directionTensor!));
      }
      for (let r = 0; r < rows; r++) {
        const row = r * m;
        for (let k = 0; k < points.length; k++) {
          const point = points[k]!;
          const { weights, bias } = pointOutputs[k]!;
          const scale = point.preactivationScale ?? 1;
          const terms = point.terms;
          if (c === 1 && isRelu && terms.length <= 2) {
            // The common case (one output, ReLU, a line or a plane), fused into one loop.
            const first = terms[0];
            const second = terms[1];
            output[0] = bias[0]! + (!first ? reluScaledOutput(m, base, row, scale, weights) : reluPlaneOutput(
              m, base, row, scale, weights,
              first ? projected : zeroProjection, first ? r * width + first[0] * m : 0, first ? hiddenBiasOf[first[0]]! : zeroBias, first ? first[1] : 0,
              second ? projected : zeroProjection, second ? r * width + second[0] * m : 0, second ? hiddenBiasOf[second[0]]! : zeroBias, second ? second[1] : 0,
            ));
          } else {
            for (let j = 0; j < m; j++) z[j] = scale * base[row + j]!;
            for (const [index, coefficient] of terms) {
              const offset = r * width + index * m;
              const hiddenBias = hiddenBiasOf[index]!;
              for (let j = 0; j < m; j++) z[j] = z[j]! + coefficient * (projected[offset + j]! + hiddenBias[j]!);
            }
            for (let o = 0; o < c; o++) output[o] = bias[o]!;
            for (let j = 0; j < m; j++) {
              const value = sigma(z[j]!);
              if (value !== 0) for (let o = 0; o < c; o++) output[o] = output[o]! + weights[j * c + o]! * value;
            }
          }
          sums[k] = sums[k]! + evaluateSampleLoss(loss, layoutOfTargets, output, data.targets, start + r, gradient, probabilities);
        }
      }
    }, { chunkRows: rowsPerChunk }, context, 'loss landscape');
  } finally {
    directionTensor?.dispose();
  }
  return Array.from(sums, (sum) => sum / data.n);
}

/**
 * sum_j a_j relu(t z_j + c1 (p1_j + b1_j) + c2 (p2_j + b2_j)) for one sample: the hot loop of
 * the landscape, kept small and monomorphic, branch-free (relu(v) = (v + |v|) / 2, exact).
 */
function reluPlaneOutput(
  m: number, base: Float32Array, row: number, scale: number, weights: Float64Array,
  p1: Float32Array, o1: number, b1: Float64Array, c1: number,
  p2: Float32Array, o2: number, b2: Float64Array, c2: number,
): number {
  let twice = 0;
  for (let j = 0; j < m; j++) {
    const value = scale * base[row + j]! + c1 * (p1[o1 + j]! + b1[j]!) + c2 * (p2[o2 + j]! + b2[j]!);
    twice += weights[j]! * (value + Math.abs(value));
  }
  return 0.5 * twice;
}

/** sum_j a_j relu(t z_j) for one sample (the rescaling-orbit points). */
function reluScaledOutput(m: number, base: Float32Array, row: number, scale: number, weights: Float64Array): number {
  let twice = 0;
  for (let j = 0; j < m; j++) {
    const value = scale * base[row + j]!;
    twice += weights[j]! * (value + Math.abs(value));
  }
  return 0.5 * twice;
}
