import type { Dataset } from '../../data/types';
import { badInput, unsupported } from '../../errors';
import { isZip, readZipEntries, zipEntryNames } from '../../io/zip';
import type { TwoLayerModel } from '../../model/types';
import { resolveActivation } from '../activation';
import { buildDataset, type DataArray } from '../datasetBuilder';
import type { DataFormat, DataLoadOptions, ModelFormat, ModelLoadOptions } from '../formatTypes';
import type { NamedTensor } from '../../io/tensors';
import { twoLayerFromTensors } from '../twoLayerFromTensors';
import { bfloat16ToNumber, halfToNumber } from '../../io/float16';
import { checkAllocation, checkFileSize } from './limits';
import { checkpointCounters } from './checkpointCounters';
import { own } from '../../io/own';
import {
  FLOAT_STORAGES, INTEGER_STORAGES, PickleDict, type PickleValue, type TensorRef, unpickle,
} from './pickle';

/**
 * PyTorch `torch.save` zip archives (`<prefix>/data.pkl` + `<prefix>/data/<key>` storages).
 * Models must be state_dicts (a dict of tensors); data files a dict with X and y tensors.
 * The pickle is read by our own unpickler, which runs no code (see pickle.ts).
 */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

const STORAGE_DTYPES: Record<string, { bytes: number; dtype: string; read: (view: DataView, offset: number) => number }> = {
  FloatStorage: { bytes: 4, dtype: 'F32', read: (view, offset) => view.getFloat32(offset, true) },
  DoubleStorage: { bytes: 8, dtype: 'F64', read: (view, offset) => view.getFloat64(offset, true) },
  HalfStorage: { bytes: 2, dtype: 'F16', read: (view, offset) => halfToNumber(view.getUint16(offset, true)) },
  BFloat16Storage: { bytes: 2, dtype: 'BF16', read: (view, offset) => bfloat16ToNumber(view.getUint16(offset, true)) },
  LongStorage: { bytes: 8, dtype: 'I64', read: (view, offset) => Number(view.getBigInt64(offset, true)) },
  IntStorage: { bytes: 4, dtype: 'I32', read: (view, offset) => view.getInt32(offset, true) },
  ShortStorage: { bytes: 2, dtype: 'I16', read: (view, offset) => view.getInt16(offset, true) },
  CharStorage: { bytes: 1, dtype: 'I8', read: (view, offset) => view.getInt8(offset) },
  ByteStorage: { bytes: 1, dtype: 'U8', read: (view, offset) => view.getUint8(offset) },
  BoolStorage: { bytes: 1, dtype: 'BOOL', read: (view, offset) => view.getUint8(offset) },
};

export function isLegacyTorchSave(bytes: Uint8Array): boolean {
  return bytes.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((value, index) => bytes[index] === value);
}

/** A zip whose entries include `<prefix>/data.pkl`: what torch.save writes since PyTorch 1.6. */
export function isTorchZip(bytes: Uint8Array): boolean {
  if (!isZip(bytes)) return false;
  return zipEntryNames(bytes).some((name) => name === 'data.pkl' || name.endsWith('/data.pkl'));
}

function legacyRefusal(file: string): never {
  throw unsupported(
    file,
    'this is a legacy (pre-1.6, non-zip) torch.save file, which can only be read by running its pickle; ' +
      "re-save it with a current PyTorch: torch.save(model.state_dict(), 'model.pt')",
  );
}

interface TorchArchive {
  root: PickleValue;
  storage(key: string): Uint8Array | undefined;
}

