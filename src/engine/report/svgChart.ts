import { escapeHtml } from '../../shared/escape';
import { formatTick, makeAxis } from './axis';
/**
 * Minimal self-contained SVG charts (no scripts, no external fonts) for HTML reports and the
 * validation study: a scatter plot with optional error bars and a reference line, and grouped bars.
 */

export interface ScatterPoint {
  x: number;
  y: number;
  /** Vertical interval drawn as an error bar. */
  low?: number;
  high?: number;
  series: string;
  /** Tooltip text. */
  label?: string;
  /** Drawn larger and outlined (e.g. the user's model). */
  highlight?: boolean;
}

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  width?: number;
  height?: number;
  /** Polyline drawn under the points (e.g. the calibration curve). */
  line?: { x: number; y: number }[];
  /** Draw y = x. */
  diagonal?: boolean;
}

export const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];


export function scatterSvg(points: readonly ScatterPoint[], options: ScatterOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const left = 70;
  const right = 210;
  const top = 36;
  const bottom = 50;
  const xs = points.map((p) => p.x).concat((options.line ?? []).map((p) => p.x));
  const ys = points.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]).concat((options.line ?? []).map((p) => p.y));
  const xAxis = makeAxis(xs, left, width - right, { log: options.logX === true });
  const yAxis = makeAxis(ys, height - bottom, top, { log: options.logY === true });
  const series = [...new Set(points.map((p) => p.series))];
  const color = (name: string) => SERIES_COLORS[series.indexOf(name) % SERIES_COLORS.length]!;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2 - right / 2 + left / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(options.title)}</text>`);
  for (const tick of xAxis.ticks) {
    const x = xAxis.map(tick);
    parts.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${height - bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${height - bottom + 15}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of yAxis.ticks) {
    const y = yAxis.map(tick);
    parts.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${width - left - right}" height="${height - top - bottom}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 12}" text-anchor="middle">${escapeHtml(options.xLabel)}${options.logX ? ' (log)' : ''}</text>`);
  parts.push(`<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}${options.logY ? ' (log)' : ''}</text>`);
  if (options.diagonal) {
    const lowValue = Math.max(Math.min(...xs), Math.min(...ys));
    const highValue = Math.min(Math.max(...xs), Math.max(...ys));
    if (highValue > lowValue) {
      parts.push(`<line x1="${xAxis.map(lowValue).toFixed(1)}" y1="${yAxis.map(lowValue).toFixed(1)}" x2="${xAxis.map(highValue).toFixed(1)}" y2="${yAxis.map(highValue).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`);
    }
  }
  if (options.line && options.line.length > 1) {
    const path = options.line.map((p) => `${xAxis.map(p.x).toFixed(1)},${yAxis.map(p.y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="#555" stroke-width="1.5"/>`);
  }
  for (const point of points) {
    if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) continue;
    const x = xAxis.map(point.x);
    const y = yAxis.map(point.y);
    if (point.low !== undefined && point.high !== undefined) {
      parts.push(`<line x1="${x.toFixed(1)}" y1="${yAxis.map(point.low).toFixed(1)}" x2="${x.toFixed(1)}" y2="${yAxis.map(point.high).toFixed(1)}" stroke="${color(point.series)}" stroke-opacity="0.5"/>`);
    }
    const radius = point.highlight ? 6 : 3.5;
    const stroke = point.highlight ? ' stroke="black" stroke-width="2"' : '';
    parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${radius}" fill="${color(point.series)}" fill-opacity="0.8"${stroke}>${point.label ? `<title>${escapeHtml(point.label)}</title>` : ''}</circle>`);
  }
  series.forEach((name, s) => {
    const y = top + 10 + s * 16;
    parts.push(`<circle cx="${width - right + 14}" cy="${y}" r="4" fill="${color(name)}"/>`);
    parts.push(`<text x="${width - right + 24}" y="${y + 4}">${escapeHtml(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface BarGroup {
  label: string;
  /** One value per series, null for missing. */
  values: (number | null)[];
}

export function barSvg(groups: readonly BarGroup[], series: readonly string[], options: { title: string; yLabel: string; min?: number; max?: number; reference?: number; width?: number; height?: number }): string {
  const width = options.width ?? Math.max(640, 90 + groups.length * (series.length * 12 + 20) + 160);
  const height = options.height ?? 380;
  const left = 60;
  const right = 170;
  const top = 36;
  const bottom = 80;
  const min = options.min ?? -1;
  const max = options.max ?? 1;
  const mapY = (v: number) => top + ((max - Math.max(min, Math.min(max, v))) / (max - min)) * (height - top - bottom);
  const groupWidth = (width - left - right) / Math.max(1, groups.length);
  const barWidth = Math.max(2, (groupWidth - 10) / Math.max(1, series.length));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${escapeHtml(options.title)}</text>`);
  for (let t = 0; t <= 4; t++) {
    const value = min + ((max - min) * t) / 4;
    const y = mapY(value);
    parts.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="${value === 0 ? '#444' : '#eee'}"/>`);
    parts.push(`<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${formatTick(value)}</text>`);
  }
  if (options.reference !== undefined) {
    const y = mapY(options.reference);
    parts.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - right}" y2="${y.toFixed(1)}" stroke="#d62728" stroke-dasharray="5 3"/>`);
  }
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + 5;
    group.values.forEach((value, s) => {
      if (value === null || !Number.isFinite(value)) return;
      const y = mapY(value);
      const zero = mapY(Math.max(min, 0));
      parts.push(`<rect x="${(x0 + s * barWidth).toFixed(1)}" y="${Math.min(y, zero).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${Math.abs(zero - y).toFixed(1)}" fill="${SERIES_COLORS[s % SERIES_COLORS.length]}"><title>${escapeHtml(`${group.label} ${series[s]}: ${value.toFixed(3)}`)}</title></rect>`);
    });
    const labelX = x0 + (series.length * barWidth) / 2;
    parts.push(`<text transform="translate(${labelX.toFixed(1)} ${height - bottom + 12}) rotate(30)" text-anchor="start">${escapeHtml(group.label)}</text>`);
  });
  parts.push(`<text transform="translate(16 ${(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`);
  series.forEach((name, s) => {
    const y = top + 10 + s * 16;
    parts.push(`<rect x="${width - right + 10}" y="${y - 6}" width="10" height="10" fill="${SERIES_COLORS[s % SERIES_COLORS.length]}"/>`);
    parts.push(`<text x="${width - right + 26}" y="${y + 3}">${escapeHtml(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
