import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { FlatnessLensError, badInput, unsupported } from '../../errors';
import type { TwoLayerModel } from '../../model/types';
import { DEFAULT_MAX_FILE_BYTES, type ModelFormat, type ModelLoadOptions } from '../formatTypes';
import { type DenseLayer, denseStackToModel, transposeMatrix } from './denseStack';
import { halfToNumber } from '../../io/float16';
import { parseKerasConfig } from './kerasConfig';
import { checkFileSize } from './limits';
import { own } from '../../io/own';
import { fileKind, readFileChecked } from '../readFileChecked';

/**
 * TF.js Layers models: `model.json` (modelTopology + weightsManifest) and binary weight shards
 * next to it. Old files (tfjs-layers 1.x, ml5) have no `format` key and a layer list as the
 * Sequential config; `layers-model` files have `{name, layers}`. Weights are float32, or
 * quantized by the converter to float16 or uint8/uint16 with `value = q * scale + min`
 * (computed in float32, as TF.js does).
 */
type Json = Record<string, unknown>;

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization: { dtype: string; scale: number; min: number } | null;
}

const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };
/** Far above any two-layer model's manifest; a hostile one with millions of entries is refused before work. */
const MAX_SHARDS = 1000;
const MAX_WEIGHTS = 10_000;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isTfjsLayersJson(bytes: Uint8Array): boolean {
  if (bytes.length > 64 * 1024 * 1024) return false;
  let start = 0;
  while (start < bytes.length && (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)) start++;
  if (bytes[start] !== 0x7b) return false; // '{'
  const text = new TextDecoder().decode(bytes);
  return text.includes('"modelTopology"') && text.includes('"weightsManifest"');
}

