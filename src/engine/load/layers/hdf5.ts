import { badInput, isFlatnessLensError, unsupported } from '../../errors';

/**
 * HDF5 reading through h5wasm (the HDF5 C library compiled to WebAssembly). We use its ESM
 * build, whose file system is in memory (its node build maps the real disk instead). The bytes are
 * written into h5wasm's in-memory file system (MEMFS: nothing touches the disk), opened
 * read-only, and unlinked afterwards. Every error the library raises (including wasm traps on
 * corrupt files, which the instance survives) becomes a FlatnessLensError naming the file.
 * After such an error the library can read garbage for a later file's corrupt strings, so every
 * size it reports is checked against the file before use (see boundedText, readFloatDataset).
 */
export type H5Module = typeof import('h5wasm');
export type H5File = InstanceType<H5Module['File']>;
export type H5Group = InstanceType<H5Module['Group']>;
export type H5Dataset = InstanceType<H5Module['Dataset']>;
export type H5Entity = ReturnType<H5Group['get']>;

interface MemFs {
  writeFile(path: string, data: Uint8Array): void;
  unlink(path: string): void;
  mkdir(path: string): void;
  createDevice(parent: string, name: string, input: (() => number | null) | null, output: (c: number | null) => void): unknown;
  closeStream(fd: number): void;
  open(path: string, flags: string): { fd: number };
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const WORK_DIR = '/flatness-lens';

let modulePromise: Promise<H5Module> | null = null;
let counter = 0;

/** True when the bytes carry the HDF5 signature at offset 0 (where Keras and h5py put it). */
export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((value, index) => bytes[index] === value);
}

/** Loads and initializes h5wasm once (the worker thread does it before it reports ready). */
export async function loadModule(): Promise<H5Module> {
  modulePromise ??= (async () => {
    const h5wasm = await import('h5wasm');
    await h5wasm.ready;
    const fs = h5wasm.FS as unknown as MemFs;
    fs.mkdir(WORK_DIR);
    // The library prints an HDF5-DIAG trace to stderr for every failed call (many per corrupt
    // file); route its stderr to a device that drops it. Our own messages say what failed.
    fs.createDevice('/dev', 'flatness-lens-null', null, () => undefined);
    fs.closeStream(2);
    fs.open('/dev/flatness-lens-null', 'w');
    return h5wasm;
  })();
  return modulePromise;
}

/**
 * Checks the superblock before handing the bytes to the library: the end-of-file address it
 * declares must lie within the bytes, which catches truncation cheaply and with a clear message.
 */
function checkSuperblock(bytes: Uint8Array, file: string): void {
  if (!isHdf5(bytes)) throw badInput(file, 'not an HDF5 file (no HDF5 signature at the start)');
  if (bytes.length < 48) throw badInput(file, 'HDF5 file truncated inside its superblock');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8]!;
  let sizeOfOffsets: number;
  let eofAt: number;
  if (version === 0 || version === 1) {
    sizeOfOffsets = bytes[13]!;
    eofAt = (version === 0 ? 24 : 28) + 2 * sizeOfOffsets;
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = bytes[9]!;
    eofAt = 12 + 2 * sizeOfOffsets;
  } else {
    throw unsupported(file, `HDF5 superblock version ${version} is not supported`);
  }
  if (sizeOfOffsets !== 8) {
    if (sizeOfOffsets !== 4 && sizeOfOffsets !== 2) throw badInput(file, `HDF5 superblock has an invalid offset size ${sizeOfOffsets}`);
    return; // unusual but valid; leave the checks to the library
  }
  if (eofAt + 8 > bytes.length) throw badInput(file, 'HDF5 file truncated inside its superblock');
  const declared = view.getBigUint64(eofAt, true);
  if (declared !== 0xffffffffffffffffn && declared > BigInt(bytes.length)) {
    throw badInput(file, `HDF5 file is truncated: its superblock declares ${declared} bytes but the file has ${bytes.length}`);
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 160);
}

/**
 * Opens `bytes` as an HDF5 file and runs `read` on it; the file is closed and removed from the
 * in-memory file system whatever happens.
 */
export async function withHdf5File<T>(
  bytes: Uint8Array,
  file: string,
  read: (root: H5File, h5: H5Module) => T,
): Promise<T> {
  checkSuperblock(bytes, file);
  const h5 = await loadModule();
  const fs = h5.FS as unknown as MemFs;
  const memPath = `${WORK_DIR}/${++counter}.h5`;
  let handle: H5File | null = null;
  try {
    fs.writeFile(memPath, bytes);
    handle = new h5.File(memPath, 'r');
    if (handle.file_id < 0n) throw badInput(file, 'the HDF5 library could not open the file (corrupt or truncated)');
    return read(handle, h5);
  } catch (error) {
    if (isFlatnessLensError(error)) throw error;
    throw badInput(file, `the HDF5 library could not read the file (corrupt or truncated?): ${describe(error)}`);
  } finally {
    try {
      if (handle !== null && handle.file_id >= 0n) handle.close();
    } catch {
      // a corrupt file can fail to close; it is unlinked below either way
    }
    try {
      fs.unlink(memPath);
    } catch {
      // never written
    }
  }
}

