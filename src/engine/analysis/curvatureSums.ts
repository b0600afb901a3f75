import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import {
  type LossSpec, type TargetLayout, argmax, evaluateSampleLoss, lossHessianDiagonal, targetClass,
  targetLayout, traceOfLossHessian,
} from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { forEachPreactivationChunk } from '../compute/preactivations';

/**
 * Everything FLATNESS.md sections 2-4 need, accumulated in float64 in one pass over the data.
 * Per-neuron sums are already divided by n.
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
  /** sum_p theta_p^2 H_pp split by block, when requested. */
  invariantDiagonal: number | null;
  /** (1/n) sum_i ||u_i|| * ||y_i - c0||, and the same with f(x_i) in place of y_i. */
  meanWeightedTargetNorm: number;
  meanWeightedOutputNorm: number;
}

export interface CurvatureOptions {
  chunkRows?: number;
  withInvariantDiagonal?: boolean;
}

export async function computeCurvatureSums(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  options: CurvatureOptions = {},
  context?: ComputeContext,
): Promise<CurvatureSums> {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const layout = targetLayout(loss, model, data);
  const activation = makeActivation(model.activation);
  const sigma = activation.value;
  const sigmaPrime = activation.firstDerivative;
  const sigmaSecond = activation.secondDerivative;
  const needSecond = !activation.piecewiseLinear;
  const isCrossEntropy = loss.kind === 'ce';
  const withDiagonal = options.withInvariantDiagonal ?? false;
  const hasHiddenBias = model.hiddenBias !== null;

  // a_j stored neuron-major (m x c) so the per-neuron inner loops over outputs are contiguous.
  const outputByNeuron = new Float64Array(m * c);
  const outputNormSquared = new Float64Array(m);
  for (let o = 0; o < c; o++) {
    for (let j = 0; j < m; j++) {
      const value = model.outputWeights[o * m + j]!;
      outputByNeuron[j * c + o] = value;
      outputNormSquared[j] = outputNormSquared[j]! + value * value;
    }
  }
  const outputBias = model.outputBias;

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

  const activations = new Float64Array(m);
  const output = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);

  await forEachPreactivationChunk(model, data, (chunk) => {
    const z = chunk.preactivations;
    const q = chunk.squaredWeightedNorms;
    for (let r = 0; r < chunk.rows; r++) {
      const i = chunk.start + r;
      const rowOffset = r * m;
      let inputNormSquared = hasHiddenBias ? 1 : 0;
      for (let l = 0; l < d; l++) {
        const x = data.inputs[i * d + l]!;
        inputNormSquared += x * x;
      }
      const inputNorm = Math.sqrt(inputNormSquared);

      for (let o = 0; o < c; o++) output[o] = outputBias ? outputBias[o]! : 0;
      for (let j = 0; j < m; j++) {
        const s = sigma(z[rowOffset + j]!);
        activations[j] = s;
        if (s !== 0) for (let o = 0; o < c; o++) output[o] = output[o]! + outputByNeuron[j * c + o]! * s;
      }
      lossSum += evaluateSampleLoss(loss, layout, output, data.targets, i, gradient, probabilities);

      if (layout === 'regression') {
        let targetNormSquared = 0;
        let outputNormSq = 0;
        for (let o = 0; o < c; o++) {
          const bias = outputBias ? outputBias[o]! : 0;
          const target = data.targets[i * c + o]!;
          squaredResidualSum += (output[o]! - target) ** 2;
          targetNormSquared += (target - bias) ** 2;
          outputNormSq += (output[o]! - bias) ** 2;
        }
        weightedTargetNorm += inputNorm * Math.sqrt(targetNormSquared);
        weightedOutputNorm += inputNorm * Math.sqrt(outputNormSq);
      } else if (argmax(output) === targetClass(layout, data.targets, i, c)) {
        correct++;
      }

      const lossHessianTrace = traceOfLossHessian(loss, probabilities, c);
      if (outputBias) {
        outputBiasTerm += lossHessianTrace;
        if (withDiagonal) {
          for (let o = 0; o < c; o++) outputBiasDiagonal += outputBias[o]! ** 2 * lossHessianDiagonal(loss, probabilities, o);
        }
      }
      const mseScale = loss.squaredErrorScale;
      for (let j = 0; j < m; j++) {
        const zij = z[rowOffset + j]!;
        const s = activations[j]!;
        const firstDerivative = sigmaPrime(zij);
        if (zij > 0) activeSamples[j] = activeSamples[j]! + 1;
        neuronA[j] = neuronA[j]! + lossHessianTrace * s * s;

        let quadratic: number; // a_j^T Lambda_i a_j
        let projectedGradient = 0; // g_i . a_j
        if (isCrossEntropy) {
          let weighted = 0;
          let squaredWeighted = 0;
          for (let o = 0; o < c; o++) {
            const a = outputByNeuron[j * c + o]!;
            weighted += probabilities[o]! * a;
            squaredWeighted += probabilities[o]! * a * a;
          }
          quadratic = squaredWeighted - weighted * weighted;
        } else {
          quadratic = mseScale * outputNormSquared[j]!;
        }
        const gaussNewton = quadratic * firstDerivative * firstDerivative;
        neuronB[j] = neuronB[j]! + gaussNewton * inputNormSquared;

        let curvature = 0;
        if (needSecond) {
          for (let o = 0; o < c; o++) projectedGradient += gradient[o]! * outputByNeuron[j * c + o]!;
          curvature = projectedGradient * sigmaSecond(zij);
          neuronC[j] = neuronC[j]! + curvature * inputNormSquared;
        }
        if (withDiagonal && q) {
          let aDiagonal: number;
          if (isCrossEntropy) {
            aDiagonal = 0;
            for (let o = 0; o < c; o++) {
              const a = outputByNeuron[j * c + o]!;
              aDiagonal += a * a * lossHessianDiagonal(loss, probabilities, o);
            }
          } else {
            aDiagonal = mseScale * outputNormSquared[j]!;
          }
          diagonalA[j] = diagonalA[j]! + aDiagonal * s * s;
          diagonalW[j] = diagonalW[j]! + (gaussNewton + curvature) * q[rowOffset + j]!;
        }
      }
    }
  }, { chunkRows: options.chunkRows, withSquaredWeightedNorms: withDiagonal }, context, 'flatness');

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
