import { badInput, unsupported } from '../errors';
import type { OutputLink, TwoLayerModel } from '../model/types';
import type { ResolvedActivation } from './activation';
import { elementCount, formatShape, isFloatDtype, type NamedTensor } from '../io/tensors';

/**
 * Turns named weight tensors into a TwoLayerModel. Recognized naming schemes:
 * - PyTorch `<prefix>.weight` / `<prefix>.bias` (out x in): nn.Sequential `0.`/`2.` (any two
 *   indices), `fc1.`/`fc2.`, `layer1.`, `linear1.`, `l1.`, `hidden.`/`output.`, nested prefixes;
 * - `W1, b1, W2, b2` (case-insensitive, `W_1` too), whose orientation is inferred.
 */
export interface TwoLayerBuildContext {
  path: string;
  format: string;
  activation: ResolvedActivation;
  /** Number of input columns of the data, when known: settles the orientation of W1/W2. */
  expectedInputDim?: number;
  outputLink?: OutputLink;
  notes?: string[];
}

/** One dense layer in PyTorch orientation: weight is (out x in), or 1-D for a single output. */
export interface DenseLayerTensors {
  weight: NamedTensor;
  bias: NamedTensor | null;
}

const SUPPORT_SENTENCE = 'Flatness Lens analyzes networks with exactly one hidden layer';

export function twoLayerFromTensors(tensors: readonly NamedTensor[], context: TwoLayerBuildContext): TwoLayerModel {
  const byName = new Map(tensors.map((tensor) => [tensor.name, tensor]));
  const notes = [...(context.notes ?? [])];
  const wScheme = findWScheme(tensors, context.path);
  let model: TwoLayerModel;
  let used: Set<string>;
  if (wScheme !== null) {
    const oriented = orientWScheme(wScheme, context, notes);
    model = assembleTwoLayerModel(oriented.hidden, oriented.output, { ...context, notes });
    used = new Set([wScheme.w1, wScheme.b1, wScheme.w2, wScheme.b2].filter((t): t is NamedTensor => t !== null).map((t) => t.name));
  } else {
    const [hidden, output] = findTorchLayers(tensors, byName, context.path);
    model = assembleTwoLayerModel(hidden, output, { ...context, notes });
    used = new Set([hidden.weight, hidden.bias, output.weight, output.bias].filter((t): t is NamedTensor => t !== null).map((t) => t.name));
  }
  const ignored = tensors.map((tensor) => tensor.name).filter((name) => !used.has(name));
  if (ignored.length > 0) model.source.notes.push(`ignored tensors: ${ignored.join(', ')}`);
  return model;
}

/**
 * Validates two layers given in PyTorch orientation and copies them into a float64 model.
 * Readers that already know the layer order (Keras, TF.js, ONNX) can call this directly after
 * transposing their kernels to (out x in).
 */
