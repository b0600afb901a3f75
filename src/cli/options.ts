import { parseArgs } from 'node:util';
import { FlatnessLensError } from '../engine/errors';
import { VERB_OPTIONS, type Verb } from './optionTables';

/**
 * Strict parsing of a verb's options (tables in optionTables.ts): an option of another verb, an
 * unknown option or an empty value is an error that suggests the nearest option of this verb.
 */
export type OptionTable = Readonly<Record<string, { type: 'string' | 'boolean' }>>;

export type ParsedValues<T extends OptionTable> = {
  [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean;
};

export interface ParsedVerb<T extends OptionTable> {
  values: ParsedValues<T>;
  positionals: string[];
}

/** One line: the problem, then where the options are listed. */
export function usageError(message: string): FlatnessLensError {
  return new FlatnessLensError('bad-input', `${message} (see flatness-lens --help)`);
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The option of `table` nearest to `name` (a prefix counts as near), or null when none is close. */
export function nearestOption(name: string, table: OptionTable): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of Object.keys(table)) {
    const distance = candidate.startsWith(name) && name.length >= 2 ? 1 : editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : null;
}

function unknownOptionMessage(verb: Verb, name: string, table: OptionTable): string {
  const owners = Object.entries(VERB_OPTIONS).filter(([other, options]) => other !== verb && Object.hasOwn(options, name)).map(([other]) => other);
  const nearest = nearestOption(name, table);
  const suggestion = nearest !== null ? `; did you mean --${nearest}?` : '';
  if (owners.length > 0) return `--${name} is an option of ${owners.join(' and ')}, not of ${verb}${suggestion}`;
  return `unknown option --${name} for ${verb}${suggestion}`;
}

/**
 * Parses `args` against the verb's table. Refused, in one line: options not in the table
 * (with the nearest valid one), a string option without a value or with an empty one, a
 * boolean option given a value, positionals where the verb takes none.
 */
export function parseVerbOptions<V extends Verb>(
  verb: V,
  args: readonly string[],
  allowPositionals = false,
): ParsedVerb<(typeof VERB_OPTIONS)[V]> {
  const table: OptionTable = VERB_OPTIONS[verb];
  for (const arg of args) {
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=', 1)[0]!;
    if (!Object.hasOwn(table, name)) throw usageError(unknownOptionMessage(verb, name, table));
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: table as Record<string, { type: 'string' | 'boolean' }>, allowPositionals, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('. ')[0]! : String(error);
    throw usageError(message);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string' && value.trim() === '') throw usageError(`--${name} needs a value (got an empty string)`);
  }
  return { values: parsed.values as ParsedValues<(typeof VERB_OPTIONS)[V]>, positionals: parsed.positionals };
}

/** A non-negative decimal number ('1e-4', '0.5', '12'); '', '0x10', 'Infinity', '-1' are refused. */
export function decimalOption(value: string | undefined, option: string, { positive = false } = {}): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(parsed) || (positive && parsed <= 0)) {
    throw usageError(`--${option} must be a ${positive ? 'positive' : 'non-negative'} decimal number (got '${value}')`);
  }
  return parsed;
}

export function oneOfOption<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`--${option} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}
