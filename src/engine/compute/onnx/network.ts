import type { TwoLayerModel } from '../../model/types';
import { transposeToFloat32 } from '../transpose';
import { type OnnxGraph, attr } from './graph';
import { onnxActivation } from './activations';

/** The model's weights as initializers, laid out for untransposed products (W^T d x m, A^T m x c). */
export interface NetworkValues {
  /** z = X W^T + b, rows x m. */
  preactivations: string;
  /** sigma(z), rows x m. */
  activations: string;
  /** f = sigma(z) A^T + c0, rows x c. */
  outputs: string;
}

/** Adds z = X W^T + b to the graph. */
export function addPreactivations(g: OnnxGraph, model: TwoLayerModel, inputs: string, name?: string): string {
  const { inputDim: d, hiddenDim: m } = model;
  const product = g.op('MatMul', [inputs, g.initializer('hidden_t', transposeToFloat32(model.hiddenWeights, m, d), [d, m])], {}, model.hiddenBias ? undefined : name);
  return model.hiddenBias ? g.op('Add', [product, g.initializer('hidden_bias', Float32Array.from(model.hiddenBias), [m])], {}, name) : product;
}

/** Adds f = sigma(z) A^T + c0 given z. */
export function addOutputs(g: OnnxGraph, model: TwoLayerModel, preactivations: string, outputName?: string): NetworkValues {
  const { hiddenDim: m, outputDim: c } = model;
  const activations = onnxActivation(g, preactivations, model.activation);
  const product = g.op('MatMul', [activations, g.initializer('output_t', transposeToFloat32(model.outputWeights, c, m), [m, c])], {}, model.outputBias ? undefined : outputName);
  const outputs = model.outputBias ? g.op('Add', [product, g.initializer('output_bias', Float32Array.from(model.outputBias), [c])], {}, outputName) : product;
  return { preactivations, activations, outputs };
}

/** ||u_i||^2 per row: ||x_i||^2, plus 1 for the bias entry when the hidden layer has one. */
export function addInputNormsSquared(g: OnnxGraph, model: TwoLayerModel, inputs: string, name?: string): string {
  const squares = g.op('ReduceSumSquare', [inputs], { axes: attr.ints([1]), keepdims: attr.int(0) }, model.hiddenBias ? undefined : name);
  return model.hiddenBias ? g.op('Add', [squares, g.scalar(1)], {}, name) : squares;
}
