import { parseNpyString } from '../../io/npy';
import { isZip, zipEntryNames } from '../../io/zip';
import type { TwoLayerModel } from '../../model/types';
import { resolveActivation } from '../activation';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import type { NamedTensor } from '../../io/tensors';
import { twoLayerFromTensors } from '../twoLayerFromTensors';
import { npzMembers } from './npzMembers';

/** An .npz is a zip whose every file entry is an .npy array. */
export function isNpz(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  const files = zipEntryNames(bytes).filter((name) => !name.endsWith('/'));
  return files.length > 0 && files.every((name) => name.endsWith('.npy'));
}

/**
 * Arrays of an .npz by name (without '.npy'); scalar string arrays are returned separately.
 * Numeric arrays are decoded when their `data` is first read, so arrays the model does not use
 * are never inflated (their headers are checked all the same).
 */
export function readNpzArrays(
  bytes: Uint8Array,
  path: string,
  maxTotalBytes?: number,
): { tensors: NamedTensor[]; strings: Map<string, string> } {
  const tensors: NamedTensor[] = [];
  const strings = new Map<string, string>();
  for (const member of npzMembers(bytes, path, maxTotalBytes)) {
    const { header, name } = member;
    if (header.kind === 'U' || header.kind === 'S') {
      if (name.toLowerCase() !== 'activation') continue;
      const text = parseNpyString(member.bytes(), path, name);
      if (text !== null) strings.set(name, text);
      continue;
    }
    let data: Float64Array | null = null;
    tensors.push({
      name,
      shape: header.shape,
      dtype: header.descr,
      get data() {
        return (data ??= member.decode(Float64Array));
      },
    });
  }
  return { tensors, strings };
}

export function loadNpzModel(bytes: Uint8Array, path: string, options: ModelLoadOptions): TwoLayerModel {
  const { tensors, strings } = readNpzArrays(bytes, path, options.maxFileBytes);
  const activationKey = [...strings.keys()].find((key) => key.toLowerCase() === 'activation');
  return twoLayerFromTensors(tensors, {
    path,
    format: 'npz',
    activation: resolveActivation(path, activationKey ? strings.get(activationKey) : null, options.activation, "the array 'activation'"),
    ...(options.expectedInputDim !== undefined ? { expectedInputDim: options.expectedInputDim } : {}),
  });
}

export const npzModelFormat: ModelFormat = {
  name: 'npz',
  description: "NumPy .npz (np.savez; arrays named like the other formats, optional string array 'activation')",
  sniff: (bytes) => isNpz(bytes),
  load: loadNpzModel,
};
