import { constants, promises as fsp } from 'node:fs';
import type { Stats } from 'node:fs';
import { FlatnessLensError, badInput } from '../errors';
import { DEFAULT_MAX_FILE_BYTES } from './formatTypes';

/** What a path is when it is not a regular file, in words for the error message. */
export function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The message for a path that is not a regular file: only regular files are read. */
export function notRegularFile(path: string, info: Stats): FlatnessLensError {
  return badInput(path, `is ${fileKind(info)}, not a regular file; only regular files are read`);
}

/** The size-limit error, naming the option that raises the limit. */
export function tooLarge(path: string, size: number, maxFileBytes: number): FlatnessLensError {
  return new FlatnessLensError('too-large', `file is ${formatBytes(size)}, over the limit of ${formatBytes(maxFileBytes)} (--max-file-mb on the command line raises it)`, path);
}

/**
 * Reads a whole input file: it must exist, be a regular file (checked on the opened descriptor,
 * so a FIFO, a device such as /dev/zero or a directory is refused without blocking or reading)
 * and be within the size limit (checked before reading). Exactly the size seen is read.
 */
export async function readFileChecked(path: string, maxFileBytes = DEFAULT_MAX_FILE_BYTES): Promise<Uint8Array> {
  let handle: fsp.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; regular files ignore the flag.
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(path, 'file not found');
    if (code === 'EISDIR') throw badInput(path, 'is a directory, not a regular file; only regular files are read');
    throw badInput(path, `cannot read the file (${(error as Error).message})`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegularFile(path, info);
    if (info.size > maxFileBytes) throw tooLarge(path, info.size, maxFileBytes);
    const bytes = new Uint8Array(info.size);
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesRead } = await handle.read(bytes, offset, bytes.length - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    if (offset !== bytes.length) throw badInput(path, `the file shrank while it was read (${offset} of ${bytes.length} bytes)`);
    return bytes;
  } catch (error) {
    if (error instanceof FlatnessLensError) throw error;
    throw badInput(path, `cannot read the file (${(error as Error).message})`);
  } finally {
    await handle.close().catch(() => undefined);
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
