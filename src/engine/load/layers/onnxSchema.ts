import protobuf from 'protobufjs';
import { ONNX_DESCRIPTOR } from './onnxDescriptor';

/** Plain-object views of the decoded messages (protobufjs toObject with longs as numbers). */
export interface OnnxTensor {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  name?: string;
  rawData?: Uint8Array;
  doubleData?: number[];
  dataLocation?: number;
}

export interface OnnxAttribute {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  type?: number;
}

export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
}

export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  input?: Array<{ name?: string }>;
  output?: Array<{ name?: string }>;
}

export interface OnnxModel {
  irVersion?: number;
  opsetImport?: Array<{ domain?: string; version?: number }>;
  producerName?: string;
  producerVersion?: string;
  graph?: OnnxGraph;
}

let modelType: protobuf.Type | null = null;

/** Decodes a ModelProto; throws protobufjs errors on malformed input (the caller wraps them). */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  modelType ??= protobuf.Root.fromJSON(ONNX_DESCRIPTOR).lookupType('onnx.ModelProto');
  const message = modelType.decode(bytes);
  return modelType.toObject(message, { longs: Number, bytes: Uint8Array, defaults: false, arrays: true }) as OnnxModel;
}

/** ONNX TensorProto.DataType values the reader converts. */
export const ONNX_DTYPES: Record<number, string> = { 1: 'FLOAT', 10: 'FLOAT16', 11: 'DOUBLE', 16: 'BFLOAT16' };
