/** Activations the engine knows. Homogeneous ones have a rescaling symmetry of degree k. */
export type ActivationName =
  | 'relu' | 'leaky_relu' | 'relu_pow' | 'square' | 'abs' | 'linear'
  | 'tanh' | 'sigmoid' | 'gelu' | 'softplus' | 'elu';

export interface ActivationSpec {
  name: ActivationName;
  /** leaky_relu: slope on the negative side (default 0.01). */
  slope?: number;
  /** relu_pow: the power p >= 1 (relu(z)^p). */
  power?: number;
  /** elu: alpha (default 1). */
  alpha?: number;
}

/** Where the activation came from: stored in the file, given as an option, or assumed. */
export type ActivationSource = 'file' | 'option' | 'assumed';

/** A trailing output nonlinearity stored in the file (ONNX/Keras), applied after the network. */
export type OutputLink = 'identity' | 'sigmoid' | 'softmax';

/**
 * f(x) = sum_j a_j * sigma(w_j . x + b_j) + c0, with a_j in R^c.
 * Parameters are float64 whatever the file held, so analyses and rescalings are exact.
 */
export interface TwoLayerModel {
  inputDim: number;   // d
  hiddenDim: number;  // m
  outputDim: number;  // c
  /** m x d row-major: row j is w_j. */
  hiddenWeights: Float64Array;
  /** m, or null when the hidden layer has no bias. */
  hiddenBias: Float64Array | null;
  /** c x m row-major: column j is a_j (PyTorch's Linear.weight layout). */
  outputWeights: Float64Array;
  /** c, or null when the output layer has no bias. */
  outputBias: Float64Array | null;
  activation: ActivationSpec;
  activationSource: ActivationSource;
  outputLink: OutputLink;
  /** Provenance for the report. */
  source: ModelSource;
}

export interface ModelSource {
  path: string;
  format: string;          // e.g. 'safetensors', 'npz', 'json', 'keras-h5'
  /** Tensor or layer names the weights were read from, in order W1, b1, W2, b2. */
  tensorNames: string[];
  /** Name, shape and dtype as stored in the file, same order (for the model view); absent when not known. */
  tensors?: { name: string; shape: number[]; dtype: string }[];
  /** Anything worth telling the user about how the file was read. */
  notes: string[];
  /** Training counters stored beside the weights in a checkpoint (PyTorch dict 'step'/'epoch'). */
  checkpoint?: CheckpointCounters;
}

export interface CheckpointCounters {
  step?: number;
  epoch?: number;
}

export function cloneModel(model: TwoLayerModel): TwoLayerModel {
  return {
    ...model,
    hiddenWeights: model.hiddenWeights.slice(),
    hiddenBias: model.hiddenBias ? model.hiddenBias.slice() : null,
    outputWeights: model.outputWeights.slice(),
    outputBias: model.outputBias ? model.outputBias.slice() : null,
    activation: { ...model.activation },
    source: { ...model.source, tensorNames: [...model.source.tensorNames], notes: [...model.source.notes] },
  };
}

export function parameterCount(model: TwoLayerModel): number {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  return m * d + (model.hiddenBias ? m : 0) + c * m + (model.outputBias ? c : 0);
}
