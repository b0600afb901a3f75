import { decodeNpyData, readNpyHeader } from '../../io/npy';
import type { Dataset } from '../../data/types';
import { badInput } from '../../errors';
import { buildDataset, describeDataPairs, pickDataPair, type DataArray } from '../datasetBuilder';
import type { DataFormat, DataLoadOptions } from '../formatTypes';
import { isNpz } from './npzModel';
import { npzMembers } from './npzMembers';

/** Decodes one .npy (file bytes) straight into float32. */
export function npyToDataArray(bytes: Uint8Array, file: string, name: string, inZip: boolean): DataArray {
  const header = readNpyHeader(bytes, file, inZip ? name : undefined);
  const values = new Float32Array(header.count);
  decodeNpyData(bytes, header, values, file, inZip ? name : undefined);
  return { name, shape: header.shape, values };
}

export function loadNpzData(bytes: Uint8Array, path: string, options: DataLoadOptions): Dataset {
  const members = new Map(npzMembers(bytes, path, options.maxFileBytes).map((member) => [member.name, member]));
  const names = [...members.keys()];
  const pair = pickDataPair(names, path);
  if (pair === null) {
    throw badInput(path, `no input/target arrays found: expected one of the pairs ${describeDataPairs()} (any case); the file holds ${names.join(', ') || 'no arrays'}`);
  }
  const [inputName, targetName] = pair;
  const notes: string[] = [];
  const ignored = names.filter((name) => name !== inputName && name !== targetName);
  if (ignored.length > 0) notes.push(`ignored arrays: ${ignored.join(', ')}`);
  // Only the two arrays used are inflated.
  const read = (name: string): DataArray => {
    const member = members.get(name)!;
    if (member.header.kind === 'U' || member.header.kind === 'S') throw badInput(path, `array '${name}': holds strings (${member.header.descr}), not numbers`);
    return { name, shape: member.header.shape, values: member.decode(Float32Array) };
  };
  return buildDataset(read(inputName), read(targetName), { path, format: 'npz', notes });
}

export const npzDataFormat: DataFormat = {
  name: 'npz',
  description: `NumPy .npz with arrays ${describeDataPairs()} (any case)`,
  sniff: (bytes) => isNpz(bytes),
  load: loadNpzData,
};
