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
import { onnxKernelsActive } from '../compute/backend';
import { pointSessions } from '../compute/onnx/pointsKernel';
import { augmentedInputs } from './hvpKernel';

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
 * On onnxruntime the products run as two sessions per architecture (compute/onnx/pointsKernel.ts).
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
  const weights = packPoints(points, model);
  const { outputs, outputsTransposed } = weights;
  const terms = new SampleTerms(model, data, loss, targets, points, weights.outputBias, withGradients);
  const gradients = terms.gradients;
  const rowsPerChunk = Math.max(1, Math.min(chunkRows ?? defaultChunkRows(model), Math.floor(CHUNK_VALUES / (P * m))));
  if (onnxKernelsActive()) {
    await evaluateOnOnnx(model, data, weights, terms, withGradients, rowsPerChunk, context);
    return terms.results();
  }
  const { hidden, hiddenBias } = weights;
  const hiddenTensor = tf.tensor2d(hidden, [P * m, d]);
  const hiddenBiasTensor = layout.hasHiddenBias ? tf.tensor3d(hiddenBias, [P, m, 1]) : null;
  // Block-diagonal P c x P m: one plain product beats P batched matrix-vector products on wasm.
  const blockDiagonal = new Float32Array(P * c * P * m);
  for (let p = 0; p < P; p++) {
    for (let o = 0; o < c; o++) blockDiagonal.set(outputs.subarray((p * c + o) * m, (p * c + o + 1) * m), (p * c + o) * P * m + p * m);
  }
  const outputTensor = tf.tensor2d(blockDiagonal, [P * c, P * m]);
  const outputTransposedTensor = tf.tensor3d(outputsTransposed, [P, m, c]);
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
          const g = terms.evaluate(values!, start, rows);
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
  return terms.results();
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

/** The P points' weights in the layouts the products take. */
interface PackedPoints {
  P: number;
  /** P m x d and P x m: W and b per point. */
  hidden: Float32Array;
  hiddenBias: Float32Array;
  /** P x c x m and P x m x c: A and A^T per point. */
  outputs: Float32Array;
  outputsTransposed: Float32Array;
  /** P x c, float64: added to the products' outputs in JavaScript. */
  outputBias: Float64Array;
}

function packPoints(points: readonly Float64Array[], model: TwoLayerModel): PackedPoints {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const layout = parameterLayout(model);
  const P = points.length;
  const packed: PackedPoints = {
    P,
    hidden: new Float32Array(P * m * d),
    hiddenBias: new Float32Array(P * m),
    outputs: new Float32Array(P * c * m),
    outputsTransposed: new Float32Array(P * m * c),
    outputBias: new Float64Array(P * c),
  };
  points.forEach((point, p) => {
    packed.hidden.set(point.subarray(0, m * d), p * m * d);
    if (layout.hasHiddenBias) packed.hiddenBias.set(point.subarray(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m), p * m);
    for (let o = 0; o < c; o++) {
      for (let j = 0; j < m; j++) {
        const value = point[layout.outputWeightsOffset + o * m + j]!;
        packed.outputs[(p * c + o) * m + j] = value;
        packed.outputsTransposed[(p * m + j) * c + o] = value;
      }
      if (layout.hasOutputBias) packed.outputBias[p * c + o] = point[layout.outputBiasOffset + o]!;
    }
  });
  return packed;
}

/**
 * The per-sample loss terms in float64 JavaScript, and the float64 sums over chunks: each
 * point's loss, its output-bias gradient, and (added by the products' paths) the rest of its
 * gradient.
 */
class SampleTerms {
  readonly gradients: Float64Array[];
  private readonly lossSums: Float64Array;
  private readonly output: Float64Array;
  private readonly sampleGradient: Float64Array;
  private readonly probabilities: Float64Array;
  private readonly layout;

  constructor(
    private readonly model: TwoLayerModel,
    private readonly data: Dataset,
    private readonly loss: LossSpec,
    private readonly targets: ReturnType<typeof targetLayout>,
    points: readonly Float64Array[],
    private readonly outputBias: Float64Array,
    private readonly withGradients: boolean,
  ) {
    const c = model.outputDim;
    this.layout = parameterLayout(model);
    this.gradients = points.map(() => new Float64Array(withGradients ? this.layout.size : 0));
    this.lossSums = new Float64Array(points.length);
    this.output = new Float64Array(c);
    this.sampleGradient = new Float64Array(c);
    this.probabilities = new Float64Array(c);
  }