export function assembleTwoLayerModel(
  hidden: DenseLayerTensors,
  output: DenseLayerTensors,
  context: TwoLayerBuildContext,
): TwoLayerModel {
  const file = context.path;
  for (const tensor of [hidden.weight, hidden.bias, output.weight, output.bias]) {
    if (tensor !== null) checkTensorValues(tensor, file);
  }
  if (hidden.weight.shape.length !== 2) {
    throw badInput(file, `hidden-layer weight '${hidden.weight.name}' has shape ${formatShape(hidden.weight.shape)}; expected a 2-D (hidden x input) matrix`);
  }
  const [m, d] = hidden.weight.shape as [number, number];
  let c: number;
  if (output.weight.shape.length === 1) {
    c = 1;
    if (output.weight.shape[0] !== m) throw chainMismatch(hidden.weight, output.weight, file);
  } else if (output.weight.shape.length === 2) {
    c = output.weight.shape[0]!;
    if (output.weight.shape[1] !== m) throw chainMismatch(hidden.weight, output.weight, file);
  } else {
    throw badInput(file, `output-layer weight '${output.weight.name}' has shape ${formatShape(output.weight.shape)}; expected a 2-D (output x hidden) matrix`);
  }
  if (m === 0 || d === 0 || c === 0) throw badInput(file, `the network has an empty layer (input ${d}, hidden ${m}, output ${c})`);
  checkBias(hidden.bias, m, 'hidden', file);
  checkBias(output.bias, c, 'output', file);
  const notes = [...(context.notes ?? [])];
  if (context.activation.note !== null) notes.push(context.activation.note);
  return {
    inputDim: d,
    hiddenDim: m,
    outputDim: c,
    hiddenWeights: Float64Array.from(hidden.weight.data),
    hiddenBias: hidden.bias ? Float64Array.from(hidden.bias.data) : null,
    outputWeights: Float64Array.from(output.weight.data),
    outputBias: output.bias ? Float64Array.from(output.bias.data) : null,
    activation: context.activation.spec,
    activationSource: context.activation.source,
    outputLink: context.outputLink ?? 'identity',
    source: {
      path: file,
      format: context.format,
      tensorNames: [hidden.weight, hidden.bias, output.weight, output.bias]
        .filter((tensor): tensor is NamedTensor => tensor !== null)
        .map((tensor) => tensor.name),
      tensors: [hidden.weight, hidden.bias, output.weight, output.bias]
        .filter((tensor): tensor is NamedTensor => tensor !== null)
        .map((tensor) => ({ name: tensor.name, shape: [...tensor.shape], dtype: tensor.dtype })),
      notes,
    },
  };
}

function chainMismatch(first: NamedTensor, second: NamedTensor, file: string) {
  return badInput(
    file,
    `'${first.name}' has shape ${formatShape(first.shape)} (${first.shape[0]} hidden units) but '${second.name}' has shape ` +
      `${formatShape(second.shape)}, which does not take ${first.shape[0]} inputs (weights are read as out x in)`,
  );
}

function checkBias(bias: NamedTensor | null, expected: number, layer: string, file: string): void {
  if (bias === null) return;
  const nonUnit = bias.shape.filter((size) => size !== 1).length;
  if (elementCount(bias.shape) !== expected || nonUnit > 1) {
    throw badInput(file, `${layer}-layer bias '${bias.name}' has shape ${formatShape(bias.shape)}; expected ${expected} values`);
  }
}

function checkTensorValues(tensor: NamedTensor, file: string): void {
  if (!isFloatDtype(tensor.dtype)) {
    throw badInput(file, `tensor '${tensor.name}' has integer dtype ${tensor.dtype}; weights must be floating point`);
  }
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const what = Number.isNaN(data[i]!) ? 'NaN' : 'an infinite value';
      throw badInput(file, `tensor '${tensor.name}' holds ${what} at index ${formatShape(unravel(i, tensor.shape))}`);
    }
  }
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const size = shape[axis]!;
    index[axis] = flat % size;
    flat = Math.floor(flat / size);
  }
  return index;
}

// ---- W1, b1, W2, b2 ---------------------------------------------------------------------

interface WScheme {
  w1: NamedTensor;
  b1: NamedTensor | null;
  w2: NamedTensor;
  b2: NamedTensor | null;
}

function findWScheme(tensors: readonly NamedTensor[], file: string): WScheme | null {
  const weights = new Map<number, NamedTensor>();
  const biases = new Map<number, NamedTensor>();
  for (const tensor of tensors) {
    const weight = /^w_?(\d+)$/i.exec(tensor.name);
    const bias = /^b_?(\d+)$/i.exec(tensor.name);
    for (const [match, found] of [[weight, weights], [bias, biases]] as const) {
      if (match === null) continue;
      const other = found.get(Number(match[1]));
      // W1 and w1 (or W_1) name the same layer: refuse rather than pick one.
      if (other !== undefined) throw badInput(file, `holds both '${other.name}' and '${tensor.name}': ambiguous, keep one of them`);
      found.set(Number(match[1]), tensor);
    }
  }
  if (weights.size === 0) return null;
  const indices = [...weights.keys()].sort((a, b) => a - b);
  const names = indices.map((index) => weights.get(index)!.name);
  checkLayerCount(names, file);
  const [first, second] = indices as [number, number];
  return {
    w1: weights.get(first)!,
    b1: biases.get(first) ?? null,
    w2: weights.get(second)!,
    b2: biases.get(second) ?? null,
  };
}

