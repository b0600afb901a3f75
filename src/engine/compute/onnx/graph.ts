import { ProtoWriter, littleEndianBytes } from './protobuf';

/**
 * A small in-memory ONNX graph builder: inputs, float32 initializers, nodes and outputs, encoded
 * as a ModelProto (IR 8, default opset 17) that onnxruntime's InferenceSession.create accepts as
 * bytes. Only what the engine's kernels use is supported.
 */
export type Dimension = number | string;
export type ElementType = 'float32' | 'int64';

export type Attribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] };

export const attr = {
  float: (value: number): Attribute => ({ kind: 'float', value }),
  int: (value: number): Attribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attribute => ({ kind: 'ints', value }),
};

const ELEMENT_TYPES: Record<ElementType, number> = { float32: 1, int64: 7 };
const ATTRIBUTE_TYPES = { float: 1, int: 2, ints: 7 } as const;
const IR_VERSION = 8;
export const OPSET = 17;

interface ValueInfo { name: string; type: ElementType; dims: readonly Dimension[] }
interface Node { op: string; inputs: string[]; outputs: string[]; attributes: Record<string, Attribute> }
interface Initializer { name: string; dims: readonly number[]; float32?: Float32Array; int64?: readonly number[] }

export class OnnxGraph {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly nodes: Node[] = [];
  private readonly initializers: Initializer[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph: the name '${name}' is already used`);
    this.names.add(name);
    return name;
  }

  private fresh(prefix: string): string {
    let name = `${prefix}_${this.counter++}`;
    while (this.names.has(name)) name = `${prefix}_${this.counter++}`;
    return this.claim(name);
  }

  /** A graph input fed at run time; string dimensions are symbolic (e.g. 'rows'). */
  input(name: string, dims: readonly Dimension[], type: ElementType = 'float32'): string {
    this.inputs.push({ name: this.claim(name), type, dims });
    return name;
  }

  /** A constant float32 tensor stored in the model (weights): MatMul can prepack it once per session. */
  initializer(name: string, values: Float32Array, dims: readonly number[]): string {
    if (values.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`ONNX graph: '${name}' has ${values.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({ name: this.claim(name), dims, float32: values });
    return name;
  }

  /** A constant int64 vector (shapes, axes). */
  int64s(values: readonly number[]): string {
    const name = this.fresh('int64s');
    this.initializers.push({ name, dims: [values.length], int64: values });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const name = this.fresh('scalar');
    this.initializers.push({ name, dims: [], float32: Float32Array.of(value) });
    return name;
  }

  /** Adds a node with one output and returns the output's name (`name` when given). */
  op(op: string, inputs: readonly string[], attributes: Record<string, Attribute> = {}, name?: string): string {
    const output = name === undefined ? this.fresh(op.toLowerCase()) : this.claim(name);
    this.nodes.push({ op, inputs: [...inputs], outputs: [output], attributes });
    return output;
  }

  /** Declares a value (a node output, named as the caller wants it fetched) as a graph output. */
  output(name: string, dims: readonly Dimension[], type: ElementType = 'float32'): void {
    if (!this.names.has(name)) throw new Error(`ONNX graph: no value named '${name}'`);
    this.outputs.push({ name, type, dims });
  }

  build(opset = OPSET): Uint8Array {
    const model = new ProtoWriter();
    model.int(1, IR_VERSION);
    model.string(2, 'flatness-lens');
    model.message(7, (graph) => {
      for (const node of this.nodes) graph.message(1, (w) => encodeNode(w, node));
      graph.string(2, 'flatness_lens');
      for (const initializer of this.initializers) graph.message(5, (w) => encodeInitializer(w, initializer));
      for (const input of this.inputs) graph.message(11, (w) => encodeValueInfo(w, input));
      for (const output of this.outputs) graph.message(12, (w) => encodeValueInfo(w, output));
    });
    model.message(8, (w) => w.string(1, '').int(2, opset));
    return model.finish();
  }
}

function encodeNode(w: ProtoWriter, node: Node): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(4, node.op);
  for (const [name, attribute] of Object.entries(node.attributes)) {
    w.message(5, (a) => {
      a.string(1, name);
      switch (attribute.kind) {
        case 'float': a.float(2, attribute.value); break;
        case 'int': a.int(3, attribute.value); break;
        case 'ints': for (const value of attribute.value) a.int(8, value); break;
      }
      a.int(20, ATTRIBUTE_TYPES[attribute.kind]);
    });
  }
}

function encodeInitializer(w: ProtoWriter, initializer: Initializer): void {
  for (const dim of initializer.dims) w.int(1, dim);
  if (initializer.float32) {
    w.int(2, ELEMENT_TYPES.float32);
    w.string(8, initializer.name);
    w.bytes(9, littleEndianBytes(initializer.float32));
  } else {
    w.int(2, ELEMENT_TYPES.int64);
    w.packedInts(7, initializer.int64 ?? []);
    w.string(8, initializer.name);
  }
}

function encodeValueInfo(w: ProtoWriter, value: ValueInfo): void {
  w.string(1, value.name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, ELEMENT_TYPES[value.type]);
    tensor.message(2, (shape) => {
      for (const dim of value.dims) shape.message(1, (d) => (typeof dim === 'string' ? d.string(2, dim) : d.int(1, dim)));
    });
  }));
}