/**
 * Reads an attribute's value after checking its declared size against the file size, so a
 * corrupt dataspace cannot make the library allocate more than the file could hold.
 */
function attributeValue(entity: H5Entity, name: string, fileBytes: number, file: string): unknown {
  if (entity === null || !('attrs' in entity)) return undefined;
  const attribute = entity.attrs[name];
  if (attribute === undefined) return undefined;
  const metadata = attribute.metadata;
  const count = (metadata.shape ?? []).reduce((product, size) => product * size, 1);
  if (!Number.isSafeInteger(count * metadata.size) || count * metadata.size > fileBytes) {
    throw badInput(file, `HDF5 attribute '${name}' declares ${count} values, more than the file can hold`);
  }
  return attribute.value;
}

/**
 * Text from an attribute value, bounded by the file size: a corrupt variable-length string can
 * point the library at unrelated memory, and no string stored in a file is longer than the file.
 */
function boundedText(value: unknown, name: string, fileBytes: number, file: string): string | null {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (value instanceof Uint8Array && value.length <= fileBytes) text = new TextDecoder().decode(value);
  else return null;
  if (text.length > fileBytes) throw badInput(file, `HDF5 attribute '${name}' reads as ${text.length} characters, more than the file holds (corrupt string)`);
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end);
}

/** A string attribute (fixed- or variable-length, or bytes), or null when absent. */
export function stringAttribute(entity: H5Entity, name: string, fileBytes: number, file: string): string | null {
  const value = attributeValue(entity, name, fileBytes, file);
  if (value === undefined) return null;
  const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
  return boundedText(single, name, fileBytes, file);
}

/** A list-of-strings attribute (Keras `layer_names`, `weight_names`), or null when absent. */
export function stringListAttribute(entity: H5Entity, name: string, fileBytes: number, file: string): string[] | null {
  const value = attributeValue(entity, name, fileBytes, file);
  if (value === undefined) return null;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  if (items.length > fileBytes) return null;
  const texts = items.map((item) => boundedText(item, name, fileBytes, file));
  if (texts.some((text) => text === null)) return null;
  const total = texts.reduce((sum, text) => sum + text!.length, 0);
  if (total > fileBytes) throw badInput(file, `HDF5 attribute '${name}' reads as ${total} characters, more than the file holds (corrupt strings)`);
  return texts as string[];
}

export interface Hdf5Tensor {
  name: string;
  shape: number[];
  data: Float64Array;
  dtype: string;
}

/**
 * Reads a float dataset as float64. Its declared size is checked against the file size before
 * the library allocates anything: an uncompressed dataset cannot hold more than the file does,
 * and a compressed one is allowed a bounded ratio.
 */
export function readFloatDataset(dataset: H5Entity, name: string, bytes: Uint8Array, file: string, h5: H5Module): Hdf5Tensor {
  if (!(dataset instanceof h5.Dataset)) throw badInput(file, `HDF5 object '${name}' is not a dataset`);
  const metadata = dataset.metadata;
  const shape = metadata.shape ?? [];
  const count = shape.reduce((product, size) => product * size, 1);
  if (metadata.type !== 1 || (metadata.size !== 4 && metadata.size !== 8)) {
    throw unsupported(file, `HDF5 dataset '${name}' is not float32 or float64 (HDF5 type class ${metadata.type}, ${metadata.size} bytes)`);
  }
  const declared = count * metadata.size;
  const compressed = dataset.filters.length > 0;
  if (!Number.isSafeInteger(declared) || declared > (compressed ? 1024 : 1) * bytes.length) {
    throw badInput(file, `HDF5 dataset '${name}' declares ${declared} bytes of data, more than the ${bytes.length}-byte file can hold`);
  }
  const value: unknown = dataset.value;
  if (!(value instanceof Float32Array || value instanceof Float64Array) || value.length !== count) {
    throw badInput(file, `HDF5 dataset '${name}' could not be read as ${count} floats`);
  }
  return { name, shape, data: Float64Array.from(value), dtype: metadata.size === 4 ? 'F32' : 'F64' };
}

export function isGroup(entity: H5Entity, h5: H5Module): entity is H5Group {
  return entity instanceof h5.Group;
}
