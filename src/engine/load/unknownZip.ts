import { badInput } from '../errors';
import { listZipEntries } from '../io/zip';

/**
 * The error for a zip no specific format claimed. Listing the entries again (not sniffing)
 * surfaces the real problem of a corrupt or unsafe archive; otherwise the entries are shown.
 */
export function unknownZipError(bytes: Uint8Array, path: string, expected: string): Error {
  const names = listZipEntries(bytes, path).map((entry) => entry.name);
  const shown = names.slice(0, 20).join(', ') + (names.length > 20 ? `, ... (${names.length} entries)` : '');
  return badInput(path, `zip archive not recognized as ${expected}; it holds: ${shown || 'no entries'}`);
}
