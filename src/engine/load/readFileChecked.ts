import { readFile, stat } from 'node:fs/promises';
import { FlatnessLensError, badInput } from '../errors';
import { DEFAULT_MAX_FILE_BYTES } from './formatTypes';

/**
 * Reads a whole input file after checking that it exists, is a regular file and is within
 * the size limit (checked on the size reported by the file system, before reading).
 */
export async function readFileChecked(path: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw badInput(path, 'is a directory, not a file');
    size = info.size;
  } catch (error) {
    if (error instanceof FlatnessLensError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(path, 'file not found');
    throw badInput(path, `cannot read the file (${(error as Error).message})`);
  }
  if (size > maxFileBytes) {
    throw new FlatnessLensError('too-large', `file is ${formatBytes(size)}, over the limit of ${formatBytes(maxFileBytes)} (raise maxFileBytes to read it)`, path);
  }
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw badInput(path, `cannot read the file (${(error as Error).message})`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** A few words on what the first bytes look like, for 'unknown format' errors. */
export function describeMagic(bytes: Uint8Array): string {
  const starts = (...values: number[]) => values.every((value, index) => bytes[index] === value);
  if (bytes.length === 0) return 'the file is empty';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'it is a zip archive';
  if (starts(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a)) return 'it is an HDF5 file';
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'it is a single NumPy .npy array';
  if (starts(0x80) && bytes.length > 1 && bytes[1]! <= 5) return 'it looks like a Python pickle';
  const head = Array.from(bytes.subarray(0, 8), (value) => value.toString(16).padStart(2, '0')).join(' ');
  return `it starts with the bytes ${head}`;
}
