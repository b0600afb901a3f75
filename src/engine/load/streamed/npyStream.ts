import { type NpyHeader, decodeNpyData, readNpyHeader } from '../../io/npy';
import { badInput } from '../../errors';
import type { FileRanges } from './fileRanges';

/** Longest .npy header read (numpy writes a few hundred bytes). */
const MAX_HEADER_BYTES = 1024 * 1024;

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * One .npy array on disk (a file, or a stored member of an .npz at `base`), read by rows: each
 * read fetches the rows' bytes at the header's offset and converts them to float32 (float64,
 * float16, integers and bools as well), so memory is bounded by the rows asked for.
 */
export interface StreamedArray {
  /** The array's name in messages: the file's base name, or the member name inside an .npz. */
  name: string;
  shape: number[];
  header: NpyHeader;
  /** Values per row: the product of every dimension after the first (1 for a 1-D array). */
  columns: number;
  readRows(start: number, rows: number): Promise<Float32Array>;
}

/**
 * Reads and checks the header of the .npy at [base, base + length) of the file: the declared
 * shape must fit in the bytes present (a header promising more rows than the file holds is
 * refused here, before any row is read). `arrayName` names an .npz member in errors.
 * Returns null for a Fortran-ordered array with more than one column, which cannot be read by rows.
 */
export async function openStreamedArray(
  ranges: FileRanges, base: number, length: number, name: string, arrayName?: string,
): Promise<StreamedArray | null> {
  const file = ranges.path;
  const start = await ranges.read(base, Math.min(length, 12));
  let headBytes = start;
  if (start.length >= 12 && (start[6] === 1 || start[6] === 2 || start[6] === 3)) {
    const view = new DataView(start.buffer, start.byteOffset, start.byteLength);
    const dataOffset = start[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
    if (dataOffset > MAX_HEADER_BYTES) {
      throw badInput(file, `${arrayName === undefined ? '' : `array '${arrayName}': `}.npy header declares ${dataOffset} bytes, more than the ${MAX_HEADER_BYTES} read`);
    }
    headBytes = await ranges.read(base, Math.min(length, dataOffset));
  }
  const header = readNpyHeader(headBytes, file, arrayName, length);
  if (header.kind === 'U' || header.kind === 'S') {
    throw badInput(file, `${arrayName === undefined ? '' : `array '${arrayName}': `}holds strings (${header.descr}), not numbers`);
  }
  const columns = header.shape.slice(1).reduce((product, size) => product * size, 1);
  if (header.fortranOrder && header.shape.length >= 2 && columns > 1 && header.shape[0]! > 1) return null;
  const rowBytes = columns * header.itemSize;
  const dataStart = base + header.dataOffset;
  return {
    name,
    shape: header.shape,
    header,
    columns,
    async readRows(first, rows) {
      const count = rows * columns;
      const out = new Float32Array(count);
      if (count === 0) return out;
      const bytes = await ranges.read(dataStart + first * rowBytes, rows * rowBytes);
      if (header.kind === 'f' && header.itemSize === 4 && header.littleEndian === LITTLE_ENDIAN_HOST) {
        out.set(new Float32Array(bytes.buffer, bytes.byteOffset, count));
      } else {
        const chunkHeader: NpyHeader = { ...header, fortranOrder: false, shape: [count], dataOffset: 0, count };
        decodeNpyData(bytes, chunkHeader, out, file, arrayName);
      }
      return out;
    },
  };
}
