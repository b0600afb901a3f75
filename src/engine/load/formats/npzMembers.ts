import { type NpyHeader, decodeNpyData, readNpyHeader } from '../../io/npy';
import { type ZipArchive, openZip } from '../../io/zip';
import { badInput } from '../../errors';

/** Longest .npy header read from an .npz member (numpy writes a few hundred bytes). */
const MAX_HEADER_BYTES = 1024 * 1024;

/** One `<name>.npy` member of an .npz, its header read from the member's first bytes only. */
export interface NpzMember {
  name: string;
  header: NpyHeader;
  /** Inflates the member (now, once) and decodes it into a new array of `Type`. */
  decode<T extends Float32Array | Float64Array>(Type: new (length: number) => T): T;
  /** The member's whole bytes (for string arrays). */
  bytes(): Uint8Array;
}

/**
 * Lists the arrays of an .npz with their headers, inflating only each member's first bytes:
 * the shape and dtype are checked against the member's declared size before anything large is
 * inflated, and members never decoded are never inflated.
 */
export function npzMembers(bytes: Uint8Array, path: string, maxTotalBytes?: number): NpzMember[] {
  const archive = openZip(bytes, path, maxTotalBytes !== undefined ? { maxTotalBytes } : {});
  return archive.entries.filter((entry) => entry.name.endsWith('.npy')).map((entry) => {
    const name = entry.name.slice(0, -'.npy'.length);
    const header = memberHeader(archive, entry.name, entry.uncompressedSize, path, name);
    let whole: Uint8Array | null = null;
    const read = () => (whole ??= archive.read(entry.name));
    return {
      name,
      header,
      bytes: read,
      decode: (Type) => {
        const out = new Type(header.count);
        decodeNpyData(read(), header, out, path, name);
        return out;
      },
    };
  });
}

function memberHeader(archive: ZipArchive, entryName: string, size: number, path: string, name: string): NpyHeader {
  const start = archive.head(entryName, 12);
  if (start.length >= 12 && (start[6] === 1 || start[6] === 2 || start[6] === 3)) {
    const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
    const dataOffset = start[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
    if (dataOffset > MAX_HEADER_BYTES) throw badInput(path, `array '${name}': .npy header declares ${dataOffset} bytes, more than the ${MAX_HEADER_BYTES} read`);
    return readNpyHeader(archive.head(entryName, dataOffset), path, name, size);
  }
  return readNpyHeader(start, path, name, size); // refuses it with the reason
}
