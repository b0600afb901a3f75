import type { DataRows, StreamedDataset } from '../../data/types';
import { badInput } from '../../errors';
import type { DataLoadOptions } from '../formatTypes';
import { type CsvLayout, csvDescription, csvLayout, csvRows, detectDelimiter, looksLikeText, readCsvRow } from '../formats/csvData';
import { pickFormat } from '../modelFormats';
import { dataFormats } from '../dataFormats';
import type { FileRanges } from './fileRanges';
import { checkRange } from './streamedPair';

/** Bytes read per step of the first pass; segments of whole rows are about this long. */
const BLOCK_BYTES = 1024 * 1024;
/** A row longer than this (or a file without \n line ends) cannot be cut into segments. */
const MAX_ROW_BYTES = 64 * 1024 * 1024;
const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** True when the first bytes would be read as CSV by the in-memory loader. */
export function sniffsAsCsv(head: Uint8Array, path: string): boolean {
  return looksLikeText(head) && pickFormat(dataFormats, head, path)?.name === 'csv';
}

/** A run of whole rows of the file: [byteStart, byteEnd) holds data rows firstRow .. firstRow + rows - 1. */
interface Segment {
  byteStart: number;
  byteEnd: number;
  firstRow: number;
  rows: number;
  firstLine: number;
}

/**
 * End (exclusive) of the last complete row in bytes[0, length): the byte after the last \n that is
 * outside quotes, scanning from a row start; 0 when no row ends in the bytes. Quotes open only at
 * the start of a field and "" inside quotes is an escaped quote, as in csvRows.
 */
function lastRowEnd(bytes: Uint8Array, delimiter: number): number {
  let quoted = false;
  let fieldStart = true;
  let end = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (quoted) {
      if (byte === QUOTE) {
        if (i + 1 >= bytes.length) return end; // cannot tell "" from a closing quote yet
        if (bytes[i + 1] === QUOTE) i++;
        else quoted = false;
      }
      continue;
    }
    if (byte === QUOTE && fieldStart) {
      quoted = true;
      fieldStart = false;
      continue;
    }
    if (byte === NEWLINE) end = i + 1;
    fieldStart = byte === delimiter || byte === NEWLINE || byte === 0x0d;
  }
  return end;
}

function countNewlines(bytes: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === NEWLINE) count++;
  return count;
}

const decoder = new TextDecoder('utf-8');

/**
 * CSV streamed by lines: a first pass reads the file in blocks cut at row ends, parses and checks
 * every value (with the same messages as the in-memory reader) and records where each segment of
 * rows starts; a read of rows then parses only the segments that hold them.
 */
export async function openStreamedCsv(ranges: FileRanges, head: Uint8Array, options: DataLoadOptions): Promise<StreamedDataset> {
  const { path, size } = ranges;
  const delimiter = detectDelimiter(decoder.decode(head), path);
  const delimiterByte = delimiter.charCodeAt(0);
  const segments: Segment[] = [];
  let layout: CsvLayout | null = null;
  let n = 0;
  let line = 1;
  let offset = 0;
  let carry = new Uint8Array(0);
  let scratchInputs = new Float32Array(0);
  let scratchTargets = new Float32Array(0);
  while (offset < size || carry.length > 0) {
    const length = Math.min(BLOCK_BYTES, size - offset);
    const block = length > 0 ? await ranges.read(offset, length) : new Uint8Array(0);
    const bytes = new Uint8Array(carry.length + block.length);
    bytes.set(carry);
    bytes.set(block, carry.length);
    const segmentStart = offset - carry.length;
    offset += length;
    const atEnd = offset >= size;
    const end = atEnd ? bytes.length : lastRowEnd(bytes, delimiterByte);
    if (end === 0) {
      if (bytes.length > MAX_ROW_BYTES) throw badInput(path, `line ${line}: a row longer than ${MAX_ROW_BYTES} bytes (or line ends other than \\n) cannot be streamed`);
      carry = bytes;
      continue;
    }
    const segmentBytes = bytes.subarray(0, end);
    carry = bytes.slice(end);
    const rows = [...csvRows(decoder.decode(segmentBytes), delimiter, path, line)];
    let firstData = 0;
    if (layout === null) {
      if (rows.length === 0) {
        line += countNewlines(segmentBytes);
        continue;
      }
      layout = csvLayout(rows[0]!, options, path);
      if (layout.hasHeader) firstData = 1;
    }
    const count = rows.length - firstData;
    if (scratchInputs.length < count * layout.inputColumns.length) {
      scratchInputs = new Float32Array(count * layout.inputColumns.length);
      scratchTargets = new Float32Array(count * layout.targets.length);
    }
    for (let r = 0; r < count; r++) readCsvRow(rows[firstData + r]!, layout, path, scratchInputs, scratchTargets, r);
    if (count > 0) segments.push({ byteStart: segmentStart, byteEnd: segmentStart + end, firstRow: n, rows: count, firstLine: line });
    n += count;
    line += countNewlines(segmentBytes);
    if (atEnd) break;
  }
  if (layout === null) throw badInput(path, 'the CSV file is empty');
  if (n === 0) throw badInput(path, 'the CSV has a header but no data rows');
  const found: CsvLayout = layout;
  const d = found.inputColumns.length;
  const targetDim = found.targets.length;
  const { notes, inputLabel, targetLabel } = csvDescription(found);
  notes.push(`streamed from disk by lines (${n} rows are not held in memory)`);

  // The last segment parsed, kept for the sequential reads of a pass over the data.
  let cached: { segment: Segment; inputs: Float32Array; targets: Float32Array } | null = null;
  const parsed = async (segment: Segment) => {
    if (cached?.segment === segment) return cached;
    const text = decoder.decode(await ranges.read(segment.byteStart, segment.byteEnd - segment.byteStart));
    const rows = [...csvRows(text, delimiter, path, segment.firstLine)];
    const skip = rows.length - segment.rows; // the header row of the first segment
    if (skip < 0 || skip > 1) throw badInput(path, 'the file changed while it was read (a segment of rows no longer parses the same)');
    const inputs = new Float32Array(segment.rows * d);
    const targets = new Float32Array(segment.rows * targetDim);
    for (let r = 0; r < segment.rows; r++) readCsvRow(rows[skip + r]!, found, path, inputs, targets, r);
    cached = { segment, inputs, targets };
    return cached;
  };
  const segmentOf = (row: number): number => {
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[middle]!.firstRow <= row) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const readRows = async (start: number, rows: number): Promise<DataRows> => {
    checkRange(start, rows, n);
    const inputs = new Float32Array(rows * d);
    const targets = new Float32Array(rows * targetDim);
    let row = start;
    while (row < start + rows) {
      const segment = segments[segmentOf(row)]!;
      const values = await parsed(segment);
      const from = row - segment.firstRow;
      const take = Math.min(segment.rows - from, start + rows - row);
      inputs.set(values.inputs.subarray(from * d, (from + take) * d), (row - start) * d);
      targets.set(values.targets.subarray(from * targetDim, (from + take) * targetDim), (row - start) * targetDim);
      row += take;
    }
    return { inputs, targets };
  };
  return {
    streamed: true,
    n,
    d,
    targetDim,
    source: { path, format: 'csv', inputName: inputLabel, targetName: targetLabel, notes },
    readRows,
    readTargets: async (start, rows) => (await readRows(start, rows)).targets,
  };
}
