import { isSafetensors, parseSafetensors } from '../../io/safetensors';
import type { TwoLayerModel } from '../../model/types';
import { resolveActivation } from '../activation';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import { twoLayerFromTensors } from '../twoLayerFromTensors';

export function loadSafetensorsModel(bytes: Uint8Array, path: string, options: ModelLoadOptions): TwoLayerModel {
  const { tensors, metadata } = parseSafetensors(bytes, path);
  return twoLayerFromTensors(tensors, {
    path,
    format: 'safetensors',
    activation: resolveActivation(path, metadata['activation'], options.activation, '__metadata__'),
    ...(options.expectedInputDim !== undefined ? { expectedInputDim: options.expectedInputDim } : {}),
  });
}

export const safetensorsModelFormat: ModelFormat = {
  name: 'safetensors',
  description: 'safetensors (.safetensors; activation from __metadata__.activation)',
  sniff: (bytes) => isSafetensors(bytes),
  load: loadSafetensorsModel,
};
