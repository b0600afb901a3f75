import { badInput, isFlatnessLensError, unsupported } from '../../errors';
import type { TwoLayerModel } from '../../model/types';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import { type DenseLayer, denseStackToModel, transposeMatrix } from './denseStack';
import { bfloat16ToNumber, halfToNumber } from '../../io/float16';
import { checkFileSize } from './limits';
import { decodeOnnxModel, ONNX_DTYPES, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnxSchema';
import { own } from '../../io/own';

/**
 * ONNX models of a dense network: a chain from the graph input through Gemm (any transB,
 * alpha/beta folded in) or MatMul [+ Add] layers and elementwise activation nodes. The
 * activation is read from the graph; a trailing Sigmoid/Softmax becomes the output link.
 * Weights come from initializers (typed fields or raw_data; also listed as graph inputs by
 * older exporters) or Constant nodes.
 */
const ACTIVATION_OPS: Record<string, (node: OnnxNode) => string> = {
  Relu: () => 'relu',
  Tanh: () => 'tanh',
  Sigmoid: () => 'sigmoid',
  Softmax: () => 'softmax',
  Softplus: () => 'softplus',
  Abs: () => 'abs',
  Elu: (node) => `elu:${floatAttribute(node, 'alpha', 1)}`,
  LeakyRelu: (node) => `leaky_relu:${floatAttribute(node, 'alpha', 0.01)}`,
  Gelu: () => 'gelu',
  Selu: () => 'selu',
  HardSigmoid: () => 'hard_sigmoid',
};
const PASS_THROUGH = new Set(['Identity', 'Dropout', 'Flatten']);

function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return node.attribute?.find((entry) => entry.name === name);
}

/** Float attributes are float32 in the file; 7 significant digits give back the number typed (0.2, not 0.2000000030). */
function floatAttribute(node: OnnxNode, name: string, fallback: number): number {
  const value = attribute(node, name)?.f;
  return typeof value === 'number' ? Number(value.toPrecision(7)) : fallback;
}

function intAttribute(node: OnnxNode, name: string, fallback: number): number {
  const value = attribute(node, name)?.i;
  return typeof value === 'number' ? value : fallback;
}

export function isOnnx(bytes: Uint8Array, path: string): boolean {
  // ModelProto starts with field 1 (ir_version, varint: 0x08) and small versions; the
  // extension settles the rare protobuf that is not ONNX.
  if (bytes.length < 2 || bytes[0] !== 0x08 || bytes[1]! > 0x20) return false;
  return /\.onnx$/i.test(path) || bytes.length < 64 * 1024 * 1024 && looksLikeOnnx(bytes);
}

function looksLikeOnnx(bytes: Uint8Array): boolean {
  try {
    const model = decodeOnnxModel(bytes);
    return model.graph !== undefined && (model.opsetImport?.length ?? 0) > 0;
  } catch {
    return false;
  }
}

interface TensorValue {
  name: string;
  dims: number[];
  data: Float64Array;
}

/** Element count from dims, checked against the file size (at least 1 byte per value) before anything is allocated. */
function declaredCount(tensor: OnnxTensor, file: string, fileBytes: number): number {
  const dims = tensor.dims ?? [];
  const count = dims.reduce((product, size) => product * size, 1);
  if (!dims.every((size) => Number.isSafeInteger(size) && size >= 0) || !Number.isSafeInteger(count) || count > fileBytes) {
    throw badInput(file, `initializer ${tensor.name ?? '(unnamed)'} declares ${count} values, more than the file holds`);
  }
  return count;
}

