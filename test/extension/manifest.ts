/**
 * package.json as VS Code shows it: every string that is exactly `%key%` replaced by the key's
 * English text from package.nls.json (the default bundle).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export function readManifestText(): { manifest: unknown; nls: Record<string, string> } {
  return {
    manifest: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown,
    nls: JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>,
  };
}

/** The %key% placeholders of a manifest, in document order. */
export function placeholders(value: unknown): string[] {
  if (typeof value === 'string') return /^%[^%]+%$/.test(value) ? [value.slice(1, -1)] : [];
  if (Array.isArray(value)) return value.flatMap(placeholders);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(placeholders);
  return [];
}

function substitute(value: unknown, nls: Record<string, string>): unknown {
  if (typeof value === 'string') {
    const key = /^%([^%]+)%$/.exec(value)?.[1];
    if (key === undefined) return value;
    const text = nls[key];
    if (text === undefined) throw new Error(`package.json: %${key}% is not in package.nls.json`);
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, nls));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, nls)]));
  }
  return value;
}

/** The manifest with its English text in place of the placeholders. */
export function localizedManifest<T>(): T {
  const { manifest, nls } = readManifestText();
  return substitute(manifest, nls) as T;
}
