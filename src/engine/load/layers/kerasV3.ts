import { badInput, unsupported } from '../../errors';
import { isZip, readZipEntries, zipEntryNames } from '../../io/zip';
import type { TwoLayerModel } from '../../model/types';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import { type DenseLayer, denseStackToModel, transposeMatrix } from './denseStack';
import { type H5Group, type H5Module, type Hdf5Tensor, isGroup, readFloatDataset, withHdf5File } from './hdf5';
import { parseKerasConfig } from './kerasConfig';
import { checkFileSize } from './limits';
import { runHdf5Reader } from './hdf5Thread';

/**
 * Keras v3 `.keras` zip: `config.json` (the model config) and `model.weights.h5`. The weights
 * file addresses variables by position under generated paths (`layers/dense/vars/0`, or
 * `_layer_checkpoint_dependencies/dense_2/vars/0` in tf.keras 2.13) whose names need not match
 * the config, so Dense layers are matched to weight groups by order, checked by shape.
 */
export async function loadKerasV3(bytes: Uint8Array, path: string, options: ModelLoadOptions): Promise<TwoLayerModel> {
  checkFileSize(bytes.length, path, options);
  const limit = options.maxFileBytes;
  const entries = readZipEntries(bytes, path, limit !== undefined ? { maxTotalBytes: limit } : {});
  const configBytes = entries.get('config.json');
  const weightBytes = entries.get('model.weights.h5');
  if (configBytes === undefined || weightBytes === undefined) {
    throw badInput(path, `a Keras v3 archive needs config.json and model.weights.h5; found ${[...entries.keys()].join(', ')}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(configBytes));
  } catch (error) {
    throw badInput(path, `config.json is not valid JSON (${(error as Error).message})`);
  }
  const stack = parseKerasConfig(config, path);
  let version: string | null = null;
  try {
    const metadata: unknown = JSON.parse(new TextDecoder().decode(entries.get('metadata.json') ?? new Uint8Array()));
    if (typeof metadata === 'object' && metadata !== null && 'keras_version' in metadata) version = String(metadata.keras_version);
  } catch {
    // metadata.json is optional
  }
  const weightFile = `${path}:model.weights.h5`;
  const groups = await runHdf5Reader({ reader: 'keras-v3-weights', bytes: weightBytes, file: weightFile, options: {} }, options.hdf5BudgetMs, options.signal);
  if (groups.length !== stack.dense.length) {
    throw unsupported(
      path,
      `config.json lists ${stack.dense.length} Dense layer(s) (${stack.dense.map((spec) => spec.name).join(', ')}) but model.weights.h5 holds ` +
        `${groups.length} weight group(s) (${groups.map((group) => group.path).join(', ')}); only Dense layers are supported`,
    );
  }
  const layers: DenseLayer[] = stack.dense.map((spec, index) => {
    const group = groups[index]!;
    const [kernel, bias] = group.vars;
    if (kernel === undefined || kernel.shape.length !== 2 || kernel.shape[1] !== spec.units) {
      throw badInput(path, `Dense layer ${spec.name} (${spec.units} units) does not match weight group ${group.path} (${group.vars.map((v) => `[${v.shape.join(', ')}]`).join(', ')})`);
    }
    const [inDim, outDim] = kernel.shape as [number, number];
    if (spec.useBias && (bias === undefined || bias.data.length !== outDim)) {
      throw badInput(path, `Dense layer ${spec.name}: weight group ${group.path} holds no ${outDim}-value bias`);
    }
    return {
      name: spec.name,
      kernel: transposeMatrix(kernel.data, inDim, outDim),
      bias: spec.useBias && bias !== undefined ? bias.data : null,
      inDim,
      outDim,
      activation: spec.activation,
      tensorNames: [kernel.name, ...(spec.useBias && bias ? [bias.name] : [])],
    };
  });
  const notes = [`Keras v3 archive (keras ${version ?? 'version not recorded'}), ${stack.className}; weights matched to Dense layers by position`];
  if (stack.skipped.length > 0) notes.push(`layers without weights: ${stack.skipped.join(', ')}`);
  return denseStackToModel(layers, { path, format: 'keras-v3', notes });
}

/** Runs in the HDF5 worker thread (hdf5Readers.ts). */
export async function readKerasV3Weights(bytes: Uint8Array, file: string): Promise<VariableGroup[]> {
  return withHdf5File(bytes, file, (root, h5) => variableGroups(root, bytes, file, h5));
}

export interface VariableGroup {
  path: string;
  vars: Hdf5Tensor[];
}

/** Natural order: dense < dense_1 < dense_2 < dense_10 (generated names carry counters). */
function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Every `vars` group holding datasets, depth first in natural name order, optimizer state skipped. */
function variableGroups(root: H5Group, bytes: Uint8Array, file: string, h5: H5Module): VariableGroup[] {
  const result: VariableGroup[] = [];
  // Hard links can make the group graph cyclic: bound depth and the total number of visits.
  let visits = 0;
  const visit = (group: H5Group, path: string, depth: number): void => {
    if (depth > 16) throw badInput(file, 'model.weights.h5 nests groups too deeply');
    if (++visits > 10_000) throw badInput(file, 'model.weights.h5 holds more than 10000 groups (or its links form a cycle)');
    const keys = group.keys().sort(naturalCompare);
    for (const key of keys) {
      if (depth === 0 && /optimizer/i.test(key)) continue;
      const child = group.get(key);
      if (!isGroup(child, h5)) continue;
      const childPath = path ? `${path}/${key}` : key;
      if (key === 'vars') {
        const names = child.keys().sort(naturalCompare);
        if (names.length > 0) {
          result.push({ path: childPath, vars: names.map((name) => readFloatDataset(child.get(name), `${childPath}/${name}`, bytes, file, h5)) });
        }
      } else {
        visit(child, childPath, depth + 1);
      }
    }
  };
  visit(root, '', 0);
  return result;
}

/** A zip holding config.json and model.weights.h5 is a Keras v3 archive, whatever its name. */
export function isKerasV3(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  const names = zipEntryNames(bytes);
  return names.includes('config.json') && names.includes('model.weights.h5');
}

export const kerasV3ModelFormat: ModelFormat = {
  name: 'keras-v3',
  description: 'Keras v3 archive (.keras zip with config.json and model.weights.h5)',
  sniff: (bytes) => isKerasV3(bytes),
  load: loadKerasV3,
};
