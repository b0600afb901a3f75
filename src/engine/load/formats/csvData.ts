import type { Dataset } from '../../data/types';
import { badInput } from '../../errors';
import { buildDataset } from '../datasetBuilder';
import type { DataFormat, DataLoadOptions } from '../formatTypes';

/**
 * CSV (or TSV / semicolon-separated) data: RFC 4180 quoting, an optional header row (present
 * when some cell of the first row is not a number), targets in the last column by default, in
 * the named columns, or in the last k columns. Errors give 1-based line and column numbers.
 */
export interface CsvRow {
  line: number;
  fields: string[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

/** Splits the text into rows of fields; quoted fields may hold separators, quotes and newlines. */
export function* csvRows(text: string, delimiter: string, file: string, firstLine = 1): Generator<CsvRow> {
  let position = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = firstLine;
  const length = text.length;
  while (position < length) {
    const rowLine = line;
    const fields: string[] = [];
    let field = '';
    let endOfRow = false;
    while (!endOfRow) {
      if (text[position] === '"') {
        position++;
        for (;;) {
          if (position >= length) throw badInput(file, `line ${rowLine}: a quoted field is not closed`);
          const char = text[position]!;
          if (char === '"') {
            if (text[position + 1] === '"') {
              field += '"';
              position += 2;
              continue;
            }
            position++;
            break;
          }
          if (char === '\n') line++;
          field += char;
          position++;
        }
        // Allow spaces between the closing quote and the separator.
        while (text[position] === ' ' || text[position] === '\t' && delimiter !== '\t') position++;
      } else {
        const start = position;
        while (position < length && text[position] !== delimiter && text[position] !== '\n' && text[position] !== '\r') position++;
        field = text.slice(start, position);
      }
      fields.push(field);
      field = '';
      const char = text[position];
      if (char === delimiter) {
        position++;
      } else if (char === '\r' || char === '\n' || char === undefined) {
        if (char === '\r') position++;
        if (text[position] === '\n') position++;
        line++;
        endOfRow = true;
      } else {
        throw badInput(file, `line ${rowLine}: unexpected character '${char}' after a quoted field`);
      }
    }
    if (fields.length === 1 && fields[0]!.trim() === '') continue; // blank line
    yield { line: rowLine, fields };
  }
}

export function detectDelimiter(text: string, path: string): string {
  if (/\.tsv$/i.test(path)) return '\t';
  const firstLine = text.slice(0, Math.min(text.length, 65536)).split('\n', 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [',', ';', '\t'].map((delimiter) => ({ delimiter, count: unquoted.split(delimiter).length - 1 }));
  counts.sort((a, b) => b.count - a.count);
  return counts[0]!.count > 0 ? counts[0]!.delimiter : ',';
}

function looksNumeric(cell: string): boolean {
  const trimmed = cell.trim();
  return NUMBER.test(trimmed) || NON_FINITE.test(trimmed);
}

/** Which columns are targets, from the option and the header. */
function targetIndices(columns: number, header: string[] | null, option: DataLoadOptions['targetColumns'], file: string): number[] {
  if (columns < 2) throw badInput(file, `the CSV has ${columns} column; it needs at least one input column and one target column`);
  if (option === undefined) return [columns - 1];
  if (typeof option === 'number') {
    if (!Number.isInteger(option) || option < 1 || option >= columns) {
      throw badInput(file, `cannot use the last ${option} of ${columns} columns as targets (need 1 to ${columns - 1})`);
    }
    return Array.from({ length: option }, (_, k) => columns - option + k);
  }
  if (option.length === 0) throw badInput(file, 'the list of target columns is empty');
  return option.map((name) => {
    if (header !== null) {
      let index = header.indexOf(name);
      if (index < 0) index = header.findIndex((cell) => cell.toLowerCase() === name.toLowerCase());
      if (index >= 0) return index;
    }
    if (/^\d+$/.test(name) && Number(name) < columns) return Number(name);
    const available = header !== null ? `columns: ${header.join(', ')}` : 'the file has no header; give 0-based column numbers';
    throw badInput(file, `target column '${name}' not found (${available})`);
  });
}

/** How the rows of one CSV file are read: its columns, header and target columns. */
export interface CsvLayout {
  columns: number;
  hasHeader: boolean;
  header: string[] | null;
  targets: number[];
  inputColumns: number[];
}

/** The layout from the first row (a header when some cell is not a number) and the options. */
export function csvLayout(first: CsvRow, options: DataLoadOptions, path: string): CsvLayout {
  const columns = first.fields.length;
  const hasHeader = !first.fields.every(looksNumeric);
  const header = hasHeader ? first.fields.map((cell) => cell.trim()) : null;
  const targets = targetIndices(columns, header, options.targetColumns, path);
  const isTarget = new Array<boolean>(columns).fill(false);
  for (const index of targets) isTarget[index] = true;
  const inputColumns = Array.from({ length: columns }, (_, index) => index).filter((index) => !isTarget[index]);
  if (inputColumns.length === 0) throw badInput(path, 'every column is a target: no input columns left');
  return { columns, hasHeader, header, targets, inputColumns };
}

/**
 * Checks one data row and writes its values as float32 at row `n` of the two arrays; errors give
 * the 1-based line and column (and the header's name for it).
 */
export function readCsvRow(row: CsvRow, layout: CsvLayout, path: string, inputValues: Float32Array, targetValues: Float32Array, n: number): void {
  const { columns, header, inputColumns, targets } = layout;
  const columnName = (index: number) => (header ? ` ('${header[index]}')` : '');
  if (row.fields.length !== columns) {
    throw badInput(path, `line ${row.line} has ${row.fields.length} fields, expected ${columns} like the first row`);
  }
  const parse = (index: number): number => {
    const cell = row.fields[index]!.trim();
    const where = `line ${row.line}, column ${index + 1}${columnName(index)}`;
    if (NUMBER.test(cell)) {
      const value = Number(cell);
      if (Number.isFinite(value)) {
        if (Math.abs(value) > 3.4028234663852886e38) {
          throw badInput(path, `${where} is too large for float32 (${value})`);
        }
        return value;
      }
    }
    if (cell === '') throw badInput(path, `${where} is empty`);
    if (NON_FINITE.test(cell) || NUMBER.test(cell)) {
      throw badInput(path, `${where} is ${/nan/i.test(cell) ? 'NaN' : 'infinite'} ('${cell}')`);
    }
    throw badInput(path, `${where}: '${cell.length > 40 ? `${cell.slice(0, 40)}...` : cell}' is not a number`);
  };
  for (let k = 0; k < inputColumns.length; k++) inputValues[n * inputColumns.length + k] = parse(inputColumns[k]!);
  for (let k = 0; k < targets.length; k++) targetValues[n * targets.length + k] = parse(targets[k]!);
}

/** The notes and the input and target names of a CSV data set. */
export function csvDescription(layout: CsvLayout): { notes: string[]; inputLabel: string; targetLabel: string } {
  const { header, targets, inputColumns, hasHeader } = layout;
  const notes = [
    hasHeader ? 'the first row was read as a header' : 'no header row detected',
    `target column${targets.length > 1 ? 's' : ''}: ${targets.map((index) => (header ? header[index] : `#${index + 1}`)).join(', ')}`,
  ];
  const inputLabel = header ? inputColumns.map((index) => header[index]).join(', ') : `columns ${inputColumns.map((i) => i + 1).join(', ')}`;
  const targetLabel = header ? targets.map((index) => header[index]).join(', ') : `columns ${targets.map((i) => i + 1).join(', ')}`;
  return { notes, inputLabel, targetLabel };
}

export function loadCsvData(bytes: Uint8Array, path: string, options: DataLoadOptions): Dataset {
  let text: string;
  try {
    text = new TextDecoder('utf-8').decode(bytes);
  } catch (error) {
    throw badInput(path, `cannot decode the CSV as text (${(error as Error).message}); it may be too large for a CSV, use .npz`);
  }
  const delimiter = detectDelimiter(text, path);
  const rows = csvRows(text, delimiter, path);
  const first = rows.next();
  if (first.done) throw badInput(path, 'the CSV file is empty');
  const layout = csvLayout(first.value, options, path);
  const { inputColumns, targets } = layout;

  let inputValues: Float32Array = new Float32Array(1024 * inputColumns.length);
  let targetValues: Float32Array = new Float32Array(1024 * targets.length);
  let n = 0;
  const addRow = (row: CsvRow) => {
    if ((n + 1) * inputColumns.length > inputValues.length) {
      inputValues = grow(inputValues);
      targetValues = grow(targetValues);
    }
    readCsvRow(row, layout, path, inputValues, targetValues, n);
    n++;
  };
  if (!layout.hasHeader) addRow(first.value);
  for (const row of rows) addRow(row);
  if (n === 0) throw badInput(path, 'the CSV has a header but no data rows');
  const { notes, inputLabel, targetLabel } = csvDescription(layout);
  const dataset = buildDataset(
    { name: inputLabel, shape: [n, inputColumns.length], values: inputValues.slice(0, n * inputColumns.length) },
    { name: targetLabel, shape: [n, targets.length], values: targetValues.slice(0, n * targets.length) },
    { path, format: 'csv', notes },
  );
  return dataset;
}

function grow(values: Float32Array): Float32Array {
  const larger = new Float32Array(values.length * 2);
  larger.set(values);
  return larger;
}

/** Text: no control bytes other than tab, CR and LF in the first 4 KiB. */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 4096);
  return head.length > 0 && head.every((value) => value >= 0x20 || value === 0x09 || value === 0x0a || value === 0x0d);
}

/** Any text file is tried as CSV, last. */
export const csvDataFormat: DataFormat = {
  name: 'csv',
  description: 'CSV/TSV text: optional header row, targets in the last column (or named / last k columns)',
  fallback: true,
  sniff: looksLikeText,
  load: loadCsvData,
};
