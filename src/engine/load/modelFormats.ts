import { isZip } from '../io/zip';
import type { ModelFormat } from './formatTypes';
import { jsonModelFormat } from './formats/jsonModel';
import { npzModelFormat } from './formats/npzModel';
import { safetensorsModelFormat } from './formats/safetensorsModel';
import { layeredModelFormats } from './layers/formats';
import { unknownZipError } from './unknownZip';

export type { ModelFormat, ModelLoadOptions } from './formatTypes';

/** A zip that no specific format claimed: the error lists what it holds. */
const unknownZipFormat: ModelFormat = {
  name: 'zip',
  description: 'zip archive (identified by its entries)',
  fallback: true,
  sniff: (bytes) => isZip(bytes),
  load: (bytes, path) => {
    throw unknownZipError(bytes, path, 'a model (.npz of .npy arrays, Keras v3 .keras or PyTorch .pt)');
  },
};

/**
 * Model formats in the order they are sniffed (magic bytes and zip entry names, never the
 * extension). Append specific readers here; fallback entries are only tried when no specific
 * format claims the file.
 */
export const modelFormats: ModelFormat[] = [
  safetensorsModelFormat,
  npzModelFormat,
  jsonModelFormat,
  ...layeredModelFormats,
  unknownZipFormat,
];

/** The first specific format whose sniff accepts the bytes, else the first fallback, else null. */
export function pickFormat<F extends { fallback?: boolean; sniff(bytes: Uint8Array, path: string): boolean }>(
  formats: readonly F[],
  bytes: Uint8Array,
  path: string,
): F | null {
  const matching = formats.filter((format) => format.sniff(bytes, path));
  return matching.find((format) => !format.fallback) ?? matching[0] ?? null;
}
