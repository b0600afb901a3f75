import { tf } from '../compute/tf';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { type LossSpec, evaluateSampleLoss, targetLayout } from '../math/losses';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from '../compute/context';
import { activationFirstDerivative, applyActivation } from '../compute/activationTensors';
import { readAndDispose } from '../compute/read';
import { defaultChunkRows } from '../compute/preactivations';
import { parameterLayout, unflattenParameters } from './parameterVector';
import { inputRows } from './inMemoryRows';
import { type LossAndGradient, lossAndGradient } from './gradient';
import type { ProductPath } from './lossOperator';

/** Most float32 values of one per-chunk P x m x rows tensor (16 MB). */
const CHUNK_VALUES = 1 << 22;

/**
 * Exact loss and gradient of the network at P parameter points (flat vectors in
 * parameterVector.ts order, same architecture as `model`), in one pass over the data with every
 * O(rows m d) step a batched backend product. Per chunk, in a points x neurons x rows layout that
 * keeps every product plain (no transposed operand):
 *   Z^T = W X^T + b,  F^T = A sigma(Z^T) + c0            (read back: P x c x rows)
 *   g = dl/df per sample, in float64 in JavaScript       (uploaded: P x rows x c)
 *   dA^T = sigma(Z^T) g,  delta^T = (A^T g^T) o sigma'(Z^T),  dW = delta^T X,  db = sum_rows delta^T
 * Losses and gradients are float32 per chunk and accumulated over chunks in float64. Below ~1e6
 * multiply-adds per pass ('auto') the points go one by one through the operator's float64 path.
 */
export function lossesAndGradients(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  points: readonly Float64Array[],
  context?: ComputeContext,
  chunkRows?: number,
  products: 'auto' | ProductPath = 'auto',
): Promise<LossAndGradient[]> {
  return evaluatePoints(model, data, loss, points, true, context, chunkRows, products);
}

/** The losses alone at P parameter points: the forward half of lossesAndGradients. */
export async function lossesAtParameters(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  points: readonly Float64Array[],
  context?: ComputeContext,
  chunkRows?: number,
  products: 'auto' | ProductPath = 'auto',
): Promise<number[]> {
  return (await evaluatePoints(model, data, loss, points, false, context, chunkRows, products)).map((result) => result.loss);
}

