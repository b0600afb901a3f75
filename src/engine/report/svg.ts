import { escapeHtml } from '../../shared/escape';
import { makeAxis } from './axis';
/** Minimal static SVG charts for the self-contained HTML report (no scripts, no network). */

export interface Series {
  label: string;
  points: Array<{ x: number; y: number }>;
  color: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  width?: number;
  height?: number;
  marker?: { x: number; label: string };
}


export function lineChart(series: Series[], options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 320;
  const margin = { left: 64, right: 16, top: 28, bottom: 44 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  if (xs.length === 0) return '';
  const xAxis = makeAxis(xs, margin.left, width - margin.right, { log: options.xLog === true, pad: 0 });
  const yAxis = makeAxis(ys, height - margin.bottom, margin.top, { log: options.yLog === true });
  const px = xAxis.map;
  const py = yAxis.map;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<text x="${margin.left}" y="18" class="chart-title">${escapeHtml(options.title)}</text>`);
  for (const t of xAxis.ticks) {
    parts.push(`<line x1="${px(t)}" x2="${px(t)}" y1="${margin.top}" y2="${height - margin.bottom}" class="grid"/><text x="${px(t)}" y="${height - margin.bottom + 16}" text-anchor="middle" class="tick">${xAxis.label(t)}</text>`);
  }
  for (const t of yAxis.ticks) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${py(t)}" y2="${py(t)}" class="grid"/><text x="${margin.left - 6}" y="${py(t) + 4}" text-anchor="end" class="tick">${yAxis.label(t)}</text>`);
  }
  parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">${escapeHtml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(options.yLabel)}</text>`);
  if (options.marker) {
    const x = px(options.marker.x);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${height - margin.bottom}" class="marker"/><text x="${x + 4}" y="${height - margin.bottom - 6}" class="tick">${escapeHtml(options.marker.label)}</text>`);
  }
  series.forEach((s, index) => {
    const path = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    const lx = width - margin.right - 200;
    const ly = margin.top + 14 + index * 16;
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${lx + 24}" y="${ly}" class="legend">${escapeHtml(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface Bar {
  label: string;
  value: number;
  highlight?: boolean;
  title?: string;
}

export function barChart(bars: Bar[], options: { title: string; yLabel: string; width?: number; height?: number }): string {
  const width = options.width ?? 640;
  const height = options.height ?? 260;
  const margin = { left: 64, right: 16, top: 28, bottom: 36 };
  const innerWidth = width - margin.left - margin.right;
  const barWidth = innerWidth / Math.max(bars.length, 1);
  const yAxis = makeAxis(bars.map((b) => Math.max(b.value, 0)), height - margin.bottom, margin.top, { include: 0 });
  const py = yAxis.map;
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(options.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<text x="${margin.left}" y="18" class="chart-title">${escapeHtml(options.title)}</text>`);
  for (const t of yAxis.ticks) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${py(t)}" y2="${py(t)}" class="grid"/><text x="${margin.left - 6}" y="${py(t) + 4}" text-anchor="end" class="tick">${yAxis.label(t)}</text>`);
  }
  bars.forEach((bar, i) => {
    const x = margin.left + i * barWidth;
    const y = py(Math.max(bar.value, 0));
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(barWidth - 1, 0.5).toFixed(1)}" height="${(height - margin.bottom - y).toFixed(1)}" class="${bar.highlight ? 'bar bar-highlight' : 'bar'}"><title>${escapeHtml(bar.title ?? `${bar.label}: ${bar.value}`)}</title></rect>`);
  });
  parts.push(`<text x="${(margin.left + width - margin.right) / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">neurons, sorted by contribution</text>`);
  parts.push(`<text transform="translate(14 ${(margin.top + height - margin.bottom) / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(options.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
