import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import {
  type LossSpec, type TargetLayout, argmax, evaluateSampleLoss, lossHessianDiagonal, targetClass,
  targetLayout, traceOfLossHessian,
} from '../math/losses';
import { tf } from '../compute/tf';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from '../compute/context';
import { activationFirstDerivative, activationSecondDerivative } from '../compute/activationTensors';
import { ResidentNetwork } from '../compute/residentNetwork';
import { defaultChunkRows } from '../compute/preactivations';

/**
 * Everything FLATNESS.md sections 2-4 need, in one pass over the data. Per-neuron sums are
 * already divided by n.
 */
export interface CurvatureSums {
  n: number;
  layout: TargetLayout;
  lossValue: number;
  /** sum of ||f(x_i) - y_i||^2 / (n c) for regression layouts, null otherwise. */
  meanSquaredError: number | null;
  accuracy: number | null;
  neuronA: Float64Array;
  neuronB: Float64Array;
  neuronC: Float64Array;
  activeSamples: Float64Array;
  outputBiasTerm: number;
  /** sum_p theta_p^2 H_pp, when requested. */
  invariantDiagonal: number | null;
  /** (1/n) sum_i ||u_i|| * ||y_i - c0||, and the same with f(x_i) in place of y_i. */
  meanWeightedTargetNorm: number;
  meanWeightedOutputNorm: number;
}

export interface CurvatureOptions {
  chunkRows?: number;
  withInvariantDiagonal?: boolean;
}

/** Upper bound on rows per chunk: per-chunk column sums run in float32 on the backend. */
const MAX_REDUCTION_ROWS = 2048;

function addInto(target: Float64Array, values: Float32Array | Int32Array | Uint8Array): void {
  for (let j = 0; j < target.length; j++) target[j] = target[j]! + values[j]!;
}

/**
 * The exact trace terms. Each chunk does its n_chunk x m elementwise work and column sums on the
 * tfjs backend (float32, as the matrix products); per-sample loss terms and the sums across
 * chunks are float64 in JavaScript. Loss-Hessian traces, gradients and probabilities go back to
 * the backend as small n_chunk x c matrices.
 */
