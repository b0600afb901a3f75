import { badInput, unsupported } from '../../errors';
import type { TwoLayerModel } from '../../model/types';
import type { ModelFormat, ModelLoadOptions } from '../formatTypes';
import { type DenseLayer, denseStackToModel, transposeMatrix } from './denseStack';
import {
  type H5Group, type H5Module, isGroup, isHdf5, readFloatDataset, stringAttribute, stringListAttribute, withHdf5File,
} from './hdf5';
import { type KerasDenseSpec, type KerasStack, parseKerasConfig } from './kerasConfig';
import { checkFileSize } from './limits';
import { runHdf5Reader } from './hdf5Thread';

/**
 * Keras 2.x `model.save('x.h5')` (also tf.keras before 2.12 saving to a `.keras` path): root
 * attribute `model_config` (JSON), weights under `model_weights/<layer>/<weight_name>` in the
 * order of the layer group's `weight_names` attribute, kernels stored (in x out). The
 * `optimizer_weights` group is never read.
 */
export async function loadKerasH5(bytes: Uint8Array, path: string, options: ModelLoadOptions): Promise<TwoLayerModel> {
  checkFileSize(bytes.length, path, options);
  return runHdf5Reader({ reader: 'keras-h5', bytes, file: path, options: { maxFileBytes: options.maxFileBytes } }, options.hdf5BudgetMs, options.signal);
}

/** Runs in the HDF5 worker thread (hdf5Readers.ts). */
export async function readKerasH5(bytes: Uint8Array, path: string): Promise<TwoLayerModel> {
  return withHdf5File(bytes, path, (root, h5) => {
    const configText = stringAttribute(root, 'model_config', bytes.length, path);
    if (configText === null) {
      throw unsupported(path, 'this HDF5 file has no model_config attribute (a save_weights file, or not Keras): save the model with model.save()');
    }
    const stack = parseConfig(configText, path);
    const weightsRoot = root.get('model_weights') ?? root;
    if (!isGroup(weightsRoot, h5)) throw badInput(path, 'model_weights is not an HDF5 group');
    const layers = stack.dense.map((spec) => readDense(spec, weightsRoot, bytes, path, h5));
    const notes = [`Keras ${stringAttribute(root, 'keras_version', bytes.length, path) ?? '(version not recorded)'} HDF5 ${stack.className}`];
    if (stack.skipped.length > 0) notes.push(`layers without weights: ${stack.skipped.join(', ')}`);
    if (root.keys().includes('optimizer_weights')) notes.push('optimizer_weights skipped');
    return denseStackToModel(layers, { path, format: 'keras-h5', notes });
  });
}

function parseConfig(text: string, file: string): KerasStack {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw badInput(file, `model_config is not valid JSON (${(error as Error).message})`);
  }
  return parseKerasConfig(config, file);
}

function readDense(
  spec: KerasDenseSpec,
  weightsRoot: H5Group,
  bytes: Uint8Array,
  file: string,
  h5: H5Module,
): DenseLayer {
  const group = weightsRoot.get(spec.name);
  if (!isGroup(group, h5)) throw badInput(file, `no weights group model_weights/${spec.name} for Dense layer ${spec.name}`);
  const names = stringListAttribute(group, 'weight_names', bytes.length, file) ?? group.keys();
  const pick = (suffix: 'kernel' | 'bias') => names.find((name) => name.replace(/:\d+$/, '').split('/').pop() === suffix) ?? null;
  const kernelName = pick('kernel');
  if (kernelName === null) throw badInput(file, `Dense layer ${spec.name} has no kernel among its weights (${names.join(', ') || 'none'})`);
  const kernel = readFloatDataset(group.get(kernelName), `${spec.name}/${kernelName}`, bytes, file, h5);
  if (kernel.shape.length !== 2 || kernel.shape[1] !== spec.units) {
    throw badInput(file, `Dense layer ${spec.name} has ${spec.units} units but its kernel has shape [${kernel.shape.join(', ')}]`);
  }
  const [inDim, outDim] = kernel.shape as [number, number];
  const biasName = spec.useBias ? pick('bias') : null;
  if (spec.useBias && biasName === null) throw badInput(file, `Dense layer ${spec.name} uses a bias but none is stored`);
  const bias = biasName === null ? null : readFloatDataset(group.get(biasName), `${spec.name}/${biasName}`, bytes, file, h5);
  if (bias !== null && bias.data.length !== outDim) throw badInput(file, `Dense layer ${spec.name}: bias has ${bias.data.length} values for ${outDim} units`);
  return {
    name: spec.name,
    kernel: transposeMatrix(kernel.data, inDim, outDim),
    bias: bias === null ? null : bias.data,
    inDim,
    outDim,
    activation: spec.activation,
    tensorNames: [`model_weights/${spec.name}/${kernelName}`, ...(biasName ? [`model_weights/${spec.name}/${biasName}`] : [])],
  };
}

export const kerasH5ModelFormat: ModelFormat = {
  name: 'keras-h5',
  description: 'Keras 2 HDF5 (.h5, .hdf5, and HDF5 files named .keras; detected by the HDF5 signature)',
  sniff: (bytes) => isHdf5(bytes),
  load: loadKerasH5,
};
