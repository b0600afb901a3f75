import { decodeNpyData, isNpy, readNpyHeader } from '../../io/npy';
import { readZipEntries } from '../../io/zip';
import type { Dataset } from '../../data/types';
import { badInput } from '../../errors';
import { buildDataset, describeDataPairs, pickDataPair, type DataArray } from '../datasetBuilder';
import type { DataFormat, DataLoadOptions } from '../formatTypes';
import { isNpz } from './npzModel';

/** Decodes one .npy (file bytes) straight into float32. */
export function npyToDataArray(bytes: Uint8Array, file: string, name: string, inZip: boolean): DataArray {
  const header = readNpyHeader(bytes, file, inZip ? name : undefined);
  const values = new Float32Array(header.count);
  decodeNpyData(bytes, header, values, file, inZip ? name : undefined);
  return { name, shape: header.shape, values };
}

export function loadNpzData(bytes: Uint8Array, path: string, options: DataLoadOptions): Dataset {
  const entries = readZipEntries(bytes, path, options.maxFileBytes !== undefined ? { maxTotalBytes: options.maxFileBytes } : {});
  const arrays = new Map<string, Uint8Array>();
  for (const [entryName, entryBytes] of entries) {
    if (entryName.endsWith('.npy')) arrays.set(entryName.slice(0, -'.npy'.length), entryBytes);
  }
  const names = [...arrays.keys()];
  const pair = pickDataPair(names);
  if (pair === null) {
    throw badInput(path, `no input/target arrays found: expected one of the pairs ${describeDataPairs()} (any case); the file holds ${names.join(', ') || 'no arrays'}`);
  }
  const [inputName, targetName] = pair;
  const notes: string[] = [];
  const ignored = names.filter((name) => name !== inputName && name !== targetName);
  if (ignored.length > 0) notes.push(`ignored arrays: ${ignored.join(', ')}`);
  const read = (name: string): DataArray => {
    const entry = arrays.get(name)!;
    if (!isNpy(entry)) throw badInput(path, `array '${name}': not a NumPy .npy array`);
    return npyToDataArray(entry, path, name, true);
  };
  return buildDataset(read(inputName), read(targetName), { path, format: 'npz', notes });
}

export const npzDataFormat: DataFormat = {
  name: 'npz',
  description: `NumPy .npz with arrays ${describeDataPairs()} (any case)`,
  sniff: (bytes) => isNpz(bytes),
  load: loadNpzData,
};
