import { Inflate, inflateSync } from 'fflate';
import { FlatnessLensError, badInput, unsupported } from '../errors';

/**
 * Safe reading of zip archives (.npz, Keras v3 .keras, PyTorch .pt). The central directory is
 * read here, so every entry name and declared size is checked before anything is inflated;
 * fflate only does the DEFLATE decoding. STORED (0) and DEFLATE (8) entries are supported,
 * ZIP64 sizes and offsets included (numpy's savez writes ZIP64 local headers).
 */
export interface ZipLimits {
  /** Most entries accepted (default 10 000). */
  maxEntries?: number;
  /** Most total uncompressed bytes accepted, as declared by the central directory (default 4 GiB). */
  maxTotalBytes?: number;
}

export interface ZipEntryInfo {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

export const DEFAULT_MAX_ZIP_ENTRIES = 10_000;
export const DEFAULT_MAX_ZIP_TOTAL_BYTES = 4 * 1024 ** 3;

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const ZIP64_MARK_32 = 0xffffffff;
const ZIP64_MARK_16 = 0xffff;

/** True when the bytes start with a zip local file header (PK\x03\x04). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Lists the entries from the central directory without inflating anything. Entry names with
 * `..` segments, absolute paths or drive letters are refused.
 */
export function listZipEntries(bytes: Uint8Array, file: string, limits: ZipLimits = {}): ZipEntryInfo[] {
  return listZipEntriesAt(bytes, 0, bytes.length, file, limits);
}

/** Where the central directory of a zip lies, from the end of the file alone. */
export interface ZipDirectoryLocation {
  offset: number;
  size: number;
}

/**
 * The central directory's place, read from the last bytes of a file of `totalLength` bytes
 * (`tail` holds bytes [totalLength - tail.length, totalLength)); null when they do not hold the
 * end records. Lets an archive larger than memory be listed from two small reads.
 */
export function locateZipDirectory(tail: Uint8Array, totalLength: number, file: string): ZipDirectoryLocation | null {
  const base = totalLength - tail.length;
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const eocd = findEndOfCentralDirectory(tail, view, file, base);
  const directorySize = view.getUint32(eocd - base + 12, true);
  const directoryOffset = view.getUint32(eocd - base + 16, true);
  if (view.getUint16(eocd - base + 10, true) === ZIP64_MARK_16 || directorySize === ZIP64_MARK_32 || directoryOffset === ZIP64_MARK_32) {
    if (eocd - 20 - 56 < base) return null;
    const zip64 = readZip64EndOfCentralDirectory(tail, view, eocd, file, base, totalLength);
    return { offset: zip64.directoryOffset, size: zip64.directorySize };
  }
  return { offset: directoryOffset, size: directorySize };
}

/**
 * listZipEntries over bytes [base, totalLength) of a file: `bytes` starts at the central directory
 * (or earlier) and runs to the end of the file; offsets in the entries are the file's.
 */
export function listZipEntriesAt(bytes: Uint8Array, base: number, totalLength: number, file: string, limits: ZipLimits = {}): ZipEntryInfo[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(bytes, view, file, base);
  let entryCount = view.getUint16(eocd - base + 10, true);
  let directorySize = view.getUint32(eocd - base + 12, true);
  let directoryOffset = view.getUint32(eocd - base + 16, true);
  if (entryCount === ZIP64_MARK_16 || directorySize === ZIP64_MARK_32 || directoryOffset === ZIP64_MARK_32) {
    const zip64 = readZip64EndOfCentralDirectory(bytes, view, eocd, file, base, totalLength);
    entryCount = zip64.entryCount;
    directorySize = zip64.directorySize;
    directoryOffset = zip64.directoryOffset;
  }
  const maxEntries = limits.maxEntries ?? DEFAULT_MAX_ZIP_ENTRIES;
  if (entryCount > maxEntries) {
    throw new FlatnessLensError('too-large', `zip archive has ${entryCount} entries, more than the limit of ${maxEntries}`, file);
  }
  if (directoryOffset + directorySize > totalLength) {
    throw badInput(file, 'zip central directory lies beyond the end of the file (truncated or corrupt archive)');
  }
  if (directoryOffset < base) throw badInput(file, 'zip central directory starts before the bytes read (corrupt archive)');
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const entries: ZipEntryInfo[] = [];
  let position = directoryOffset;
  for (let index = 0; index < entryCount; index++) {
    if (position + 46 > totalLength || view.getUint32(position - base, true) !== CENTRAL_SIGNATURE) {
      throw badInput(file, `zip central directory entry ${index + 1} of ${entryCount} is corrupt`);
    }
    const flags = view.getUint16(position - base + 8, true);
    const method = view.getUint16(position - base + 10, true);
    const crc32 = view.getUint32(position - base + 16, true);
    let compressedSize = view.getUint32(position - base + 20, true);
    let uncompressedSize = view.getUint32(position - base + 24, true);
    const nameLength = view.getUint16(position - base + 28, true);
    const extraLength = view.getUint16(position - base + 30, true);
    const commentLength = view.getUint16(position - base + 32, true);
    let localHeaderOffset = view.getUint32(position - base + 42, true);
    const nameStart = position + 46;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > totalLength) throw badInput(file, `zip central directory entry ${index + 1} runs past the end of the file`);
    const name = decoder.decode(bytes.subarray(nameStart - base, extraStart - base));
    if (uncompressedSize === ZIP64_MARK_32 || compressedSize === ZIP64_MARK_32 || localHeaderOffset === ZIP64_MARK_32) {
      const zip64 = readZip64Extra(view, extraStart - base, extraLength, {
        uncompressed: uncompressedSize === ZIP64_MARK_32,
        compressed: compressedSize === ZIP64_MARK_32,
        offset: localHeaderOffset === ZIP64_MARK_32,
      });
      if (zip64 === null) throw badInput(file, `zip entry '${name}' declares ZIP64 sizes but has no ZIP64 extra field`);
      uncompressedSize = zip64.uncompressed ?? uncompressedSize;
      compressedSize = zip64.compressed ?? compressedSize;
      localHeaderOffset = zip64.offset ?? localHeaderOffset;
    }
    checkEntryName(name, file);
    entries.push({ name, method, compressedSize, uncompressedSize, crc32, localHeaderOffset, encrypted: (flags & 1) !== 0 });
    position = next;
  }
  return entries;
}

