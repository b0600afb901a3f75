import { isNpy, parseNpy, parseNpyString, readNpyHeader } from '../../io/npy';
import { isZip, readZipEntries, zipEntryNames } from '../../io/zip';
import { badInput } from '../../errors';
import type { TwoLayerModel } from '../../model/types';
import { resolveActivation } from '../activation';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import type { NamedTensor } from '../tensors';
import { twoLayerFromTensors } from '../twoLayerFromTensors';

/** An .npz is a zip whose every file entry is an .npy array. */
export function isNpz(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  const files = zipEntryNames(bytes).filter((name) => !name.endsWith('/'));
  return files.length > 0 && files.every((name) => name.endsWith('.npy'));
}

/** Arrays of an .npz by name (without '.npy'); string arrays are returned separately. */
export function readNpzArrays(
  bytes: Uint8Array,
  path: string,
  maxTotalBytes?: number,
): { tensors: NamedTensor[]; strings: Map<string, string> } {
  const entries = readZipEntries(bytes, path, maxTotalBytes !== undefined ? { maxTotalBytes } : {});
  const tensors: NamedTensor[] = [];
  const strings = new Map<string, string>();
  for (const [entryName, entryBytes] of entries) {
    if (!entryName.endsWith('.npy')) continue;
    const name = entryName.slice(0, -'.npy'.length);
    if (!isNpy(entryBytes)) throw badInput(path, `array '${name}': not a NumPy .npy array`);
    const header = readNpyHeader(entryBytes, path, name);
    if (header.kind === 'U' || header.kind === 'S') {
      const text = parseNpyString(entryBytes, path, name);
      if (text !== null) strings.set(name, text);
      continue;
    }
    tensors.push(parseNpy(entryBytes, path, name));
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
