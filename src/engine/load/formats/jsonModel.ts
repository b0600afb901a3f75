import { badInput } from '../../errors';
import type { TwoLayerModel } from '../../model/types';
import { resolveActivation } from '../activation';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import { isNumericArray, looksLikeJson, nestedArrayToTensor, parseJsonText } from '../jsonArrays';
import type { NamedTensor } from '../../io/tensors';
import { twoLayerFromTensors } from '../twoLayerFromTensors';

/**
 * Plain JSON weights: `{ "W1": [[...]], "b1": [...], "W2": ..., "b2": ..., "activation": "relu" }`
 * or PyTorch names (`"fc1.weight"`, or nested `{ "fc1": { "weight": ... } }`). A null bias is absent.
 */
export function loadJsonModel(bytes: Uint8Array, path: string, options: ModelLoadOptions): TwoLayerModel {
  const root = parseJsonText(bytes, path);
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw badInput(path, 'a JSON model must be an object of named weight arrays, e.g. { "W1": [[...]], "b1": [...], "W2": [...], "activation": "relu" }');
  }
  const tensors: NamedTensor[] = [];
  let activationText: string | null = null;
  const collect = (object: Record<string, unknown>, prefix: string, depth: number): void => {
    if (depth > 8) throw badInput(path, `objects are nested too deeply (at ${prefix.slice(0, 80)})`);
    for (const [key, value] of Object.entries(object)) {
      const name = prefix + key;
      if (prefix === '' && key.toLowerCase() === 'activation') {
        if (typeof value !== 'string') throw badInput(path, `"activation" must be a string such as "relu", not ${JSON.stringify(value)}`);
        activationText = value;
      } else if (isNumericArray(value)) {
        tensors.push(nestedArrayToTensor(value, name, path));
      } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        collect(value as Record<string, unknown>, `${name}.`, depth + 1);
      }
    }
  };
  collect(root as Record<string, unknown>, '', 0);
  return twoLayerFromTensors(tensors, {
    path,
    format: 'json',
    activation: resolveActivation(path, activationText, options.activation, 'the "activation" field'),
    ...(options.expectedInputDim !== undefined ? { expectedInputDim: options.expectedInputDim } : {}),
  });
}

export const jsonModelFormat: ModelFormat = {
  name: 'json',
  description: 'JSON object of weight arrays ({"W1", "b1", "W2", "b2", "activation"} or PyTorch names)',
  fallback: true,
  sniff: (bytes) => looksLikeJson(bytes),
  load: loadJsonModel,
};