export async function loadTfjsLayers(bytes: Uint8Array, path: string, options: ModelLoadOptions): Promise<TwoLayerModel> {
  checkFileSize(bytes.length, path, options);
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw badInput(path, `model.json is not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(document)) throw badInput(path, 'model.json is not a JSON object');
  if (document['format'] === 'graph-model') {
    throw unsupported(path, 'this is a TF.js graph model (a converted SavedModel); only TF.js layers models are supported');
  }
  let topology = document['modelTopology'];
  if (isObject(topology) && isObject(topology['model_config'])) topology = topology['model_config'];
  const stack = parseKerasConfig(topology, path);
  const manifest = readManifest(document['weightsManifest'], path);
  const buffer = await readShards(manifest.paths, path, bytes.length, options);
  const values = decodeWeights(manifest.weights, buffer, path);

  const layers: DenseLayer[] = stack.dense.map((spec, index) => {
    const find = (suffix: string, position: number) =>
      values.find((entry) => entry.weight.name.replace(/:\d+$/, '').endsWith(`${spec.name}/${suffix}`)) ??
      positional(values, stack.dense.length, index, position);
    const kernel = find('kernel', 0);
    if (kernel === undefined || kernel.weight.shape.length !== 2 || kernel.weight.shape[1] !== spec.units) {
      throw badInput(path, `Dense layer ${spec.name} (${spec.units} units) has no matching kernel in the weights manifest`);
    }
    const [inDim, outDim] = kernel.weight.shape as [number, number];
    const bias = spec.useBias ? find('bias', 1) : undefined;
    if (spec.useBias && (bias === undefined || bias.data.length !== outDim)) {
      throw badInput(path, `Dense layer ${spec.name} uses a bias but the manifest holds no ${outDim}-value bias for it`);
    }
    return {
      name: spec.name,
      kernel: transposeMatrix(kernel.data, inDim, outDim),
      bias: bias === undefined ? null : bias.data,
      inDim,
      outDim,
      activation: spec.activation,
      tensorNames: [kernel.weight.name, ...(bias ? [bias.weight.name] : [])],
    };
  });
  const style = typeof document['format'] === 'string' ? document['format'] : 'old-style layers model (no format key)';
  const generator = isObject(document['modelTopology']) && typeof document['modelTopology']['keras_version'] === 'string'
    ? document['modelTopology']['keras_version'] : 'unknown version';
  const quantized = [...new Set(manifest.weights.map((weight) => weight.quantization?.dtype).filter((dtype) => dtype !== undefined))];
  const notes = [`TF.js ${style}, ${generator}, ${manifest.paths.length} weight shard(s)`];
  if (quantized.length > 0) notes.push(`weights were quantized to ${quantized.join(', ')} and dequantized as TF.js does`);
  if (stack.skipped.length > 0) notes.push(`layers without weights: ${stack.skipped.join(', ')}`);
  return denseStackToModel(layers, { path, format: 'tfjs-layers', notes });
}

/**
 * The weight shard files a TF.js model.json names (best effort, for keeping outputs off them):
 * [] when the file is not a readable TF.js model.json.
 */
export function tfjsShardPaths(modelPath: string): string[] {
  try {
    const info = fs.statSync(modelPath);
    if (!info.isFile() || info.size > 64 * 1024 * 1024) return [];
    const bytes = fs.readFileSync(modelPath);
    if (!isTfjsLayersJson(bytes)) return [];
    const document: unknown = JSON.parse(bytes.toString('utf8'));
    if (!isObject(document) || !Array.isArray(document['weightsManifest'])) return [];
    const directory = nodePath.dirname(nodePath.resolve(modelPath));
    return document['weightsManifest'].slice(0, MAX_SHARDS).flatMap((group: unknown) =>
      isObject(group) && Array.isArray(group['paths'])
        ? group['paths'].filter((shard): shard is string => typeof shard === 'string').slice(0, MAX_SHARDS).map((shard) => nodePath.join(directory, shard))
        : []);
  } catch {
    return [];
  }
}

interface DecodedWeight {
  weight: ManifestWeight;
  data: Float64Array;
}

function positional(values: DecodedWeight[], layerCount: number, layerIndex: number, position: number): DecodedWeight | undefined {
  return values.length === 2 * layerCount ? values[2 * layerIndex + position] : undefined;
}

function readManifest(raw: unknown, file: string): { paths: string[]; weights: ManifestWeight[] } {
  if (!Array.isArray(raw) || raw.length === 0) throw badInput(file, 'model.json has no weightsManifest');
  const paths: string[] = [];
  const weights: ManifestWeight[] = [];
  if (raw.length > MAX_SHARDS) throw badInput(file, `the weightsManifest has ${raw.length} groups, more than the limit of ${MAX_SHARDS}`);
  for (const group of raw) {
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) {
      throw badInput(file, 'a weightsManifest group is malformed (needs paths and weights)');
    }
    if (paths.length + group['paths'].length > MAX_SHARDS) {
      throw badInput(file, `the weightsManifest names more than ${MAX_SHARDS} weight shards; refusing to read them`);
    }
    if (weights.length + group['weights'].length > MAX_WEIGHTS) {
      throw badInput(file, `the weightsManifest lists more than ${MAX_WEIGHTS} weights; refusing to read them`);
    }
    for (const shard of group['paths']) {
      if (typeof shard !== 'string') throw badInput(file, 'a weight shard path is not a string');
      paths.push(shard);
    }
    for (const entry of group['weights']) {
      if (!isObject(entry) || typeof entry['name'] !== 'string' || !Array.isArray(entry['shape']) || typeof entry['dtype'] !== 'string') {
        throw badInput(file, 'a weightsManifest entry is malformed (needs name, shape, dtype)');
      }
      const shape = entry['shape'];
      if (!shape.every((size): size is number => typeof size === 'number' && Number.isInteger(size) && size >= 0)) {
        throw badInput(file, `weight ${entry['name']} has an invalid shape`);
      }
      const q = entry['quantization'];
      let quantization: ManifestWeight['quantization'] = null;
      if (isObject(q)) {
        const dtype = String(q['dtype']);
        if (own(QUANTIZED_BYTES, dtype) === undefined) throw unsupported(file, `weight ${entry['name']} uses quantization ${dtype}; supported: uint8, uint16, float16`);
        const scale = typeof q['scale'] === 'number' ? q['scale'] : 1;
        const min = typeof q['min'] === 'number' ? q['min'] : 0;
        if (dtype !== 'float16' && (typeof q['scale'] !== 'number' || typeof q['min'] !== 'number')) {
          throw badInput(file, `weight ${entry['name']} is ${dtype}-quantized but has no numeric scale and min`);
        }
        quantization = { dtype, scale, min };
      }
      weights.push({ name: entry['name'], shape, dtype: entry['dtype'], quantization });
    }
  }
  return { paths, weights };
}

/**
 * Reads the shards named by the manifest, which must lie in model.json's directory tree (no
 * absolute paths, URLs or `..`): a model file cannot make us read elsewhere. Sizes are checked
 * against the limit (model.json and shards together) before reading.
 */
async function readShards(shards: string[], modelPath: string, modelBytes: number, options: ModelLoadOptions): Promise<Uint8Array> {
  const directory = nodePath.dirname(nodePath.resolve(modelPath));
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const files = shards.map((shard) => {
    const cleaned = shard.replace(/\\/g, '/');
    if (/^[a-z][a-z0-9+.-]*:/i.test(cleaned) || cleaned.startsWith('/') || cleaned.split('/').includes('..') || cleaned.includes('\0')) {
      throw badInput(modelPath, `weight shard path '${shard}' is absolute, a URL or leaves the model's folder; refusing to read it`);
    }
    return nodePath.join(directory, cleaned);
  });
  let total = 0;
  let withModel = modelBytes;
  const realDirectory = fs.realpathSync(directory);
  const realFiles: string[] = [];
  const sizes = files.map((file) => {
    let size: number;
    try {
      // A symbolic link could still lead out of the folder: compare real paths.
      const real = fs.realpathSync(file);
      if (!real.startsWith(realDirectory + nodePath.sep)) {
        throw badInput(modelPath, `weight shard ${nodePath.relative(directory, file)} links outside the model's folder; refusing to read it`);
      }
      const info = fs.statSync(real);
      if (!info.isFile()) {
        throw badInput(modelPath, `weight shard ${nodePath.relative(directory, file)} is ${fileKind(info)}, not a regular file; only regular files are read`);
      }
      size = info.size;
      realFiles.push(real);
    } catch (error) {
      if (error instanceof FlatnessLensError) throw error;
      throw badInput(modelPath, `weight shard ${nodePath.relative(directory, file)} is missing (it must sit next to model.json)`);
    }
    total += size;
    withModel += size;
    if (withModel > limit) throw new FlatnessLensError('too-large', `model.json and its weight shards hold more than the size limit of ${limit} bytes (--max-file-mb on the command line raises it)`, modelPath);
    return size;
  });
  const buffer = new Uint8Array(total);
  let offset = 0;
  for (const [index, file] of realFiles.entries()) {
    const data = await readFileChecked(file, limit);
    if (data.length !== sizes[index]) throw badInput(modelPath, `weight shard ${file} changed while it was read`);
    buffer.set(data, offset);
    offset += data.length;
  }
  return buffer;
}