export async function computeCurvatureSums(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  options: CurvatureOptions = {},
  context?: ComputeContext,
): Promise<CurvatureSums> {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const layout = targetLayout(loss, model, data);
  const isCrossEntropy = loss.kind === 'ce';
  const withDiagonal = options.withInvariantDiagonal ?? false;
  const chunkRows = Math.min(options.chunkRows ?? defaultChunkRows(model), MAX_REDUCTION_ROWS);
  const outputBias = model.outputBias;

  const outputNormSquared = new Float64Array(m);
  for (let o = 0; o < c; o++) {
    for (let j = 0; j < m; j++) outputNormSquared[j] = outputNormSquared[j]! + model.outputWeights[o * m + j]! ** 2;
  }
  // Resident tensors: the network, A (c x m), A∘A (c x m), and the squared hidden weights.
  const network = new ResidentNetwork(model);
  const { hidden, hiddenBias } = network;
  const outputRows = tf.tensor2d(Float32Array.from(model.outputWeights), [c, m]);
  const outputRowsSquared = tf.square(outputRows);
  const hiddenSquared = withDiagonal ? tf.square(hidden) : null;
  const hiddenBiasSquared = withDiagonal && hiddenBias ? tf.square(hiddenBias) : null;
  const resident = [network, outputRows, outputRowsSquared, hiddenSquared, hiddenBiasSquared];

  const neuronA = new Float64Array(m);
  const neuronB = new Float64Array(m);
  const neuronC = new Float64Array(m);
  const activeSamples = new Float64Array(m);
  const diagonalA = new Float64Array(m);
  const diagonalW = new Float64Array(m);
  let lossSum = 0;
  let squaredResidualSum = 0;
  let correct = 0;
  let outputBiasTerm = 0;
  let outputBiasDiagonal = 0;
  let weightedTargetNorm = 0;
  let weightedOutputNorm = 0;
  const output = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);

  try {
    for (let start = 0; start < data.n; start += chunkRows) {
      throwIfCancelled(context);
      const rows = Math.min(chunkRows, data.n - start);
      tf.tidy(() => {
        const inputs = tf.tensor2d(data.inputs.subarray(start * d, (start + rows) * d), [rows, d]);
        const { preactivations: z, activations, outputs } = network.forward(inputs);
        let inputNormSquared = tf.sum(tf.square(inputs), 1);
        if (hiddenBias) inputNormSquared = tf.add(inputNormSquared, 1);
        const outputValues = outputs.dataSync();
        const inputNormValues = inputNormSquared.dataSync();

        // Per-sample loss terms in float64.
        const lossHessianTraces = new Float32Array(rows);
        const gradients = new Float32Array(rows * c);
        const probabilityRows = isCrossEntropy ? new Float32Array(rows * c) : null;
        for (let r = 0; r < rows; r++) {
          const i = start + r;
          for (let o = 0; o < c; o++) output[o] = outputValues[r * c + o]!;
          lossSum += evaluateSampleLoss(loss, layout, output, data.targets, i, gradient, probabilities);
          for (let o = 0; o < c; o++) gradients[r * c + o] = gradient[o]!;
          if (probabilityRows) for (let o = 0; o < c; o++) probabilityRows[r * c + o] = probabilities[o]!;
          const lossHessianTrace = traceOfLossHessian(loss, probabilities, c);
          lossHessianTraces[r] = lossHessianTrace;
          if (outputBias) {
            outputBiasTerm += lossHessianTrace;
            if (withDiagonal) for (let o = 0; o < c; o++) outputBiasDiagonal += outputBias[o]! ** 2 * lossHessianDiagonal(loss, probabilities, o);
          }
          if (layout === 'regression') {
            let residual = 0;
            let target = 0;
            let centered = 0;
            for (let o = 0; o < c; o++) {
              const bias = outputBias ? outputBias[o]! : 0;
              const y = data.targets[i * c + o]!;
              residual += (output[o]! - y) ** 2;
              target += (y - bias) ** 2;
              centered += (output[o]! - bias) ** 2;
            }
            squaredResidualSum += residual;
            const inputNorm = Math.sqrt(inputNormValues[r]!);
            weightedTargetNorm += inputNorm * Math.sqrt(target);
            weightedOutputNorm += inputNorm * Math.sqrt(centered);
          } else if (argmax(output) === targetClass(layout, data.targets, i, c)) {
            correct++;
          }
        }

        // Column sums over the chunk as M^T v with M (rows x m) the left operand: as the right
        // operand, a fresh M is repacked on every call by the wasm backend (~10x slower), and a
        // reduction over axis 0 transposes first.
        const ones = tf.ones([rows, 1]);
        const columnSum = (weights: tf.Tensor1D | null, matrix: tf.Tensor) =>
          tf.matMul(matrix, weights ? tf.reshape(weights, [rows, 1]) : ones, true, false).dataSync() as Float32Array;
        /** Plain and ||u||^2-weighted column sums of one matrix in one product. */
        const plainAndWeightedColumnSums = (matrix: tf.Tensor): [Float32Array, Float32Array] => {
          const both = tf.matMul(matrix, tf.concat([ones, tf.reshape(inputNormSquared, [rows, 1])], 1), true, false).dataSync() as Float32Array;
          const plain = new Float32Array(m);
          const weighted = new Float32Array(m);
          for (let j = 0; j < m; j++) { plain[j] = both[2 * j]!; weighted[j] = both[2 * j + 1]!; }
          return [plain, weighted];
        };
        const normWeights = inputNormSquared as tf.Tensor1D;
        const squaredActivations = tf.square(activations);
        const positive = tf.step(z, 0);
        const squaredSlopes = model.activation.name === 'relu' ? positive : tf.square(activationFirstDerivative(z, model.activation));
        const curvatures = activationSecondDerivative(z, model.activation);
        let slopeSquares: Float32Array | null = null;
        if (squaredSlopes === positive) {
          const [active, weighted] = plainAndWeightedColumnSums(positive);
          addInto(activeSamples, active);
          slopeSquares = weighted;
        } else {
          addInto(activeSamples, columnSum(null, positive));
        }

        if (!probabilityRows) {
          // Squared error: Lambda = scale * I, so tr Lambda and a_j^T Lambda a_j are constants.
          const scale = loss.squaredErrorScale;
          const activationSquares = columnSum(null, squaredActivations);
          slopeSquares ??= columnSum(normWeights, squaredSlopes);
          for (let j = 0; j < m; j++) {
            neuronA[j] = neuronA[j]! + scale * c * activationSquares[j]!;
            neuronB[j] = neuronB[j]! + scale * outputNormSquared[j]! * slopeSquares[j]!;
            if (withDiagonal) diagonalA[j] = diagonalA[j]! + scale * outputNormSquared[j]! * activationSquares[j]!;
          }
        }
        // a_j^T Lambda_i a_j for every (i, j) under cross-entropy.
        let gaussNewtonPerSample: tf.Tensor | null = null;
        let probabilityTensor: tf.Tensor | null = null;
        if (probabilityRows) {
          probabilityTensor = tf.tensor2d(probabilityRows, [rows, c]);
          const quadratic = tf.sub(tf.matMul(probabilityTensor, outputRowsSquared), tf.square(tf.matMul(probabilityTensor, outputRows)));
          gaussNewtonPerSample = tf.mul(quadratic, squaredSlopes);
          addInto(neuronA, columnSum(tf.tensor1d(lossHessianTraces), squaredActivations));
          addInto(neuronB, columnSum(normWeights, gaussNewtonPerSample));
        }
        let curvaturePerSample: tf.Tensor | null = null;
        if (curvatures) {
          const projectedGradients = tf.matMul(tf.tensor2d(gradients, [rows, c]), outputRows);
          curvaturePerSample = tf.mul(projectedGradients, curvatures);
          addInto(neuronC, columnSum(normWeights, curvaturePerSample));
        }
        if (withDiagonal && hiddenSquared) {
          let weightedNorms = tf.matMul(tf.square(inputs), hiddenSquared);
          if (hiddenBiasSquared) weightedNorms = tf.add(weightedNorms, hiddenBiasSquared);
          if (gaussNewtonPerSample) {
            addInto(diagonalW, columnSum(null, tf.mul(gaussNewtonPerSample, weightedNorms)));
          } else {
            const slopeNorms = columnSum(null, tf.mul(squaredSlopes, weightedNorms));
            for (let j = 0; j < m; j++) diagonalW[j] = diagonalW[j]! + loss.squaredErrorScale * outputNormSquared[j]! * slopeNorms[j]!;
          }
          if (curvaturePerSample) addInto(diagonalW, columnSum(null, tf.mul(curvaturePerSample, weightedNorms)));
          if (probabilityTensor) {
            const bernoulli = tf.sub(probabilityTensor, tf.square(probabilityTensor));
            addInto(diagonalA, columnSum(null, tf.mul(tf.matMul(bernoulli, outputRowsSquared), squaredActivations)));
          }
        }
      });
      context?.onProgress?.('flatness', Math.min(1, (start + rows) / data.n));
      await yieldToEventLoop();
    }
  } finally {
    for (const tensor of resident) tensor?.dispose();
  }

  const n = data.n;
  for (let j = 0; j < m; j++) {
    neuronA[j] = neuronA[j]! / n;
    neuronB[j] = neuronB[j]! / n;
    neuronC[j] = neuronC[j]! / n;
  }
  let invariantDiagonal: number | null = null;
  if (withDiagonal) {
    let total = outputBiasDiagonal;
    for (let j = 0; j < m; j++) total += diagonalA[j]! + diagonalW[j]!;
    invariantDiagonal = total / n;
  }
  return {
    n,
    layout,
    lossValue: lossSum / n,
    meanSquaredError: layout === 'regression' ? squaredResidualSum / (n * c) : null,
    accuracy: layout === 'regression' ? null : correct / n,
    neuronA,
    neuronB,
    neuronC,
    activeSamples,
    outputBiasTerm: outputBias ? outputBiasTerm / n : 0,
    invariantDiagonal,
    meanWeightedTargetNorm: weightedTargetNorm / n,
    meanWeightedOutputNorm: weightedOutputNorm / n,
  };
}

