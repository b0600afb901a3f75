import type { Dataset } from '../../data/types';
import { badInput } from '../../errors';
import { buildDataset, describeDataPairs, pickDataPair, type DataArray } from '../datasetBuilder';
import type { DataFormat, DataLoadOptions } from '../formatTypes';
import { looksLikeJson, nestedArrayToTensor, parseJsonText } from '../jsonArrays';

/** JSON data: `{ "X": [[...], ...], "y": [...] }` (y may be n x c); other pair names as for .npz. */
export function loadJsonData(bytes: Uint8Array, path: string, _options: DataLoadOptions): Dataset {
  const root = parseJsonText(bytes, path);
  if (typeof root !== 'object' || root === null || Array.isArray(root)) {
    throw badInput(path, `JSON data must be an object such as { "X": [[...]], "y": [...] }`);
  }
  const object = root as Record<string, unknown>;
  const pair = pickDataPair(Object.keys(object), path);
  if (pair === null) {
    throw badInput(path, `no input/target arrays found: expected one of the keys pairs ${describeDataPairs()} (any case); found keys ${Object.keys(object).join(', ') || 'none'}`);
  }
  const read = (name: string): DataArray => {
    const tensor = nestedArrayToTensor(Object.hasOwn(object, name) ? object[name] : undefined, name, path);
    return { name, shape: tensor.shape, values: Float32Array.from(tensor.data) };
  };
  return buildDataset(read(pair[0]), read(pair[1]), { path, format: 'json', notes: [] }, (array, row, column) =>
    `${array.name}[${row}]${array.shape.length > 1 ? `[${column}]` : ''}`,
  );
}

export const jsonDataFormat: DataFormat = {
  name: 'json',
  description: `JSON object with arrays ${describeDataPairs()} (any case); y may be n x c`,
  sniff: (bytes) => looksLikeJson(bytes),
  load: loadJsonData,
};
