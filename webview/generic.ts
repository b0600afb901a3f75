/**
 * Renders report sections this webview has no dedicated layout for (spectrum, sharpness,
 * landscape, canonical, prediction, flattest, ...): numbers as key/value rows, arrays of
 * numbers as charts, arrays of records as tables, nested records as nested groups.
 */
import { formatNumber } from '../src/shared/format';
import { afterMount, h } from './dom';
import { seriesChart } from './charts';

type Json = unknown;

function isNumberArray(value: Json): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'number');
}

function isRecordArray(value: Json): value is Record<string, Json>[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item));
}

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function humanize(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function scalarText(value: Json): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null) return 'n/a';
  if (isRecord(value) && 'value' in value && (typeof value.value === 'number' || value.value === null)) {
    return value.value === null ? `not defined${typeof value.reason === 'string' ? ` (${value.reason})` : ''}` : formatNumber(value.value as number);
  }
  return String(value);
}

function isScalar(value: Json): boolean {
  return value === null || ['number', 'string', 'boolean'].includes(typeof value)
    || (isRecord(value) && 'value' in value && Object.keys(value).every((k) => k === 'value' || k === 'reason'));
}

const MAX_TABLE_ROWS = 200;

function recordTable(rows: Record<string, Json>[], caption: string): HTMLElement {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row).filter((key) => isScalar(row[key]))))];
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'data-table' },
      h('caption', {}, caption + (rows.length > shown.length ? ` (first ${shown.length} of ${rows.length})` : '')),
      h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, humanize(column))))),
      h('tbody', {}, ...shown.map((row) => h('tr', {}, ...columns.map((column) => h('td', {}, scalarText(row[column] ?? null))))))));
}

let chartCounter = 0;

export function resetGenericCharts(): void {
  chartCounter = 0;
}

/** Raw parameter arrays (e.g. the flattest network found) are for export, not for charts. */
const PARAMETER_KEYS = new Set(['hiddenWeights', 'outputWeights', 'hiddenBias', 'outputBias']);

/** Renders one value under a heading; returns the element to insert. */
export function renderGeneric(prefix: string, key: string, value: Json, depth = 0): HTMLElement {
  const title = humanize(key);
  const container = h('section', { class: `generic depth-${Math.min(depth, 3)}`, 'data-section': `${prefix}.${key}` });
  const heading = h(depth === 0 ? 'h2' : depth === 1 ? 'h3' : 'h4', {}, title);
  container.appendChild(heading);
  if (isRecord(value) && Object.keys(value).some((k) => PARAMETER_KEYS.has(k))) {
    const sizes = Object.entries(value).filter(([k, v]) => PARAMETER_KEYS.has(k) && Array.isArray(v)).map(([k, v]) => `${k}: ${(v as unknown[]).length} values`);
    const rest = Object.fromEntries(Object.entries(value).filter(([k]) => !PARAMETER_KEYS.has(k)));
    container.appendChild(h('dl', { class: 'kv' }, ...Object.entries(rest).filter(([, v]) => isScalar(v)).flatMap(([k, v]) => [h('dt', {}, humanize(k)), h('dd', {}, scalarText(v))])));
    container.appendChild(h('p', { class: 'muted' }, `Parameters (${sizes.join(', ')}): in the JSON export.`));
    return container;
  }

  if (isScalar(value)) {
    container.appendChild(h('p', {}, scalarText(value)));
    return container;
  }
  if (isNumberArray(value)) {
    appendSeries(container, prefix, key, [{ label: title, values: value }]);
    return container;
  }
  if (isRecordArray(value)) {
    container.appendChild(recordTable(value, title));
    return container;
  }
  if (Array.isArray(value)) {
    container.appendChild(h('ul', {}, ...value.slice(0, 50).map((item) => h('li', {}, isScalar(item) ? scalarText(item) : JSON.stringify(item).slice(0, 200)))));
    return container;
  }
  if (isRecord(value)) {
    const scalars = Object.entries(value).filter(([, v]) => isScalar(v));
    if (scalars.length > 0) {
      container.appendChild(h('dl', { class: 'kv' }, ...scalars.flatMap(([k, v]) => [h('dt', {}, humanize(k)), h('dd', {}, scalarText(v))])));
    }
    // Sibling number arrays of equal length that look like x/y (grid/values) go in one chart.
    const arrays = Object.entries(value).filter(([, v]) => isNumberArray(v)) as [string, number[]][];
    const grid = arrays.find(([k]) => /^(grid|x|t|steps|alphas?|radii|epsilons?)$/i.test(k));
    const series = arrays.filter(([k]) => k !== grid?.[0]);
    if (series.length > 0) {
      const sameLength = grid && series.every(([, v]) => v.length === grid[1].length);
      const byLength = new Map<number, [string, number[]][]>();
      for (const entry of series) byLength.set(entry[1].length, [...(byLength.get(entry[1].length) ?? []), entry]);
      for (const group of byLength.values()) {
        appendSeries(container, prefix, `${key}-${group.map(([k]) => k).join('-')}`, group.map(([k, v]) => ({ label: humanize(k), values: v, ...(sameLength && grid ? { x: grid[1] } : {}) })));
      }
    }
    for (const [k, v] of Object.entries(value)) {
      if (isScalar(v) || isNumberArray(v)) continue;
      container.appendChild(renderGeneric(`${prefix}.${key}`, k, v, depth + 1));
    }
  }
  return container;
}

function appendSeries(container: HTMLElement, prefix: string, key: string, series: { label: string; values: number[]; x?: number[] }[]): void {
  const total = series.reduce((sum, entry) => sum + entry.values.length, 0);
  const first = series[0]!;
  if (total === 1) {
    container.appendChild(h('p', {}, `${first.label}: ${formatNumber(first.values[0]!)}`));
    return;
  }
  const name = `${prefix}-${key}-${chartCounter++}`.replace(/[^A-Za-z0-9_-]+/g, '-');
  const summary = series.map((entry) => `${entry.label}: ${entry.values.length} values from ${formatNumber(Math.min(...entry.values))} to ${formatNumber(Math.max(...entry.values))}`).join('; ');
  const canvas = h('canvas', { role: 'img', 'aria-label': summary });
  container.appendChild(h('div', { class: 'chart-box small' }, canvas));
  container.appendChild(h('p', { class: 'muted' }, summary));
  afterMount(() => seriesChart(name, canvas, series));
}
