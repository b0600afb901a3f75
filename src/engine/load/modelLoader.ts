import { badInput } from '../errors';
import type { TwoLayerModel } from '../model/types';
import type { ModelLoadOptions } from './formatTypes';
import { modelFormats, pickFormat } from './modelFormats';
import { describeMagic, readFileChecked } from './readFileChecked';

export type { ModelLoadOptions } from './formatTypes';

/**
 * Reads a two-layer network from a file. The format is found from the bytes (see
 * modelFormats.ts); every problem with the file is a FlatnessLensError naming it.
 */
export async function loadModel(path: string, options: ModelLoadOptions = {}): Promise<TwoLayerModel> {
  const bytes = await readFileChecked(path, options.maxFileBytes);
  return loadModelFromBytes(bytes, path, options);
}

export async function loadModelFromBytes(bytes: Uint8Array, path: string, options: ModelLoadOptions = {}): Promise<TwoLayerModel> {
  const format = pickFormat(modelFormats, bytes, path);
  if (format === null) {
    const supported = modelFormats.filter((entry) => !entry.fallback || entry.name === 'json').map((entry) => entry.description);
    throw badInput(path, `not a recognized model format (${describeMagic(bytes)}). Supported formats: ${supported.join('; ')}`);
  }
  return format.load(bytes, path, options);
}