function decodeWeights(weights: ManifestWeight[], buffer: Uint8Array, file: string): DecodedWeight[] {
  let needed = 0;
  for (const weight of weights) {
    const count = weight.shape.reduce((product, size) => product * size, 1);
    const width = weight.quantization ? QUANTIZED_BYTES[weight.quantization.dtype]! : 4;
    needed += count * width;
  }
  if (!Number.isSafeInteger(needed) || needed !== buffer.length) {
    throw badInput(file, `the weights manifest declares ${needed} bytes but the shards hold ${buffer.length}`);
  }
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const result: DecodedWeight[] = [];
  let offset = 0;
  for (const weight of weights) {
    const count = weight.shape.reduce((product, size) => product * size, 1);
    const data = new Float64Array(count);
    const q = weight.quantization;
    if (q === null) {
      if (weight.dtype !== 'float32') {
        // int32/bool tensors (step counters) are skipped; they are never Dense weights.
        offset += count * 4;
        continue;
      }
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(offset + 4 * i, true);
      offset += 4 * count;
    } else if (q.dtype === 'float16') {
      for (let i = 0; i < count; i++) data[i] = halfToNumber(view.getUint16(offset + 2 * i, true));
      offset += 2 * count;
    } else {
      const width = QUANTIZED_BYTES[q.dtype]!;
      for (let i = 0; i < count; i++) {
        const level = width === 1 ? buffer[offset + i]! : view.getUint16(offset + 2 * i, true);
        data[i] = Math.fround(level * q.scale + q.min);
      }
      offset += width * count;
    }
    result.push({ weight, data });
  }
  return result;
}

export const tfjsLayersModelFormat: ModelFormat = {
  name: 'tfjs-layers',
  description: 'TF.js Layers model (model.json + weight shards; float32, float16, uint8/uint16 quantized)',
  sniff: (bytes) => isTfjsLayersJson(bytes),
  load: loadTfjsLayers,
};