/** Entry names only, for sniffing which kind of zip a file is. Returns [] when not a readable zip. */
export function zipEntryNames(bytes: Uint8Array): string[] {
  if (!isZip(bytes)) return [];
  try {
    return listZipEntries(bytes, '<sniff>').map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** A zip whose entries are inflated one at a time, on demand. */
export interface ZipArchive {
  /** File entries (directories skipped), names unique. */
  entries: ZipEntryInfo[];
  /** Inflates one entry after checking its declared size against what is left of the limit. */
  read(name: string): Uint8Array;
  /** At most the first `length` bytes of an entry, inflating little more than that. */
  head(name: string, length: number): Uint8Array;
}

/**
 * Opens an archive for reading entries on demand: only the entries asked for are inflated, so
 * an unused member (a 512 MiB block of deflated zeros) costs nothing. The total of the declared
 * sizes of the entries read must stay within `maxTotalBytes`.
 */
export function openZip(bytes: Uint8Array, file: string, limits: ZipLimits = {}): ZipArchive {
  const entries = listZipEntries(bytes, file, limits).filter((entry) => !entry.name.endsWith('/'));
  const byName = new Map<string, ZipEntryInfo>();
  for (const entry of entries) {
    if (byName.has(entry.name)) throw badInput(file, `zip archive holds two entries named '${entry.name}'`);
    byName.set(entry.name, entry);
  }
  const maxTotalBytes = limits.maxTotalBytes ?? DEFAULT_MAX_ZIP_TOTAL_BYTES;
  let total = 0;
  const entry = (name: string): ZipEntryInfo => {
    const found = byName.get(name);
    if (found === undefined) throw badInput(file, `zip archive has no entry '${name}'`);
    return found;
  };
  return {
    entries,
    read(name) {
      const info = entry(name);
      total += info.uncompressedSize;
      if (total > maxTotalBytes) {
        throw new FlatnessLensError('too-large', `zip entries declare ${total} uncompressed bytes (at '${name}'), more than the limit of ${maxTotalBytes}`, file);
      }
      return readEntry(bytes, info, file);
    },
    head: (name, length) => readEntryHead(bytes, entry(name), length, file),
  };
}

/**
 * Reads every file entry (directories are skipped) into memory. Declared sizes are checked
 * against the limits before any entry is inflated, and each inflated entry must match its
 * declared size and CRC-32.
 */
export function readZipEntries(
  bytes: Uint8Array,
  file: string,
  limits: { maxEntries?: number; maxTotalBytes?: number } = {},
): Map<string, Uint8Array> {
  const archive = openZip(bytes, file, limits);
  const maxTotalBytes = limits.maxTotalBytes ?? DEFAULT_MAX_ZIP_TOTAL_BYTES;
  let total = 0;
  for (const entry of archive.entries) {
    total += entry.uncompressedSize;
    if (total > maxTotalBytes) {
      throw new FlatnessLensError(
        'too-large',
        `zip entries declare ${total} uncompressed bytes (at '${entry.name}'), more than the limit of ${maxTotalBytes}`,
        file,
      );
    }
  }
  const result = new Map<string, Uint8Array>();
  for (const entry of archive.entries) result.set(entry.name, archive.read(entry.name));
  return result;
}

function entryData(bytes: Uint8Array, entry: ZipEntryInfo, file: string): Uint8Array {
  if (entry.encrypted) throw unsupported(file, `zip entry '${entry.name}' is encrypted`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const local = entry.localHeaderOffset;
  if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL_SIGNATURE) {
    throw badInput(file, `zip entry '${entry.name}': local header missing or corrupt (truncated archive?)`);
  }
  const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
  const dataEnd = dataStart + entry.compressedSize;
  if (dataEnd > bytes.length) {
    throw badInput(file, `zip entry '${entry.name}' runs past the end of the file (truncated archive)`);
  }
  if (entry.method !== 0 && entry.method !== 8) {
    throw unsupported(file, `zip entry '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  }
  return bytes.subarray(dataStart, dataEnd);
}

function readEntryHead(bytes: Uint8Array, entry: ZipEntryInfo, length: number, file: string): Uint8Array {
  const compressed = entryData(bytes, entry, file);
  const wanted = Math.min(length, entry.uncompressedSize);
  if (entry.method === 0) return compressed.subarray(0, wanted);
  const chunks: Uint8Array[] = [];
  let produced = 0;
  const inflater = new Inflate((chunk) => {
    chunks.push(chunk);
    produced += chunk.length;
  });
  const step = 1024;
  try {
    for (let offset = 0; offset < compressed.length && produced < wanted; offset += step) {
      inflater.push(compressed.subarray(offset, offset + step), offset + step >= compressed.length);
    }
  } catch (error) {
    throw badInput(file, `zip entry '${entry.name}' could not be inflated (${(error as Error).message})`);
  }
  const head = new Uint8Array(Math.min(wanted, produced));
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= head.length) break;
    const part = chunk.subarray(0, head.length - offset);
    head.set(part, offset);
    offset += part.length;
  }
  return head;
}

function readEntry(bytes: Uint8Array, entry: ZipEntryInfo, file: string): Uint8Array {
  const compressed = entryData(bytes, entry, file);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.uncompressedSize) {
      throw badInput(file, `zip entry '${entry.name}' is stored but its sizes differ (${entry.compressedSize} vs ${entry.uncompressedSize})`);
    }
    data = compressed;
  } else if (entry.method === 8) {
    // One spare byte: an entry that inflates to more than it declared fills it and is caught.
    const out = new Uint8Array(entry.uncompressedSize + 1);
    try {
      data = inflateSync(compressed, { out });
    } catch (error) {
      throw badInput(file, `zip entry '${entry.name}' could not be inflated (${(error as Error).message})`);
    }
    if (data.length !== entry.uncompressedSize) {
      throw badInput(file, `zip entry '${entry.name}' inflated to a size other than the declared ${entry.uncompressedSize} bytes`);
    }
  } else {
    throw unsupported(file, `zip entry '${entry.name}' uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  }
  if (crc32(data) !== entry.crc32) throw badInput(file, `zip entry '${entry.name}' fails its CRC-32 check (corrupt archive)`);
  return data;
}

function checkEntryName(name: string, file: string): void {
  const normalized = name.replace(/\\/g, '/');
  if (
    normalized.startsWith('/') ||
    /^[a-zA-Z]:/.test(normalized) ||
    normalized.split('/').some((segment) => segment === '..') ||
    normalized.includes('\0')
  ) {
    throw badInput(file, `zip entry name '${name}' is an absolute path or leaves the archive ('..'); refusing to read it`);
  }
}

/** The end-of-central-directory record's offset in the file; `bytes` holds the file from `base` on. */
function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView, file: string, base = 0): number {
  if (base === 0 && !isZip(bytes) && !(bytes.length >= 22 && view.getUint32(0, true) === EOCD_SIGNATURE)) {
    throw badInput(file, 'not a zip archive');
  }
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  for (let position = bytes.length - 22; position >= lowest; position--) {
    if (view.getUint32(position, true) === EOCD_SIGNATURE) return position + base;
  }
  throw badInput(file, 'zip end-of-central-directory record not found (truncated or corrupt archive)');
}

function readZip64EndOfCentralDirectory(
  bytes: Uint8Array,
  view: DataView,
  eocd: number,
  file: string,
  base = 0,
  totalLength = bytes.length,
): { entryCount: number; directorySize: number; directoryOffset: number } {
  const locator = eocd - 20;
  if (locator < base || view.getUint32(locator - base, true) !== ZIP64_EOCD_LOCATOR_SIGNATURE) {
    throw badInput(file, 'zip archive needs a ZIP64 end-of-central-directory locator but has none');
  }
  const record = safeNumber(view.getBigUint64(locator - base + 8, true));
  if (record < base || record + 56 > totalLength || view.getUint32(record - base, true) !== ZIP64_EOCD_SIGNATURE) {
    throw badInput(file, 'zip ZIP64 end-of-central-directory record is corrupt');
  }
  return {
    entryCount: safeNumber(view.getBigUint64(record - base + 32, true)),
    directorySize: safeNumber(view.getBigUint64(record - base + 40, true)),
    directoryOffset: safeNumber(view.getBigUint64(record - base + 48, true)),
  };
}

function readZip64Extra(
  view: DataView,
  start: number,
  length: number,
  need: { uncompressed: boolean; compressed: boolean; offset: boolean },
): { uncompressed?: number; compressed?: number; offset?: number } | null {
  let position = start;
  while (position + 4 <= start + length) {
    const id = view.getUint16(position, true);
    const size = view.getUint16(position + 2, true);
    if (id === 0x0001) {
      let field = position + 4;
      const end = field + size;
      const take = (): number | undefined => {
        if (field + 8 > end) return undefined;
        const value = safeNumber(view.getBigUint64(field, true));
        field += 8;
        return value;
      };
      const result: { uncompressed?: number; compressed?: number; offset?: number } = {};
      if (need.uncompressed) result.uncompressed = take();
      if (need.compressed) result.compressed = take();
      if (need.offset) result.offset = take();
      return result;
    }
    position += 4 + size;
  }
  return null;
}

function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

let crcTable: Uint32Array | null = null;

export function crc32(data: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * Offset in the file of an entry's data, from the 30-byte local header at entry.localHeaderOffset
 * (`local` holds at least those 30 bytes): lets a stored entry be read in place, by ranges.
 */
export function zipEntryDataOffset(local: Uint8Array, entry: ZipEntryInfo, file: string): number {
  const view = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (local.length < 30 || view.getUint32(0, true) !== LOCAL_SIGNATURE) {
    throw badInput(file, `zip entry '${entry.name}': local header missing or corrupt (truncated archive?)`);
  }
  return entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
}
