import type { TwoLayerModel } from '../model/types';

/**
 * The flat parameter vector theta every curvature routine works with, in a fixed order:
 *   W1 (hidden weights, m x d row-major: w_1, ..., w_m),
 *   b1 (m, only when the hidden layer has a bias),
 *   W2 (output weights, c x m row-major: PyTorch's Linear.weight layout, column j is a_j),
 *   b2 (c, only when the output layer has a bias).
 * Gradients, Hessian-vector products, eigenvectors and perturbations all use this order.
 */
export interface ParameterLayout {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  hasHiddenBias: boolean;
  hasOutputBias: boolean;
  /** Offsets of each block in the flat vector (-1 for an absent bias). */
  hiddenWeightsOffset: number;
  hiddenBiasOffset: number;
  outputWeightsOffset: number;
  outputBiasOffset: number;
  size: number;
}

export function parameterLayout(model: TwoLayerModel): ParameterLayout {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const hasHiddenBias = model.hiddenBias !== null;
  const hasOutputBias = model.outputBias !== null;
  const hiddenWeightsOffset = 0;
  const hiddenBiasOffset = hasHiddenBias ? m * d : -1;
  const outputWeightsOffset = m * d + (hasHiddenBias ? m : 0);
  const outputBiasOffset = hasOutputBias ? outputWeightsOffset + c * m : -1;
  const size = outputWeightsOffset + c * m + (hasOutputBias ? c : 0);
  return {
    inputDim: d, hiddenDim: m, outputDim: c, hasHiddenBias, hasOutputBias,
    hiddenWeightsOffset, hiddenBiasOffset, outputWeightsOffset, outputBiasOffset, size,
  };
}

export function flattenParameters(model: TwoLayerModel): Float64Array {
  const layout = parameterLayout(model);
  const theta = new Float64Array(layout.size);
  theta.set(model.hiddenWeights, layout.hiddenWeightsOffset);
  if (model.hiddenBias) theta.set(model.hiddenBias, layout.hiddenBiasOffset);
  theta.set(model.outputWeights, layout.outputWeightsOffset);
  if (model.outputBias) theta.set(model.outputBias, layout.outputBiasOffset);
  return theta;
}

/** A copy of `model` whose parameters are read from `theta` (same layout as the model's). */
export function unflattenParameters(model: TwoLayerModel, theta: Float64Array): TwoLayerModel {
  const layout = parameterLayout(model);
  if (theta.length !== layout.size) {
    throw new RangeError(`parameter vector has ${theta.length} entries, the model needs ${layout.size}`);
  }
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  return {
    ...model,
    hiddenWeights: theta.slice(0, m * d),
    hiddenBias: layout.hasHiddenBias ? theta.slice(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m) : null,
    outputWeights: theta.slice(layout.outputWeightsOffset, layout.outputWeightsOffset + c * m),
    outputBias: layout.hasOutputBias ? theta.slice(layout.outputBiasOffset, layout.outputBiasOffset + c) : null,
  };
}

/** The model at theta + step * direction. */
export function displacedModel(model: TwoLayerModel, direction: Float64Array, step: number, base?: Float64Array): TwoLayerModel {
  const theta = base ? base.slice() : flattenParameters(model);
  for (let p = 0; p < theta.length; p++) theta[p] = theta[p]! + step * direction[p]!;
  return unflattenParameters(model, theta);
}