  /** values: P x c x rows network outputs without the output bias. Returns dl/df laid out P x rows x c. */
  evaluate(values: Float32Array, start: number, rows: number): Float32Array {
    const c = this.model.outputDim;
    const P = this.gradients.length;
    const { layout, output, sampleGradient, probabilities, outputBias } = this;
    const g = new Float32Array(this.withGradients ? P * rows * c : 0);
    for (let p = 0; p < P; p++) {
      let lossSum = 0;
      const gradient = this.gradients[p]!;
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < c; o++) output[o] = values[(p * c + o) * rows + r]! + outputBias[p * c + o]!;
        lossSum += evaluateSampleLoss(this.loss, this.targets, output, this.data.targets, start + r, sampleGradient, probabilities);
        if (this.withGradients) {
          for (let o = 0; o < c; o++) {
            g[(p * rows + r) * c + o] = sampleGradient[o]!;
            if (layout.hasOutputBias) gradient[layout.outputBiasOffset + o] = gradient[layout.outputBiasOffset + o]! + sampleGradient[o]!;
          }
        }
      }
      this.lossSums[p] = this.lossSums[p]! + lossSum;
    }
    return g;
  }

  results(): LossAndGradient[] {
    const n = this.data.n;
    return this.gradients.map((gradient, p) => {
      for (let q = 0; q < gradient.length; q++) gradient[q] = gradient[q]! / n;
      return { loss: this.lossSums[p]! / n, gradient };
    });
  }
}

/** The products on onnxruntime (pointsKernel.ts): the same chunks and float64 sums as on tfjs. */
async function evaluateOnOnnx(
  model: TwoLayerModel,
  data: Dataset,
  weights: PackedPoints,
  terms: SampleTerms,
  withGradients: boolean,
  rowsPerChunk: number,
  context: ComputeContext | undefined,
): Promise<void> {
  const { inputDim: d, hiddenDim: m, outputDim: c, activation } = model;
  const layout = parameterLayout(model);
  const du = layout.hasHiddenBias ? d + 1 : d;
  const { P } = weights;
  const augmented = new Float32Array(P * m * du);
  for (let row = 0; row < P * m; row++) {
    augmented.set(weights.hidden.subarray(row * d, (row + 1) * d), row * du);
    if (du > d) augmented[row * du + d] = weights.hiddenBias[row]!;
  }
  const { forward, backward } = await pointSessions({ du, m, c, activation });
  const W = { data: augmented, dims: [P, m, du] };
  const A = { data: weights.outputs, dims: [P, c, m] };
  const AT = { data: weights.outputsTransposed, dims: [P, m, c] };
  for (let start = 0; start < data.n; start += rowsPerChunk) {
    throwIfCancelled(context);
    const rows = Math.min(rowsPerChunk, data.n - start);
    const U = { data: augmentedInputs(inputRows(data, start, rows), rows, d, du), dims: [rows, du] };
    const { Z, F } = await forward.run({ U, W, A }, withGradients ? ['Z', 'F'] : ['F']);
    const g = terms.evaluate(F!, start, rows);
    if (withGradients) {
      const sums = await backward.run({
        U, Z: { data: Z!, dims: [P, m, rows] }, AT,
        G: { data: g, dims: [P, rows, c] }, GT: { data: transposeBlocks(g, P, rows, c), dims: [P, c, rows] },
      });
      const dW = sums.dW!;
      const dAT = sums.dAT!;
      for (let p = 0; p < P; p++) {
        const gradient = terms.gradients[p]!;
        for (let j = 0; j < m; j++) {
          const row = (p * m + j) * du;
          for (let l = 0; l < d; l++) gradient[j * d + l] = gradient[j * d + l]! + dW[row + l]!;
          if (du > d) gradient[layout.hiddenBiasOffset + j] = gradient[layout.hiddenBiasOffset + j]! + dW[row + d]!;
          for (let o = 0; o < c; o++) {
            const index = layout.outputWeightsOffset + o * m + j;
            gradient[index] = gradient[index]! + dAT[(p * m + j) * c + o]!;
          }
        }
      }
    }
    context?.onProgress?.('gradient', Math.min(1, (start + rows) / data.n));
    await yieldToEventLoop();
  }
}