function readTorchArchive(bytes: Uint8Array, file: string, maxFileBytes: number | undefined, storages: readonly string[]): TorchArchive {
  if (isLegacyTorchSave(bytes)) legacyRefusal(file);
  const entries = readZipEntries(bytes, file, maxFileBytes !== undefined ? { maxTotalBytes: maxFileBytes } : {});
  const pickleName = [...entries.keys()].find((name) => name === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(name));
  if (pickleName === undefined) throw badInput(file, 'not a torch.save archive: no data.pkl entry');
  const prefix = pickleName.slice(0, pickleName.length - 'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder !== undefined && new TextDecoder().decode(byteorder).trim() === 'big') {
    throw unsupported(file, 'this torch.save archive stores big-endian tensors, which are not supported');
  }
  const root = unpickle(entries.get(pickleName)!, file, { storages });
  return { root, storage: (key) => entries.get(`${prefix}data/${key}`) };
}

/** Materializes a tensor from its storage, honoring offset and strides, all checked first. */
function tensorFromRef(name: string, ref: TensorRef, archive: TorchArchive, file: string, limits: { maxFileBytes?: number }): NamedTensor {
  const info = own(STORAGE_DTYPES, ref.storage.storageType);
  if (info === undefined) throw unsupported(file, `tensor '${name}' uses ${ref.storage.storageType}, which is not supported`);
  const raw = archive.storage(ref.storage.key);
  if (raw === undefined) throw badInput(file, `tensor '${name}': storage data/${ref.storage.key} is missing from the archive`);
  if (ref.storage.numel * info.bytes > raw.length) {
    throw badInput(file, `tensor '${name}': storage data/${ref.storage.key} declares ${ref.storage.numel} elements but holds ${raw.length} bytes`);
  }
  const count = ref.size.reduce((product, size) => product * size, 1);
  checkAllocation(count, 8, file, `tensor '${name}'`, limits);
  if (count > 0) {
    let last = ref.offset;
    for (let axis = 0; axis < ref.size.length; axis++) last += (ref.size[axis]! - 1) * ref.stride[axis]!;
    if (last >= ref.storage.numel) {
      throw badInput(file, `tensor '${name}' (size [${ref.size.join(', ')}], stride [${ref.stride.join(', ')}], offset ${ref.offset}) reaches past its ${ref.storage.numel}-element storage`);
    }
  }
  if (count > ref.storage.numel) {
    throw unsupported(file, `tensor '${name}' has ${count} elements but its storage only ${ref.storage.numel} (an expanded view); save tensor.contiguous()`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const data = new Float64Array(count);
  const index = new Array<number>(ref.size.length).fill(0);
  let source = ref.offset;
  for (let flat = 0; flat < count; flat++) {
    data[flat] = info.read(view, source * info.bytes);
    for (let axis = ref.size.length - 1; axis >= 0; axis--) {
      index[axis] = index[axis]! + 1;
      source += ref.stride[axis]!;
      if (index[axis]! < ref.size[axis]!) break;
      source -= ref.size[axis]! * ref.stride[axis]!;
      index[axis] = 0;
    }
  }
  return { name, shape: [...ref.size], data, dtype: info.dtype };
}

function isTensorRef(value: PickleValue | undefined): value is TensorRef {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'tensor';
}

function dictEntries(value: PickleValue): Array<[string, PickleValue]> | null {
  if (value instanceof PickleDict) return [...value.entries];
  if (value instanceof Map) return [...value].filter((entry): entry is [string, PickleValue] => typeof entry[0] === 'string');
  return null;
}

const CHECKPOINT_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'weights'];

export function loadTorchStateDict(bytes: Uint8Array, path: string, options: ModelLoadOptions): TwoLayerModel {
  checkFileSize(bytes.length, path, options);
  const archive = readTorchArchive(bytes, path, options.maxFileBytes, FLOAT_STORAGES);
  let entries = dictEntries(archive.root);
  if (entries === null) throw unsupported(path, 'the file does not hold a dict of tensors (a state_dict)');
  const notes: string[] = [];
  const counters = checkpointCounters(entries);
  if (!entries.some(([, value]) => isTensorRef(value))) {
    const nested = entries.find(([key, value]) => CHECKPOINT_KEYS.includes(key) && dictEntries(value) !== null);
    if (nested === undefined) {
      throw unsupported(path, `the dict holds no tensors (keys: ${entries.map(([key]) => key).slice(0, 12).join(', ')}); save model.state_dict()`);
    }
    notes.push(`read the state_dict under the checkpoint key '${nested[0]}'`);
    entries = dictEntries(nested[1])!;
  }
  const tensors = entries.filter(([, value]) => isTensorRef(value)).map(([key, value]) => tensorFromRef(key, value as TensorRef, archive, path, options));
  const ignored = entries.filter(([, value]) => !isTensorRef(value)).map(([key]) => key);
  if (ignored.length > 0) notes.push(`ignored non-tensor entries: ${ignored.join(', ')}`);
  const model = twoLayerFromTensors(tensors, {
    path,
    format: 'pytorch',
    activation: resolveActivation(path, null, options.activation),
    notes,
    ...(options.expectedInputDim !== undefined ? { expectedInputDim: options.expectedInputDim } : {}),
  });
  if (counters) model.source.checkpoint = counters;
  return model;
}

const DATA_KEYS: ReadonlyArray<readonly [string, string]> = [['x', 'y'], ['x_train', 'y_train'], ['inputs', 'targets'], ['features', 'labels'], ['data', 'target']];

export function loadTorchData(bytes: Uint8Array, path: string, options: DataLoadOptions): Dataset {
  checkFileSize(bytes.length, path, options);
  const archive = readTorchArchive(bytes, path, options.maxFileBytes, [...FLOAT_STORAGES, ...INTEGER_STORAGES]);
  const entries = dictEntries(archive.root);
  if (entries === null) throw unsupported(path, "a .pt data file must hold a dict such as {'X': tensor, 'y': tensor}");
  const lower = new Map<string, readonly [string, PickleValue]>();
  for (const [key, value] of entries) {
    const other = lower.get(key.toLowerCase());
    if (other !== undefined && DATA_KEYS.some((names) => names.includes(key.toLowerCase()))) {
      throw badInput(path, `holds both '${other[0]}' and '${key}': ambiguous, keep one of them`);
    }
    lower.set(key.toLowerCase(), [key, value]);
  }
  const pair = DATA_KEYS.map(([x, y]) => [lower.get(x), lower.get(y)] as const).find(([x, y]) => x !== undefined && y !== undefined);
  if (pair === undefined) {
    throw badInput(path, `no input/target tensors found: expected keys X and y (or ${DATA_KEYS.slice(1).map(([x, y]) => `${x}/${y}`).join(', ')}); the file holds ${entries.map(([key]) => key).join(', ')}`);
  }
  const toArray = ([key, value]: readonly [string, PickleValue]): DataArray => {
    if (!isTensorRef(value)) throw badInput(path, `'${key}' is not a tensor`);
    const tensor = tensorFromRef(key, value, archive, path, options);
    return { name: key, shape: tensor.shape, values: Float32Array.from(tensor.data) };
  };
  const [inputs, targets] = pair as readonly [readonly [string, PickleValue], readonly [string, PickleValue]];
  const ignored = entries.map(([key]) => key).filter((key) => key !== inputs[0] && key !== targets[0]);
  return buildDataset(toArray(inputs), toArray(targets), {
    path,
    format: 'pt',
    notes: ignored.length > 0 ? [`ignored entries: ${ignored.join(', ')}`] : [],
  });
}

export const torchModelFormat: ModelFormat = {
  name: 'pytorch',
  description: 'PyTorch state_dict (.pt/.pth torch.save zip; activation not stored: option or ReLU assumed)',
  sniff: (bytes) => isTorchZip(bytes) || isLegacyTorchSave(bytes),
  load: loadTorchStateDict,
};

export const torchDataFormat: DataFormat = {
  name: 'pt',
  description: "PyTorch .pt data file (torch.save({'X': tensor, 'y': tensor}))",
  sniff: (bytes) => isTorchZip(bytes) || isLegacyTorchSave(bytes),
  load: loadTorchData,
};
