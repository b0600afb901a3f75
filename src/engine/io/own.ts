/**
 * Looks a name read from a file up in a table of our own, by own property only: 'constructor',
 * '__proto__' or 'toString' must not find what every object inherits.
 */
export function own<V>(table: Readonly<Record<string | number, V>>, key: string | number): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