function checkLayerCount(layerNames: readonly string[], file: string): void {
  if (layerNames.length === 2) return;
  const one = layerNames.length === 1;
  throw unsupported(
    file,
    `found ${layerNames.length} weight ${one ? 'matrix' : 'matrices'} (${one ? 'layer' : 'layers'} ${layerNames.join(', ')}): ` +
      `${SUPPORT_SENTENCE} (two weight matrices)`,
  );
}

interface Interpretation {
  label: string;
  hiddenTransposed: boolean; // W1 stored d x m
  outputTransposed: boolean; // W2 stored m x c
  d: number;
  m: number;
  c: number;
}

/** Candidate readings of W1/W2, in order of preference (PyTorch first). */
function interpretations(scheme: WScheme): Interpretation[] {
  const { w1, w2, b1, b2 } = scheme;
  if (w1.shape.length !== 2) return [];
  const [r1, c1] = w1.shape as [number, number];
  const result: Interpretation[] = [];
  const options: Array<[boolean, boolean, string]> = [
    [false, false, 'W1 as (hidden x input), W2 as (output x hidden) (PyTorch convention)'],
    [true, true, 'W1 as (input x hidden), W2 as (hidden x output) (x @ W1 convention)'],
    [false, true, 'W1 as (hidden x input), W2 as (hidden x output)'],
    [true, false, 'W1 as (input x hidden), W2 as (output x hidden)'],
  ];
  for (const [hiddenTransposed, outputTransposed, label] of options) {
    const d = hiddenTransposed ? r1 : c1;
    const m = hiddenTransposed ? c1 : r1;
    let c: number;
    if (w2.shape.length === 1) {
      if (outputTransposed) continue; // a 1-D W2 has one reading
      if (w2.shape[0] !== m) continue;
      c = 1;
    } else if (w2.shape.length === 2) {
      const [r2, c2] = w2.shape as [number, number];
      if ((outputTransposed ? r2 : c2) !== m) continue;
      c = outputTransposed ? c2 : r2;
    } else {
      continue;
    }
    if (b1 !== null && elementCount(b1.shape) !== m) continue;
    if (b2 !== null && elementCount(b2.shape) !== c) continue;
    result.push({ label, hiddenTransposed, outputTransposed, d, m, c });
  }
  return result;
}

function orientWScheme(
  scheme: WScheme,
  context: TwoLayerBuildContext,
  notes: string[],
): { hidden: DenseLayerTensors; output: DenseLayerTensors } {
  const file = context.path;
  const all = interpretations(scheme);
  if (all.length === 0) {
    const shapes = [scheme.w1, scheme.b1, scheme.w2, scheme.b2]
      .filter((t): t is NamedTensor => t !== null)
      .map((t) => `${t.name} ${formatShape(t.shape)}`)
      .join(', ');
    throw badInput(file, `the weight shapes do not form a two-layer network in any orientation: ${shapes}`);
  }
  let candidates = all;
  if (context.expectedInputDim !== undefined) {
    const matching = all.filter((candidate) => candidate.d === context.expectedInputDim);
    if (matching.length > 0) candidates = matching;
    else notes.push(`no orientation of ${scheme.w1.name} ${formatShape(scheme.w1.shape)} takes ${context.expectedInputDim} inputs`);
  }
  const chosen = candidates[0]!;
  if (candidates.length > 1) {
    notes.push(
      `the orientation of ${scheme.w1.name} ${formatShape(scheme.w1.shape)} and ${scheme.w2.name} ${formatShape(scheme.w2.shape)} is ambiguous; ` +
        `read ${chosen.label}` + (context.expectedInputDim === undefined ? ' (give the data to settle it)' : ''),
    );
  } else if (chosen.hiddenTransposed || chosen.outputTransposed) {
    notes.push(`read ${chosen.label}`);
  }
  const hiddenWeight = chosen.hiddenTransposed ? transpose(scheme.w1) : scheme.w1;
  const outputWeight = chosen.outputTransposed ? transpose(scheme.w2) : scheme.w2;
  return {
    hidden: { weight: hiddenWeight, bias: scheme.b1 },
    output: { weight: outputWeight, bias: scheme.b2 },
  };
}

