import { halfToNumber } from './float16';
import { badInput, unsupported } from '../errors';
import { elementCount, formatShape, type NamedTensor } from './tensors';

/**
 * NumPy .npy reading (format versions 1.0, 2.0 and 3.0). Numeric dtypes are converted to
 * float64 (or float32 for data) in C order; Fortran-ordered arrays are transposed on the way.
 * The declared size is checked against the bytes present before anything is allocated.
 */
export interface NpyHeader {
  /** The dtype string as written, e.g. '<f4', '>i8', '|b1', '<U5'. */
  descr: string;
  littleEndian: boolean;
  kind: 'f' | 'i' | 'u' | 'b' | 'U' | 'S';
  itemSize: number;
  fortranOrder: boolean;
  shape: number[];
  /** Offset of the first data byte in the file. */
  dataOffset: number;
  count: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && MAGIC.every((value, index) => bytes[index] === value);
}

function where(arrayName: string | undefined): string {
  return arrayName === undefined ? '' : `array '${arrayName}': `;
}

/**
 * Parses and validates the header; `arrayName` names the array inside an .npz in errors.
 * `totalLength` is the length of the whole array file when `bytes` holds only its start (an
 * .npz member read up to its header), so the declared size is checked before inflating the rest.
 */
export function readNpyHeader(bytes: Uint8Array, file: string, arrayName?: string, totalLength = bytes.length): NpyHeader {
  const prefix = where(arrayName);
  if (!isNpy(bytes)) throw badInput(file, `${prefix}not a NumPy .npy array (missing the \\x93NUMPY magic)`);
  if (bytes.length < 10) throw badInput(file, `${prefix}.npy header is truncated`);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw badInput(file, `${prefix}.npy header is truncated`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw unsupported(file, `${prefix}.npy format version ${major}.${bytes[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  }
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.length) throw badInput(file, `${prefix}.npy header is truncated (declares ${headerLength} bytes)`);
  const decoder = new TextDecoder(major === 3 ? 'utf-8' : 'latin1');
  const text = decoder.decode(bytes.subarray(headerStart, dataOffset));

  if (/'descr'\s*:\s*\[/.test(text)) throw unsupported(file, `${prefix}structured (record) arrays are not supported`);
  const descrMatch = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const orderMatch = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descrMatch || !orderMatch || !shapeMatch) {
    throw badInput(file, `${prefix}.npy header is malformed: ${JSON.stringify(text.trim().slice(0, 120))}`);
  }
  const descr = descrMatch[1]!;
  const shape = shapeMatch[1]!
    .split(',')
    .map((part) => part.trim().replace(/L$/, ''))
    .filter((part) => part.length > 0)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : NaN));
  if (shape.some((size) => !Number.isSafeInteger(size))) {
    throw badInput(file, `${prefix}.npy header has an invalid shape (${shapeMatch[1]!.trim()})`);
  }
  const dtype = parseDescr(descr);
  if (dtype === null) {
    throw unsupported(file, `${prefix}dtype '${descr}' is not supported (float16/32/64, int8-64, uint8-64, bool, or a string)`);
  }
  const count = elementCount(shape);
  if (dtype.itemSize === 0) {
    throw badInput(file, `${prefix}dtype '${descr}' has zero-size elements (shape ${formatShape(shape)}); refusing it`);
  }
  const needed = count * dtype.itemSize;
  const available = totalLength - dataOffset;
  if (!Number.isSafeInteger(needed) || needed > available) {
    throw badInput(
      file,
      `${prefix}declares shape ${formatShape(shape)} of ${descr} (${needed} bytes) but only ${available} bytes follow the header (truncated file?)`,
    );
  }
  return { descr, ...dtype, fortranOrder: orderMatch[1] === 'True', shape, dataOffset, count };
}

function parseDescr(descr: string): Pick<NpyHeader, 'littleEndian' | 'kind' | 'itemSize'> | null {
  const match = /^([<>=|]?)([fiubUS])(\d+)$/.exec(descr);
  if (!match) return null;
  const order = match[1]!;
  const kind = match[2] as NpyHeader['kind'];
  const size = Number(match[3]);
  const littleEndian = order !== '>';
  switch (kind) {
    case 'f': return size === 2 || size === 4 || size === 8 ? { littleEndian, kind, itemSize: size } : null;
    case 'i':
    case 'u': return size === 1 || size === 2 || size === 4 || size === 8 ? { littleEndian, kind, itemSize: size } : null;
    case 'b': return size === 1 ? { littleEndian, kind, itemSize: 1 } : null;
    case 'U': return { littleEndian, kind, itemSize: 4 * size };
    case 'S': return { littleEndian, kind, itemSize: size };
  }
}

/**
 * Decodes the numeric data into `out` (length header.count) in C order. Strings are refused.
 */
export function decodeNpyData(
  bytes: Uint8Array,
  header: NpyHeader,
  out: Float64Array | Float32Array,
  file: string,
  arrayName?: string,
): void {
  if (header.kind === 'U' || header.kind === 'S') {
    throw badInput(file, `${where(arrayName)}holds strings (${header.descr}), not numbers`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.dataOffset, header.count * header.itemSize);
  const contiguous = !header.fortranOrder || header.shape.length < 2;
  const read = elementReader(view, header);
  if (contiguous) {
    for (let i = 0; i < header.count; i++) out[i] = read(i);
    return;
  }
  // Fortran order: walk the C-order index and keep the matching column-major position.
  const shape = header.shape;
  const rank = shape.length;
  const fortranStrides = new Array<number>(rank);
  let stride = 1;
  for (let axis = 0; axis < rank; axis++) {
    fortranStrides[axis] = stride;
    stride *= shape[axis]!;
  }
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < header.count; i++) {
    out[i] = read(source);
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += fortranStrides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      source -= fortranStrides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
}

function elementReader(view: DataView, header: NpyHeader): (index: number) => number {
  const little = header.littleEndian;
  switch (`${header.kind}${header.itemSize}`) {
    case 'f2': return (i) => halfToNumber(view.getUint16(2 * i, little));
    case 'f4': return (i) => view.getFloat32(4 * i, little);
    case 'f8': return (i) => view.getFloat64(8 * i, little);
    case 'i1': return (i) => view.getInt8(i);
    case 'i2': return (i) => view.getInt16(2 * i, little);
    case 'i4': return (i) => view.getInt32(4 * i, little);
    case 'i8': return (i) => Number(view.getBigInt64(8 * i, little));
    case 'u1': return (i) => view.getUint8(i);
    case 'u2': return (i) => view.getUint16(2 * i, little);
    case 'u4': return (i) => view.getUint32(4 * i, little);
    case 'u8': return (i) => Number(view.getBigUint64(8 * i, little));
    case 'b1': return (i) => (view.getUint8(i) !== 0 ? 1 : 0);
    default: throw new Error(`unreachable dtype ${header.descr}`);
  }
}

/** Parses a whole .npy into a float64 tensor. */
export function parseNpy(bytes: Uint8Array, file: string, arrayName?: string): NamedTensor {
  const header = readNpyHeader(bytes, file, arrayName);
  const data = new Float64Array(header.count);
  decodeNpyData(bytes, header, data, file, arrayName);
  return { name: arrayName ?? file, shape: header.shape, data, dtype: header.descr };
}

/** Reads a string array with one element (np.savez(..., activation='relu') writes a 0-d '<U4'). */
export function parseNpyString(bytes: Uint8Array, file: string, arrayName?: string): string | null {
  const header = readNpyHeader(bytes, file, arrayName);
  if ((header.kind !== 'U' && header.kind !== 'S') || header.count !== 1) return null;
  const raw = bytes.subarray(header.dataOffset, header.dataOffset + header.itemSize);
  if (header.kind === 'S') return new TextDecoder('latin1').decode(raw).replace(/\0+$/, '');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let text = '';
  for (let i = 0; i + 4 <= raw.length; i += 4) {
    const code = view.getUint32(i, header.littleEndian);
    if (code === 0) break;
    text += String.fromCodePoint(code);
  }
  return text;
}

/**
 * The header of a version 1.0 .npy file for an array of `shape` with dtype `descr` ('<f4', ...):
 * the data follows it directly, so a large array can be written in pieces after it.
 */
export function npyHeader(descr: string, shape: readonly number[], fortranOrder = false): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let text = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': (${dims}), }`;
  text += `${' '.repeat(63 - ((text.length + 10) % 64))}\n`;
  const out = new Uint8Array(10 + text.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, text.length, true);
  out.set(new TextEncoder().encode(text), 10);
  return out;
}
