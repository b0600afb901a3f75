import { badInput } from '../errors';
import type { NamedTensor } from '../io/tensors';

/** Parses JSON text; bare NaN/Infinity (which Python's json writes) get a specific message. */
export function parseJsonText(bytes: Uint8Array, file: string): unknown {
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (error) {
    const hint = /(^|[^\w"])-?(NaN|Infinity)\b/.test(text) ? ' (it contains NaN or Infinity, which JSON cannot hold)' : '';
    throw badInput(file, `not valid JSON${hint}: ${(error as Error).message}`);
  }
}

/** True when the bytes start (after whitespace and a BOM) with '{' or '['. */
export function looksLikeJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b || bytes[i] === 0x5b;
}

/** Deepest array nesting accepted (guards the recursion against adversarial files). */
export const MAX_JSON_ARRAY_DEPTH = 32;

/** True for a number or a (nested) array whose first leaves are numbers. */
export function isNumericArray(value: unknown): boolean {
  let probe = value;
  for (let depth = 0; depth <= MAX_JSON_ARRAY_DEPTH; depth++) {
    if (typeof probe === 'number') return true;
    if (!Array.isArray(probe)) return false;
    if (probe.length === 0) return true;
    probe = probe[0];
  }
  return Array.isArray(probe); // too deep: let nestedArrayToTensor report it
}

/**
 * A rectangular nested array of numbers as a float64 tensor. Ragged rows and non-numbers are
 * reported with their position, e.g. X[3] has 4 values, expected 5. Values are collected while
 * the shape is checked, so nothing is allocated from a shape the file only claims.
 */
export function nestedArrayToTensor(value: unknown, name: string, file: string): NamedTensor {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_JSON_ARRAY_DEPTH) throw badInput(file, `${name} is nested more than ${MAX_JSON_ARRAY_DEPTH} levels deep`);
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  const visit = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') {
        throw badInput(file, `${name}${path} is ${JSON.stringify(node) ?? String(node)}, not a number`);
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node)) throw badInput(file, `${name}${path} is not an array (ragged nesting)`);
    if (node.length !== shape[depth]) {
      throw badInput(file, `${name}${path} has ${node.length} values, expected ${shape[depth]} like the first (ragged array)`);
    }
    for (let i = 0; i < node.length; i++) visit(node[i], depth + 1, `${path}[${i}]`);
  };
  visit(value, 0, '');
  return { name, shape, data: Float64Array.from(values), dtype: 'json' };
}
