import { badInput, unsupported } from '../../errors';
import { own } from '../../io/own';

/**
 * Reads a Keras model config (Keras 2 HDF5 `model_config`, Keras v3 `config.json`, TF.js
 * `modelTopology`) into the ordered list of dense layers and their activations. Activation
 * layers (Activation, ReLU, LeakyReLU, Softmax, ...) are folded into the dense layer before
 * them; InputLayer, Dropout and similar inference no-ops are skipped. Weights are attached by
 * each format, which knows where it stores them.
 */
export interface KerasDenseSpec {
  /** Layer name from the config. */
  name: string;
  units: number;
  useBias: boolean;
  /** Engine activation text: 'relu', 'leaky_relu:0.3', 'softmax', 'linear', ... */
  activation: string;
  /** Input width when the config states it (batch_input_shape of the first layer). */
  inputDim: number | null;
}

export interface KerasStack {
  className: string;
  dense: KerasDenseSpec[];
  /** Skipped layers, for the notes. */
  skipped: string[];
}

type Json = Record<string, unknown>;

const NO_OPS = new Set(['InputLayer', 'Dropout', 'GaussianDropout', 'AlphaDropout', 'GaussianNoise', 'ActivityRegularization']);
const KERAS_ACTIVATIONS: Record<string, string> = {
  relu: 'relu', linear: 'linear', tanh: 'tanh', sigmoid: 'sigmoid', softmax: 'softmax', elu: 'elu',
  gelu: 'gelu', softplus: 'softplus', selu: 'selu', swish: 'swish', silu: 'swish', exponential: 'exponential',
  hard_sigmoid: 'hard_sigmoid', softsign: 'softsign', relu6: 'relu6', leaky_relu: 'leaky_relu:0.2',
  // TF.js spellings
  leakyrelu: 'leaky_relu:0.2',
};

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keras activation (string or serialized `{class_name, config}`) -> engine activation text. */
export function kerasActivation(value: unknown, file: string, layer: string): string {
  let name: unknown = value;
  if (isObject(value)) name = value['class_name'] ?? (isObject(value['config']) ? value['config']['name'] : undefined);
  if (value === null || value === undefined) return 'linear';
  if (typeof name !== 'string') throw badInput(file, `layer ${layer} has an activation that is not a name (${JSON.stringify(value).slice(0, 80)})`);
  const text = own(KERAS_ACTIVATIONS, name.toLowerCase());
  if (text === undefined) return name.toLowerCase(); // resolved (and refused if unknown) by denseStack
  return text;
}

function layerList(config: unknown, file: string): { className: string; layers: unknown[] } {
  if (!isObject(config)) throw badInput(file, 'the Keras model config is not a JSON object');
  const className = typeof config['class_name'] === 'string' ? config['class_name'] : '';
  const inner = config['config'];
  if (Array.isArray(inner)) return { className, layers: inner }; // old Sequential: config is the layer list
  if (isObject(inner) && Array.isArray(inner['layers'])) return { className, layers: inner['layers'] };
  if (className === 'Dense') return { className: 'Sequential', layers: [config] };
  throw badInput(file, `the Keras model config (${className || 'no class_name'}) holds no layer list`);
}

function inputWidth(layerConfig: Json): number | null {
  const shape = layerConfig['batch_input_shape'] ?? layerConfig['batch_shape'] ?? layerConfig['input_shape'];
  if (!Array.isArray(shape) || shape.length === 0) return null;
  const last = shape[shape.length - 1];
  return typeof last === 'number' && Number.isInteger(last) && last > 0 ? last : null;
}

/** Names of the layers feeding a functional-model layer (Keras 2 and Keras 3 inbound_nodes). */
function inboundNames(layer: Json): string[] | null {
  const nodes = layer['inbound_nodes'];
  if (!Array.isArray(nodes)) return null;
  const names: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8) return;
    if (Array.isArray(value)) {
      if (typeof value[0] === 'string' && typeof value[1] === 'number') names.push(value[0]);
      else for (const item of value) visit(item, depth + 1);
    } else if (isObject(value)) {
      const history = isObject(value['config']) ? value['config']['keras_history'] : undefined;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else for (const item of Object.values(value)) visit(item, depth + 1);
    }
  };
  visit(nodes, 0);
  return names;
}

export function parseKerasConfig(config: unknown, file: string): KerasStack {
  const { className, layers } = layerList(config, file);
  if (layers.length > 10_000) throw badInput(file, `the Keras model config lists ${layers.length} layers`);
  const dense: KerasDenseSpec[] = [];
  const skipped: string[] = [];
  let firstInputDim: number | null = null;
  let previousName: string | null = null;
  const functional = className !== 'Sequential';
  for (const [index, raw] of layers.entries()) {
    if (!isObject(raw) || typeof raw['class_name'] !== 'string' || !isObject(raw['config'])) {
      throw badInput(file, `layer ${index + 1} of the Keras model config is malformed`);
    }
    const layerClass = raw['class_name'];
    const layerConfig = raw['config'];
    const name = typeof layerConfig['name'] === 'string' ? layerConfig['name'] : typeof raw['name'] === 'string' ? raw['name'] : `layer_${index}`;
    if (functional && previousName !== null) {
      const inbound = inboundNames(raw);
      if (inbound !== null && (inbound.length !== 1 || inbound[0] !== previousName)) {
        throw unsupported(
          file,
          `layer ${name} takes its input from ${inbound.length ? inbound.join(', ') : 'nothing'}, not from ${previousName}: only a chain of layers is supported`,
        );
      }
    }
    previousName = name;
    if (firstInputDim === null) firstInputDim = inputWidth(layerConfig);
    if (NO_OPS.has(layerClass)) {
      skipped.push(`${name} (${layerClass})`);
      continue;
    }
    if (layerClass === 'Dense') {
      const units = layerConfig['units'];
      if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) throw badInput(file, `Dense layer ${name} has no valid 'units'`);
      dense.push({
        name,
        units,
        useBias: layerConfig['use_bias'] !== false,
        activation: kerasActivation(layerConfig['activation'], file, name),
        inputDim: dense.length === 0 ? firstInputDim : null,
      });
      continue;
    }
    const activation = activationLayer(layerClass, layerConfig, file, name);
    if (activation === null) {
      throw unsupported(file, `layer ${name} is a ${layerClass}: only Dense layers and activations form a two-layer network`);
    }
    const previous = dense[dense.length - 1];
    if (previous === undefined) throw unsupported(file, `activation layer ${name} comes before any Dense layer`);
    if (previous.activation !== 'linear') {
      throw unsupported(file, `layer ${previous.name} already applies ${previous.activation} and is followed by activation layer ${name} (${activation})`);
    }
    previous.activation = activation;
    skipped.push(`${name} (${layerClass} ${activation}, folded into ${previous.name})`);
  }
  return { className, dense, skipped };
}

function activationLayer(layerClass: string, config: Json, file: string, name: string): string | null {
  const number = (key: string, fallback: number): number => (typeof config[key] === 'number' ? config[key] : fallback);
  switch (layerClass) {
    case 'Activation': return kerasActivation(config['activation'], file, name);
    case 'ReLU': {
      if (typeof config['max_value'] === 'number' || number('threshold', 0) !== 0) return 'relu_capped';
      const slope = number('negative_slope', 0);
      return slope === 0 ? 'relu' : `leaky_relu:${slope}`;
    }
    case 'LeakyReLU': return `leaky_relu:${number('alpha', number('negative_slope', 0.3))}`;
    case 'ELU': return `elu:${number('alpha', 1)}`;
    case 'Softmax': return 'softmax';
    default: return null;
  }
}
