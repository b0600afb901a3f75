import { FlatnessLensError } from '../../errors';
import { DEFAULT_MAX_FILE_BYTES } from '../formatTypes';

/** The size limit setting (ModelLoadOptions/DataLoadOptions.maxFileBytes), applied to every file read. */
export function checkFileSize(size: number, file: string, options: { maxFileBytes?: number }): void {
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (size > limit) {
    throw new FlatnessLensError('too-large', `the file has ${size} bytes, more than the size limit of ${limit} bytes (--max-file-mb on the command line raises it)`, file);
  }
}

/** Bytes an allocation of `count` values may take: never more than the limit allows. */
export function checkAllocation(count: number, bytesPerValue: number, file: string, what: string, options: { maxFileBytes?: number }): void {
  const limit = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!Number.isSafeInteger(count) || count < 0 || count * bytesPerValue > limit) {
    throw new FlatnessLensError('too-large', `${what} declares ${count} values, more than the size limit of ${limit} bytes allows (--max-file-mb)`, file);
  }
}
