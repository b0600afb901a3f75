import type { StreamedDataset } from '../../data/types';
import { badInput } from '../../errors';
import { listZipEntriesAt, locateZipDirectory, zipEntryDataOffset, type ZipEntryInfo } from '../../io/zip';
import { describeDataPairs, pickDataPair } from '../datasetBuilder';
import type { FileRanges } from './fileRanges';
import { openStreamedArray } from './npyStream';
import { streamedPairDataset } from './streamedPair';

/** The end records of a zip lie in its last 22 + 65535 (comment) + 20 + 56 (ZIP64) bytes. */
const TAIL_BYTES = 22 + 0xffff + 20 + 56;
/** A central directory longer than this is not listed by ranges (the in-memory reader takes it). */
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;

/**
 * An .npz streamed in place: its central directory is read from the end of the file, and when the
 * two arrays used are stored (numpy's np.savez, not savez_compressed) their rows are read at
 * their offsets. Returns null for anything else (deflated members, an archive that is not an
 * .npz of .npy arrays): the in-memory reader, within the file-size limit, handles those.
 */
export async function openStreamedNpz(ranges: FileRanges): Promise<StreamedDataset | null> {
  const { path, size } = ranges;
  const tailLength = Math.min(size, TAIL_BYTES);
  const location = locateZipDirectory(await ranges.read(size - tailLength, tailLength), size, path);
  if (location === null || location.offset > size || size - location.offset > MAX_DIRECTORY_BYTES) return null;
  const directory = await ranges.read(location.offset, size - location.offset);
  const entries = listZipEntriesAt(directory, location.offset, size, path).filter((entry) => !entry.name.endsWith('/'));
  if (entries.length === 0 || !entries.every((entry) => entry.name.endsWith('.npy'))) return null;
  const byName = new Map<string, ZipEntryInfo>();
  for (const entry of entries) {
    if (byName.has(entry.name)) return null; // refused by the in-memory reader, which names it
    byName.set(entry.name.slice(0, -'.npy'.length), entry);
  }
  const names = [...byName.keys()];
  const pair = pickDataPair(names, path);
  if (pair === null) {
    throw badInput(path, `no input/target arrays found: expected one of the pairs ${describeDataPairs()} (any case); the file holds ${names.join(', ') || 'no arrays'}`);
  }
  const [inputName, targetName] = pair;
  const members = [byName.get(inputName)!, byName.get(targetName)!];
  if (members.some((entry) => entry.method !== 0 || entry.encrypted)) return null;
  const arrays = [];
  for (const [index, entry] of members.entries()) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw badInput(path, `zip entry '${entry.name}' is stored but its sizes differ (${entry.compressedSize} vs ${entry.uncompressedSize})`);
    }
    if (entry.localHeaderOffset + 30 > size) {
      throw badInput(path, `zip entry '${entry.name}': local header missing or corrupt (truncated archive?)`);
    }
    const dataStart = zipEntryDataOffset(await ranges.read(entry.localHeaderOffset, 30), entry, path);
    if (dataStart + entry.uncompressedSize > size) {
      throw badInput(path, `zip entry '${entry.name}' runs past the end of the file (truncated archive)`);
    }
    const name = index === 0 ? inputName : targetName;
    const array = await openStreamedArray(ranges, dataStart, entry.uncompressedSize, name, name);
    if (array === null) return null; // Fortran order
    arrays.push(array);
  }
  const ignored = names.filter((name) => name !== inputName && name !== targetName);
  const notes = ignored.length > 0 ? [`ignored arrays: ${ignored.join(', ')}`] : [];
  notes.push('stored (uncompressed) members read in place; their CRC-32 is not checked when streamed');
  return streamedPairDataset(arrays[0]!, arrays[1]!, { path, format: 'npz', notes });
}