function transpose(tensor: NamedTensor): NamedTensor {
  const [rows, cols] = tensor.shape as [number, number];
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[j * rows + i] = tensor.data[i * cols + j]!;
  }
  return { ...tensor, shape: [cols, rows], data };
}

// ---- PyTorch <prefix>.weight / <prefix>.bias --------------------------------------------

const FIRST_WORDS = new Set(['input', 'hidden', 'first', 'encoder', 'fc_in', 'in']);
const LAST_WORDS = new Set(['output', 'out', 'head', 'classifier', 'last', 'decoder', 'fc_out', 'readout']);

function findTorchLayers(
  tensors: readonly NamedTensor[],
  byName: Map<string, NamedTensor>,
  file: string,
): [DenseLayerTensors, DenseLayerTensors] {
  const prefixes = tensors.filter((tensor) => tensor.name.endsWith('.weight')).map((tensor) => tensor.name.slice(0, -'.weight'.length));
  if (prefixes.length === 0) {
    const names = tensors.map((tensor) => `${tensor.name} ${formatShape(tensor.shape)}`).join(', ');
    throw badInput(
      file,
      `no weight tensors recognized: expected PyTorch names (0.weight/2.weight, fc1.weight/fc2.weight, ...) or W1, b1, W2, b2; found ${names || 'no tensors'}`,
    );
  }
  for (const prefix of prefixes) {
    const weight = byName.get(`${prefix}.weight`)!;
    if (weight.shape.length > 2) {
      throw unsupported(file, `layer ${prefix} has a ${weight.shape.length}-D weight ${formatShape(weight.shape)} (convolution?): only dense (Linear) layers are supported`);
    }
  }
  const ordered = orderPrefixes(prefixes, byName, file);
  checkLayerCount(ordered, file);
  const [first, second] = ordered as [string, string];
  const layer = (prefix: string): DenseLayerTensors => ({
    weight: byName.get(`${prefix}.weight`)!,
    bias: byName.get(`${prefix}.bias`) ?? null,
  });
  return [layer(first), layer(second)];
}

function orderPrefixes(prefixes: string[], byName: Map<string, NamedTensor>, file: string): string[] {
  if (prefixes.length < 2) return prefixes;
  const numbers = prefixes.map((prefix) => {
    const match = /(\d+)(?!.*\d)/.exec(prefix);
    return match ? Number(match[1]) : null;
  });
  if (numbers.every((value) => value !== null) && new Set(numbers).size === numbers.length) {
    return prefixes
      .map((prefix, index) => ({ prefix, number: numbers[index]! }))
      .sort((a, b) => a.number - b.number)
      .map((entry) => entry.prefix);
  }
  const rank = (prefix: string): number => {
    const last = prefix.split('.').pop()!.toLowerCase();
    return FIRST_WORDS.has(last) ? 0 : LAST_WORDS.has(last) ? 2 : 1;
  };
  const ranks = prefixes.map(rank);
  if (prefixes.length === 2 && ranks[0] !== ranks[1]) {
    return [...prefixes].sort((a, b) => rank(a) - rank(b));
  }
  if (prefixes.length === 2) {
    // Fall back on the shape chain: the first layer's rows feed the second layer's columns.
    const [a, b] = prefixes.map((prefix) => byName.get(`${prefix}.weight`)!) as [NamedTensor, NamedTensor];
    const feeds = (from: NamedTensor, to: NamedTensor) =>
      from.shape.length === 2 && (to.shape.length === 1 ? to.shape[0] : to.shape[1]) === from.shape[0];
    const ab = feeds(a, b);
    const ba = feeds(b, a);
    if (ab !== ba) return ab ? [prefixes[0]!, prefixes[1]!] : [prefixes[1]!, prefixes[0]!];
    throw badInput(file, `cannot tell which of the layers ${prefixes.join(' and ')} comes first (name them like fc1/fc2 or 0/2)`);
  }
  return prefixes;
}
