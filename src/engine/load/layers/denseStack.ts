import { unsupported } from '../../errors';
import type { OutputLink, TwoLayerModel } from '../../model/types';
import { resolveActivation } from '../activation';
import type { NamedTensor } from '../../io/tensors';
import { assembleTwoLayerModel } from '../twoLayerFromTensors';
import { own } from '../../io/own';

/**
 * One dense layer as a layered format (Keras, TF.js, ONNX) stores it, already turned into
 * PyTorch orientation: kernel is (outDim x inDim) row-major. `activation` is the activation
 * text the file gives for this layer, in the engine's vocabulary ('relu', 'leaky_relu:0.2',
 * 'softmax', ...), or 'linear' when the layer has none.
 */
export interface DenseLayer {
  name: string;
  kernel: Float64Array;
  bias: Float64Array | null;
  inDim: number;
  outDim: number;
  activation: string;
  /** Names of the stored tensors, for the report's provenance (kernel first). */
  tensorNames?: string[];
}

export interface DenseStackContext {
  path: string;
  format: string;
  notes?: string[];
}

const OUTPUT_LINKS: Record<string, OutputLink> = { linear: 'identity', identity: 'identity', sigmoid: 'sigmoid', softmax: 'softmax' };

/** '100-64(relu)-10(softmax)': the architecture as SOURCES.md writes it. */
export function describeStack(layers: readonly DenseLayer[]): string {
  if (layers.length === 0) return 'no dense layers';
  return [String(layers[0]!.inDim), ...layers.map((layer) => `${layer.outDim}(${layer.activation})`)].join('-');
}

/**
 * Turns dense layers (in order) into a two-layer model: the first layer's activation becomes
 * sigma (read from the file), the second layer's becomes the output link. Anything other than
 * exactly two dense layers, a softmax inside the network, or an output activation other than
 * identity/sigmoid/softmax is refused with a message that says what was found.
 */
export function denseStackToModel(layers: readonly DenseLayer[], context: DenseStackContext): TwoLayerModel {
  const file = context.path;
  const found = describeStack(layers);
  for (let i = 1; i < layers.length; i++) {
    if (layers[i]!.inDim !== layers[i - 1]!.outDim) {
      throw unsupported(file, `layer ${layers[i]!.name} takes ${layers[i]!.inDim} inputs but follows ${layers[i - 1]!.name} with ${layers[i - 1]!.outDim} outputs (${found})`);
    }
  }
  if (layers.length !== 2) {
    const hidden = Math.max(0, layers.length - 1);
    throw unsupported(
      file,
      `found ${hidden} hidden layer${hidden === 1 ? '' : 's'} (${found}): Flatness Lens analyzes networks with exactly one hidden layer`,
    );
  }
  const [first, second] = layers as [DenseLayer, DenseLayer];
  if (first.activation === 'softmax') {
    throw unsupported(file, `the hidden layer ${first.name} uses softmax (${found}); softmax is only supported on the output`);
  }
  const outputLink = own(OUTPUT_LINKS, second.activation);
  if (outputLink === undefined) {
    throw unsupported(
      file,
      `the output layer ${second.name} is followed by a ${second.activation} activation (${found}); only an identity, sigmoid or ` +
        `softmax output is supported, because the flatness formulas need the network output to be linear in the output weights`,
    );
  }
  const activation = resolveActivation(file, first.activation, undefined, `layer ${first.name}`);
  const kernel = (layer: DenseLayer): NamedTensor => ({
    name: layer.tensorNames?.[0] ?? `${layer.name}/kernel`, shape: [layer.outDim, layer.inDim], data: layer.kernel, dtype: 'F64',
  });
  const bias = (layer: DenseLayer): NamedTensor | null =>
    layer.bias === null ? null : { name: layer.tensorNames?.[1] ?? `${layer.name}/bias`, shape: [layer.outDim], data: layer.bias, dtype: 'F64' };
  const notes = [...(context.notes ?? [])];
  if (outputLink !== 'identity') {
    notes.push(`the output layer ${second.name} applies ${outputLink}; recorded as the output link, so f(x) is the ${outputLink} input (the logits)`);
  }
  return assembleTwoLayerModel(
    { weight: kernel(first), bias: bias(first) },
    { weight: kernel(second), bias: bias(second) },
    { path: file, format: context.format, activation, outputLink, notes },
  );
}

/** (rows x cols) row-major -> (cols x rows) row-major: Keras/TF.js/MatMul kernels are (in x out). */
export function transposeMatrix(data: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const result = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) result[j * rows + i] = data[i * cols + j]!;
  }
  return result;
}
