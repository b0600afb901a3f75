import { tf } from './tf';
import type { TwoLayerModel } from '../model/types';
import { applyActivation } from './activationTensors';
import { transposeToFloat32 } from './transpose';

/**
 * A model's parameters uploaded once as float32 tensors, laid out for untransposed products
 * (W^T as d x m, A^T as m x c): the forward pass and the trace pass both stream data through it.
 */
export class ResidentNetwork {
  readonly hidden: tf.Tensor2D;
  readonly hiddenBias: tf.Tensor1D | null;
  readonly outputByNeuron: tf.Tensor2D;
  readonly outputBias: tf.Tensor1D | null;

  constructor(readonly model: TwoLayerModel) {
    const { inputDim: d, hiddenDim: m, outputDim: c } = model;
    this.hidden = tf.tensor2d(transposeToFloat32(model.hiddenWeights, m, d), [d, m]);
    this.hiddenBias = model.hiddenBias ? tf.tensor1d(Float32Array.from(model.hiddenBias)) : null;
    this.outputByNeuron = tf.tensor2d(transposeToFloat32(model.outputWeights, c, m), [m, c]);
    this.outputBias = model.outputBias ? tf.tensor1d(Float32Array.from(model.outputBias)) : null;
  }

  /** z = X W^T + b, sigma(z) and f = sigma(z) A^T + c0 for a rows x d chunk (call inside tf.tidy). */
  forward(inputs: tf.Tensor2D): { preactivations: tf.Tensor; activations: tf.Tensor; outputs: tf.Tensor } {
    let preactivations: tf.Tensor = tf.matMul(inputs, this.hidden);
    if (this.hiddenBias) preactivations = tf.add(preactivations, this.hiddenBias);
    const activations = applyActivation(preactivations, this.model.activation);
    let outputs: tf.Tensor = tf.matMul(activations, this.outputByNeuron);
    if (this.outputBias) outputs = tf.add(outputs, this.outputBias);
    return { preactivations, activations, outputs };
  }

  dispose(): void {
    this.hidden.dispose();
    this.hiddenBias?.dispose();
    this.outputByNeuron.dispose();
    this.outputBias?.dispose();
  }
}