async function evaluatePoints(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  points: readonly Float64Array[],
  withGradients: boolean,
  context: ComputeContext | undefined,
  chunkRows: number | undefined,
  products: 'auto' | ProductPath,
): Promise<LossAndGradient[]> {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  // Tiny problems: float64 JavaScript, one point at a time (as the operator's 'auto' does).
  if (products === 'float64' || (products === 'auto' && data.n * m * d < 1e6)) {
    const results: LossAndGradient[] = [];
    for (const point of points) {
      results.push(await lossAndGradient(unflattenParameters(model, point), data, loss, context, { chunkRows, products: 'float64' }));
    }
    return results;
  }
  const layout = parameterLayout(model);
  const targets = targetLayout(loss, model, data);
  const P = points.length;
  if (P === 0) return [];
  for (const point of points) {
    if (point.length !== layout.size) throw new RangeError(`point has ${point.length} entries, the model needs ${layout.size}`);
  }
  const hidden = new Float32Array(P * m * d);
  const hiddenBias = new Float32Array(P * m);
  const outputs = new Float32Array(P * c * m);
  const outputsTransposed = new Float32Array(P * m * c);
  const outputBias = new Float64Array(P * c);
  points.forEach((point, p) => {
    hidden.set(point.subarray(0, m * d), p * m * d);
    if (layout.hasHiddenBias) hiddenBias.set(point.subarray(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m), p * m);
    for (let o = 0; o < c; o++) {
      for (let j = 0; j < m; j++) {
        const value = point[layout.outputWeightsOffset + o * m + j]!;
        outputs[(p * c + o) * m + j] = value;
        outputsTransposed[(p * m + j) * c + o] = value;
      }
      if (layout.hasOutputBias) outputBias[p * c + o] = point[layout.outputBiasOffset + o]!;
    }
  });
  const hiddenTensor = tf.tensor2d(hidden, [P * m, d]);
  const gradients = points.map(() => new Float64Array(withGradients ? layout.size : 0));
  const hiddenBiasTensor = layout.hasHiddenBias ? tf.tensor3d(hiddenBias, [P, m, 1]) : null;
  // Block-diagonal P c x P m: one plain product beats P batched matrix-vector products on wasm.
  const blockDiagonal = new Float32Array(P * c * P * m);
  for (let p = 0; p < P; p++) {
    for (let o = 0; o < c; o++) blockDiagonal.set(outputs.subarray((p * c + o) * m, (p * c + o + 1) * m), (p * c + o) * P * m + p * m);
  }
  const outputTensor = tf.tensor2d(blockDiagonal, [P * c, P * m]);
  const outputTransposedTensor = tf.tensor3d(outputsTransposed, [P, m, c]);
  const lossSums = new Float64Array(P);
  const output = new Float64Array(c);
  const sampleGradient = new Float64Array(c);
  const probabilities = new Float64Array(c);
  const rowsPerChunk = Math.max(1, Math.min(chunkRows ?? defaultChunkRows(model), Math.floor(CHUNK_VALUES / (P * m))));
  try {
    for (let start = 0; start < data.n; start += rowsPerChunk) {
      throwIfCancelled(context);
      const rows = Math.min(rowsPerChunk, data.n - start);
      const inputs = inputRows(data, start, rows);
      const inputTensor = tf.tensor2d(inputs, [rows, d]);
      const inputTransposedTensor = tf.tensor2d(transposeBlocks(inputs, 1, rows, d), [d, rows]);
      try {
        // Forward: P x m x rows pre-activations, kept with their activations for the backward step.
        const [z, h] = tf.tidy(() => {
          let zt = tf.reshape(tf.matMul(hiddenTensor, inputTransposedTensor), [P, m, rows]);
          if (hiddenBiasTensor) zt = tf.add(zt, hiddenBiasTensor);
          return [zt, applyActivation(zt, model.activation)];
        });
        try {
          const [values] = await readAndDispose([tf.tidy(() => tf.matMul(outputTensor, tf.reshape(h!, [P * m, rows]) as tf.Tensor2D))]);
          // values: P x c x rows (without the output bias). g laid out P x rows x c.
          const g = new Float32Array(P * rows * c);
          for (let p = 0; p < P; p++) {
            let lossSum = 0;
            const gradient = gradients[p]!;
            for (let r = 0; r < rows; r++) {
              for (let o = 0; o < c; o++) output[o] = values![(p * c + o) * rows + r]! + outputBias[p * c + o]!;
              lossSum += evaluateSampleLoss(loss, targets, output, data.targets, start + r, sampleGradient, probabilities);
              if (withGradients) {
                for (let o = 0; o < c; o++) {
                  g[(p * rows + r) * c + o] = sampleGradient[o]!;
                  if (layout.hasOutputBias) gradient[layout.outputBiasOffset + o] = gradient[layout.outputBiasOffset + o]! + sampleGradient[o]!;
                }
              }
            }
            lossSums[p] = lossSums[p]! + lossSum;
          }
          if (withGradients) {
            const results = tf.tidy(() => {
              const gTensor = tf.tensor3d(g, [P, rows, c]);
              const outputGradient = tf.matMul(h as tf.Tensor3D, gTensor);  // P x m x c
              const gTransposed = tf.tensor3d(transposeBlocks(g, P, rows, c), [P, c, rows]);
              // One output: an outer product, as a broadcast multiply (a K = 1 product is slow on wasm).
              const back = c === 1 ? tf.mul(outputTransposedTensor, gTransposed) : tf.matMul(outputTransposedTensor, gTransposed);
              const delta = tf.mul(back, activationFirstDerivative(z!, model.activation));
              const hiddenGradient = tf.matMul(tf.reshape(delta, [P * m, rows]), inputTensor);  // P m x d
              const list = [hiddenGradient, outputGradient];
              if (hiddenBiasTensor) list.push(tf.sum(delta, 2));
              return list;
            });
            const [hiddenGradient, outputGradient, biasGradient] = await readAndDispose(results);
            for (let p = 0; p < P; p++) {
              const gradient = gradients[p]!;
              const offset = p * m * d;
              for (let e = 0; e < m * d; e++) gradient[e] = gradient[e]! + hiddenGradient![offset + e]!;
              if (biasGradient) {
                for (let j = 0; j < m; j++) gradient[layout.hiddenBiasOffset + j] = gradient[layout.hiddenBiasOffset + j]! + biasGradient[p * m + j]!;
              }
              for (let j = 0; j < m; j++) {
                for (let o = 0; o < c; o++) {
                  const index = layout.outputWeightsOffset + o * m + j;
                  gradient[index] = gradient[index]! + outputGradient![(p * m + j) * c + o]!;
                }
              }
            }
          }
        } finally {
          z!.dispose();
          h!.dispose();
        }
      } finally {
        inputTensor.dispose();
        inputTransposedTensor.dispose();
      }
      context?.onProgress?.('gradient', Math.min(1, (start + rows) / data.n));
      await yieldToEventLoop();
    }
  } finally {
    hiddenTensor.dispose();
    hiddenBiasTensor?.dispose();
    outputTensor.dispose();
    outputTransposedTensor.dispose();
  }
  const n = data.n;
  return gradients.map((gradient, p) => {
    for (let q = 0; q < gradient.length; q++) gradient[q] = gradient[q]! / n;
    return { loss: lossSums[p]! / n, gradient };
  });
}

/** P blocks of rows x c -> P blocks of c x rows (float32). */
function transposeBlocks(values: Float32Array, P: number, rows: number, c: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let p = 0; p < P; p++) {
    const offset = p * rows * c;
    for (let r = 0; r < rows; r++) for (let o = 0; o < c; o++) result[offset + o * rows + r] = values[offset + r * c + o]!;
  }
  return result;
}
