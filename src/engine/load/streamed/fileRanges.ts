import { constants, promises as fsp } from 'node:fs';
import { FlatnessLensError, badInput } from '../../errors';
import { notRegularFile } from '../readFileChecked';

/**
 * Byte ranges of a file on disk, each read by its own open and close, so a streamed data set
 * holds no descriptor between reads. A read that comes back short (the file was truncated or
 * replaced after it was opened) is refused, never padded.
 */
export interface FileRanges {
  path: string;
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

async function openChecked(path: string): Promise<fsp.FileHandle> {
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang; regular files ignore the flag.
    return await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw badInput(path, 'file not found');
    if (code === 'EISDIR') throw badInput(path, 'is a directory, not a regular file; only regular files are read');
    throw badInput(path, `cannot read the file (${(error as Error).message})`);
  }
}

async function readInto(handle: fsp.FileHandle, path: string, offset: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done !== length) {
    throw badInput(path, `the file ended at byte ${offset + done} while ${length} bytes were read from byte ${offset} (truncated or changed while it was read)`);
  }
  return bytes;
}

/** Opens a regular file for range reads; a FIFO, a device or a directory is refused without blocking. */
export async function openFileRanges(path: string): Promise<FileRanges> {
  const handle = await openChecked(path);
  let size: number;
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegularFile(path, info);
    size = info.size;
  } catch (error) {
    if (error instanceof FlatnessLensError) throw error;
    throw badInput(path, `cannot read the file (${(error as Error).message})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
  return {
    path,
    size,
    async read(offset, length) {
      if (offset + length > size) {
        throw badInput(path, `a read of ${length} bytes at byte ${offset} runs past the end of the ${size}-byte file`);
      }
      const reader = await openChecked(path);
      try {
        return await readInto(reader, path, offset, length);
      } catch (error) {
        if (error instanceof FlatnessLensError) throw error;
        throw badInput(path, `cannot read the file (${(error as Error).message})`);
      } finally {
        await reader.close().catch(() => undefined);
      }
    },
  };
}
