import { badInput, unsupported } from '../errors';
import { elementCount, formatShape, type NamedTensor } from './tensors';
import { bfloat16ToNumber, halfToNumber } from './float16';
import { own } from './own';

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }`,
 * then the tensor bytes (offsets are relative to the end of the header), little-endian.
 */
export interface SafetensorsFile {
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

const ITEM_SIZES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/**
 * A plausible header length word (under 4 GiB) followed by '{'. The length is not checked
 * against the file size here, so a truncated file is still recognized and gets a clear error.
 */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getBigUint64(0, true);
  return length >= 2n && length < 2n ** 32n && bytes[8] === 0x7b;
}

export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsFile {
  if (bytes.length < 8) throw badInput(file, `safetensors file is only ${bytes.length} bytes long (truncated)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw badInput(file, `safetensors header declares ${headerLength} bytes but the file has only ${bytes.length - 8} after the length word (truncated)`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw badInput(file, `safetensors header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw badInput(file, 'safetensors header is not a JSON object');
  }
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const tensors: NamedTensor[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info === 'object' && info !== null) {
        for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
          if (typeof value === 'string') metadata[key] = value;
        }
      }
      continue;
    }
    tensors.push(readTensor(view, dataStart, dataLength, name, info, file));
  }
  return { tensors, metadata };
}

function readTensor(
  view: DataView,
  dataStart: number,
  dataLength: number,
  name: string,
  info: unknown,
  file: string,
): NamedTensor {
  const record = (typeof info === 'object' && info !== null ? info : {}) as Record<string, unknown>;
  const { dtype, shape, data_offsets: offsets } = record;
  if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) {
    throw badInput(file, `safetensors entry '${name}' lacks dtype, shape or data_offsets`);
  }
  if (!shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw badInput(file, `safetensors entry '${name}' has an invalid shape ${JSON.stringify(shape)}`);
  }
  const itemSize = own(ITEM_SIZES, dtype);
  if (itemSize === undefined) throw unsupported(file, `tensor '${name}' has dtype ${dtype}, which is not supported`);
  const [begin, end] = offsets as [unknown, unknown];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
    throw badInput(file, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const dims = shape as number[];
  const count = elementCount(dims);
  if (end - begin !== count * itemSize) {
    throw badInput(file, `tensor '${name}' (${dtype} ${formatShape(dims)}) needs ${count * itemSize} bytes but its data_offsets span ${end - begin}`);
  }
  if (end > dataLength) {
    throw badInput(file, `tensor '${name}' data_offsets [${begin}, ${end}] run past the end of the file (${dataLength} data bytes; truncated?)`);
  }
  const base = dataStart + begin;
  const data = new Float64Array(count);
  const read = reader(view, dtype, base);
  for (let i = 0; i < count; i++) data[i] = read(i);
  return { name, shape: dims, data, dtype };
}

function reader(view: DataView, dtype: string, base: number): (i: number) => number {
  switch (dtype) {
    case 'F64': return (i) => view.getFloat64(base + 8 * i, true);
    case 'F32': return (i) => view.getFloat32(base + 4 * i, true);
    case 'F16': return (i) => halfToNumber(view.getUint16(base + 2 * i, true));
    case 'BF16': {
      const scratch = new DataView(new ArrayBuffer(4));
      return (i) => bfloat16ToNumber(view.getUint16(base + 2 * i, true), scratch);
    }
    case 'I64': return (i) => Number(view.getBigInt64(base + 8 * i, true));
    case 'I32': return (i) => view.getInt32(base + 4 * i, true);
    case 'I16': return (i) => view.getInt16(base + 2 * i, true);
    case 'I8': return (i) => view.getInt8(base + i);
    case 'U64': return (i) => Number(view.getBigUint64(base + 8 * i, true));
    case 'U32': return (i) => view.getUint32(base + 4 * i, true);
    case 'U16': return (i) => view.getUint16(base + 2 * i, true);
    case 'U8': return (i) => view.getUint8(base + i);
    default: return (i) => (view.getUint8(base + i) !== 0 ? 1 : 0);
  }
}