function tensorValue(tensor: OnnxTensor, file: string, fileBytes: number): TensorValue {
  const name = tensor.name ?? '(unnamed)';
  if (tensor.dataLocation === 1) throw unsupported(file, `initializer ${name} is stored in an external data file, which is not supported`);
  const dims = tensor.dims ?? [];
  if (!dims.every((size) => Number.isSafeInteger(size) && size >= 0)) throw badInput(file, `initializer ${name} has invalid dims`);
  const count = declaredCount(tensor, file, fileBytes);
  const dtype = own(ONNX_DTYPES, tensor.dataType ?? 0);
  if (dtype === undefined) throw unsupported(file, `initializer ${name} has data type ${tensor.dataType}; weights must be float, double, float16 or bfloat16`);
  const width = dtype === 'DOUBLE' ? 8 : dtype === 'FLOAT' ? 4 : 2;
  const data = new Float64Array(count);
  const raw = tensor.rawData;
  if (raw !== undefined && raw.length > 0) {
    if (raw.length !== count * width) throw badInput(file, `initializer ${name}: raw_data has ${raw.length} bytes for ${count} ${dtype} values`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      data[i] = dtype === 'FLOAT' ? view.getFloat32(4 * i, true)
        : dtype === 'DOUBLE' ? view.getFloat64(8 * i, true)
        : dtype === 'FLOAT16' ? halfToNumber(view.getUint16(2 * i, true))
        : bfloat16ToNumber(view.getUint16(2 * i, true));
    }
  } else {
    const typed = dtype === 'FLOAT' ? tensor.floatData : dtype === 'DOUBLE' ? tensor.doubleData : tensor.int32Data;
    if (typed === undefined || typed.length !== count) {
      throw badInput(file, `initializer ${name} holds ${typed?.length ?? 0} values for dims [${dims.join(', ')}]`);
    }
    for (let i = 0; i < count; i++) {
      const value = typed[i]!;
      data[i] = dtype === 'FLOAT16' ? halfToNumber(value) : dtype === 'BFLOAT16' ? bfloat16ToNumber(value) : value;
    }
  }
  return { name, dims, data };
}

export function loadOnnx(bytes: Uint8Array, path: string, options: ModelLoadOptions): TwoLayerModel {
  checkFileSize(bytes.length, path, options);
  let model: OnnxModel;
  try {
    model = decodeOnnxModel(bytes);
  } catch (error) {
    if (isFlatnessLensError(error)) throw error;
    throw badInput(path, `not a readable ONNX model (${(error as Error).message})`);
  }
  const graph = model.graph;
  if (graph === undefined) throw badInput(path, 'the ONNX model has no graph');
  const nodes = graph.node ?? [];
  if (nodes.length > 100_000) throw badInput(path, `the ONNX graph has ${nodes.length} nodes`);

  const constants = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer ?? []) {
    declaredCount(tensor, path, bytes.length);
    if (tensor.name) constants.set(tensor.name, tensor);
  }
  for (const node of nodes) {
    const value = attribute(node, 'value')?.t;
    if (node.opType === 'Constant' && value !== undefined && node.output?.[0]) constants.set(node.output[0], value);
  }
  const constant = (name: string | undefined): TensorValue | null => {
    if (name === undefined || name === '') return null;
    const tensor = constants.get(name);
    return tensor === undefined ? null : tensorValue({ ...tensor, name }, path, bytes.length);
  };

  const dataInputs = (graph.input ?? []).map((input) => input.name ?? '').filter((name) => name !== '' && !constants.has(name));
  if (dataInputs.length !== 1) {
    throw unsupported(path, `the ONNX graph has ${dataInputs.length} data inputs (${dataInputs.join(', ')}); a dense network has one`);
  }
  const outputs = new Set((graph.output ?? []).map((output) => output.name ?? ''));
  const consumers = new Map<string, OnnxNode[]>();
  for (const node of nodes) {
    if (node.opType === 'Constant') continue;
    for (const input of node.input ?? []) {
      if (constants.has(input)) continue;
      consumers.set(input, [...(consumers.get(input) ?? []), node]);
    }
  }

  const layers: DenseLayer[] = [];
  const notes: string[] = [];
  let current = dataInputs[0]!;
  for (let steps = 0; !outputs.has(current) || (consumers.get(current)?.length ?? 0) > 0; steps++) {
    if (steps > nodes.length) throw badInput(path, 'the ONNX graph has a cycle');
    const next = consumers.get(current) ?? [];
    if (next.length !== 1) {
      if (next.length === 0) throw badInput(path, `nothing consumes tensor ${current} and it is not a graph output`);
      throw unsupported(path, `tensor ${current} feeds ${next.length} nodes (${next.map((node) => node.opType).join(', ')}): only a chain of layers is supported`);
    }
    const node = next[0]!;
    const op = node.opType ?? '';
    const label = `${op} node ${node.name || node.output?.[0] || ''}`.trim();
    const result = node.output?.[0];
    if (result === undefined) throw badInput(path, `${label} has no output`);
    if (node.domain && node.domain !== 'ai.onnx') throw unsupported(path, `${label} is from the custom domain ${node.domain}`);

    if (op === 'Gemm' || op === 'MatMul') {
      const inputs = node.input ?? [];
      if (inputs[0] !== current) throw unsupported(path, `${label} multiplies the weights on the left; expected x @ W`);
      const weight = constant(inputs[1]);
      if (weight === null || weight.dims.length !== 2) throw unsupported(path, `${label} has no constant 2-D weight matrix`);
      let kernel: Float64Array;
      let inDim: number;
      let outDim: number;
      let bias: Float64Array | null = null;
      const tensorNames = [weight.name];
      if (op === 'Gemm') {
        if (intAttribute(node, 'transA', 0) !== 0) throw unsupported(path, `${label} has transA = 1`);
        const transB = intAttribute(node, 'transB', 0) !== 0;
        const alpha = floatAttribute(node, 'alpha', 1);
        const beta = floatAttribute(node, 'beta', 1);
        [outDim, inDim] = (transB ? weight.dims : [weight.dims[1], weight.dims[0]]) as [number, number];
        kernel = transB ? Float64Array.from(weight.data) : transposeMatrix(weight.data, inDim, outDim);
        if (alpha !== 1) for (let i = 0; i < kernel.length; i++) kernel[i] = kernel[i]! * alpha;
        const c = constant(inputs[2]);
        if (inputs[2] && c === null) throw unsupported(path, `${label} adds a bias that is not a constant`);
        if (c !== null) {
          if (c.data.length !== outDim) throw unsupported(path, `${label}: bias ${c.name} has ${c.data.length} values for ${outDim} outputs (broadcast biases are not supported)`);
          bias = c.data.map((value) => value * beta);
          tensorNames.push(c.name);
        }
      } else {
        [inDim, outDim] = weight.dims as [number, number];
        kernel = transposeMatrix(weight.data, inDim, outDim);
      }
      layers.push({ name: node.name || result, kernel, bias, inDim, outDim, activation: 'linear', tensorNames });
    } else if (op === 'Add') {
      const inputs = node.input ?? [];
      const other = inputs[0] === current ? inputs[1] : inputs[0];
      const c = constant(other);
      const layer = layers[layers.length - 1];
      if (c === null || layer === undefined || layer.bias !== null || layer.activation !== 'linear') {
        throw unsupported(path, `${label} is not a bias added to a MatMul`);
      }
      if (c.data.length !== layer.outDim) throw unsupported(path, `${label}: bias ${c.name} has ${c.data.length} values for ${layer.outDim} outputs`);
      layer.bias = c.data;
      layer.tensorNames = [...(layer.tensorNames ?? []), c.name];
    } else if (own(ACTIVATION_OPS, op) !== undefined) {
      const layer = layers[layers.length - 1];
      if (layer === undefined) throw unsupported(path, `${label} comes before any dense layer`);
      if (layer.activation !== 'linear') throw unsupported(path, `${label} follows another activation (${layer.activation})`);
      if (op === 'Softmax') {
        const axis = intAttribute(node, 'axis', model.opsetImport?.some((set) => (set.version ?? 0) >= 13) ? -1 : 1);
        if (axis !== -1 && axis !== 1) throw unsupported(path, `${label} normalizes over axis ${axis}, not over the outputs`);
      }
      layer.activation = own(ACTIVATION_OPS, op)!(node);
    } else if (PASS_THROUGH.has(op)) {
      if (op === 'Flatten' && layers.length > 0) throw unsupported(path, `${label} inside the network is not supported`);
      notes.push(`skipped ${label}`);
    } else {
      throw unsupported(path, `${label}: only Gemm, MatMul, Add and activation nodes form a dense network (found ${op} after ${layers.length} dense layer(s))`);
    }
    current = result;
  }
  const opset = model.opsetImport?.find((set) => !set.domain)?.version;
  notes.unshift(`ONNX from ${model.producerName || 'unknown producer'} ${model.producerVersion ?? ''}`.trim() + (opset ? `, opset ${opset}` : ''));
  return denseStackToModel(layers, { path, format: 'onnx', notes });
}

export const onnxModelFormat: ModelFormat = {
  name: 'onnx',
  description: 'ONNX (.onnx: Gemm or MatMul+Add, activation node, optional trailing Sigmoid/Softmax)',
  sniff: isOnnx,
  load: loadOnnx,
};
