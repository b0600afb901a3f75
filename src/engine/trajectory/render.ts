/** The trajectory as text (terminal, with sparklines), CSV and a self-contained HTML page. */
import type { TrajectoryPoint, TrajectoryReport } from '../../shared/trajectory';
import { formatNumber } from '../../shared/format';
import { lineChart, type Series } from '../report/svg';
import { escapeHtml } from '../../shared/escape';

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * One character per value, low to high; `log` for quantities spanning decades. Missing or
 * unplottable values (null, <= 0 on a log scale) are a space.
 */
export function sparkline(values: ReadonlyArray<number | null | undefined>, log = false): string {
  const mapped = values.map((v) => (v === null || v === undefined || !Number.isFinite(v) || (log && v <= 0) ? null : log ? Math.log10(v) : v));
  const present = mapped.filter((v): v is number => v !== null);
  if (present.length === 0) return ' '.repeat(values.length);
  const low = Math.min(...present);
  const high = Math.max(...present);
  return mapped.map((v) => {
    if (v === null) return ' ';
    const level = high > low ? Math.round(((v - low) / (high - low)) * (BLOCKS.length - 1)) : 0;
    return BLOCKS[level]!;
  }).join('');
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

function stepLabel(point: TrajectoryPoint): string {
  if (point.step === null) return '-';
  return point.stepKind === 'epoch' ? `epoch ${point.step}` : String(point.step);
}

interface Column {
  header: string;
  value: (p: TrajectoryPoint) => number | null | undefined;
  log: boolean;
}

function columns(report: Pick<TrajectoryReport, 'points'>): Column[] {
  const list: Column[] = [
    { header: 'train loss', value: (p) => p.trainingLoss, log: true },
    { header: 'raw trace', value: (p) => p.rawTrace, log: true },
    { header: 'F_sym', value: (p) => p.normalizedFlatness, log: true },
    { header: 'F_LB', value: (p) => p.lowerBound, log: true },
    { header: 'ratio R', value: (p) => p.ratio, log: true },
    { header: 'path norm', value: (p) => p.pathNorm, log: true },
  ];
  const points = report.points;
  if (points.some((p) => p.topEigenvalue !== undefined)) list.push({ header: 'top eig', value: (p) => p.topEigenvalue, log: true });
  if (points.some((p) => p.testLoss !== undefined)) list.push({ header: 'test loss', value: (p) => p.testLoss, log: true });
  if (points.some((p) => p.predictedTestLoss !== undefined)) list.push({ header: 'pred. test', value: (p) => p.predictedTestLoss, log: true });
  return list;
}

function trend(values: ReadonlyArray<number | null | undefined>): string {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length < 2) return '';
  const first = present[0]!;
  const last = present[present.length - 1]!;
  return `${formatNumber(first, 3)} -> ${formatNumber(last, 3)}`;
}

export interface TrajectoryTextOptions {
  color?: boolean;
}

/** Terminal summary: the run, a sparkline per figure, the table, the latest verdict. */
export function trajectoryText(report: TrajectoryReport, options: TrajectoryTextOptions = {}): string {
  const bold = (text: string) => (options.color ? `\u001b[1m${text}\u001b[0m` : text);
  const points = report.points;
  const lines: string[] = [];
  lines.push(bold(`Flatness over training: ${points.length} checkpoint${points.length === 1 ? '' : 's'} on ${baseName(report.data.path)} (n = ${report.data.n}, d = ${report.data.d})`));
  lines.push(`order: ${report.order.replace('-', ' ')}; loss ${report.loss.convention}; backend ${report.backend}`);
  lines.push('');
  const cols = columns(report);
  const nameWidth = Math.max(...cols.map((c) => c.header.length));
  for (const column of cols) {
    const values = points.map(column.value);
    lines.push(`  ${column.header.padEnd(nameWidth)}  ${sparkline(values, column.log)}  ${trend(values)}`);
  }
  lines.push('');
  const headers = ['step', 'checkpoint', ...cols.map((c) => c.header), 'interp.'];
  const rows = points.map((p) => [stepLabel(p), baseName(p.path), ...cols.map((c) => formatNumber(c.value(p) ?? null, 4)), p.interpolates ? 'yes' : 'no']);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i <= 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  lines.push(`  ${format(headers)}`);
  for (const row of rows) lines.push(`  ${format(row)}`);
  const latest = points[points.length - 1];
  if (latest) {
    lines.push('');
    lines.push(bold(`Latest (${baseName(latest.path)}): ${latest.verdict.headline}`));
  }
  for (const failure of report.failures) lines.push(`skipped ${failure.path}: ${failure.message}`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

const CSV_HEADER = [
  'path', 'step', 'step_kind', 'step_source', 'modified_at', 'training_loss', 'interpolates', 'raw_trace',
  'normalized_flatness', 'lower_bound', 'ratio', 'path_norm', 'top_eigenvalue', 'test_loss', 'predicted_test_loss', 'verdict',
];

function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per checkpoint, full precision, empty cells where a figure is undefined or not asked for. */
export function trajectoryCsv(report: Pick<TrajectoryReport, 'points'>): string {
  const lines = [CSV_HEADER.join(',')];
  for (const p of report.points) {
    lines.push([
      p.path, p.step, p.stepKind, p.stepSource, p.modifiedAt, p.trainingLoss, p.interpolates, p.rawTrace,
      p.normalizedFlatness, p.lowerBound, p.ratio, p.pathNorm, p.topEigenvalue, p.testLoss, p.predictedTestLoss, p.verdict.level,
    ].map(csvCell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

const STYLE = `
:root { --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --border: #d0d7de; --card: #f6f8fa; --accent: #0969da; --good: #1a7f37; --mid: #9a6700; --bad: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --border: #30363d; --card: #161b22; --accent: #4493f8; --good: #3fb950; --mid: #d29922; --bad: #f85149; } }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px; max-width: 1100px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 12px; } th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid var(--border); }
th { background: var(--card); } td:first-child, th:first-child, td:nth-child(2), th:nth-child(2) { text-align: left; }
.chart { width: 100%; max-width: 760px; height: auto; display: block; margin: 8px 0; }
.chart .grid { stroke: var(--border); stroke-width: 1; } .chart .tick, .chart .legend { fill: var(--muted); font-size: 11px; }
.chart .axis-label { fill: var(--muted); font-size: 12px; } .chart .chart-title { fill: var(--fg); font-size: 13px; font-weight: 600; }
.verdict { border-left: 6px solid var(--accent); background: var(--card); padding: 10px 14px; border-radius: 6px; }
`;

function seriesOf(label: string, color: string, points: readonly TrajectoryPoint[], value: (p: TrajectoryPoint) => number | null | undefined, x: (p: TrajectoryPoint, i: number) => number, dashed = false): Series | null {
  const data = points.flatMap((p, i) => {
    const y = value(p);
    return typeof y === 'number' && Number.isFinite(y) && y > 0 ? [{ x: x(p, i), y }] : [];
  });
  return data.length ? { label, color, points: data, ...(dashed ? { dashed } : {}) } : null;
}

/** What the page says about where the points come from (the CLI's run, or a watched folder). */
export interface TrajectoryPageHeader {
  title: string;
  description: string;
}

export function trajectoryPageHeader(report: TrajectoryReport): TrajectoryPageHeader {
  return {
    title: baseName(report.data.path),
    description: `${report.points.length} checkpoints on ${report.data.path} (n = ${report.data.n}, d = ${report.data.d}); loss ${report.loss.convention}; ordered by ${report.order.replace('-', ' ')}; backend ${report.backend}; flatness-lens ${report.tool.version}.`,
  };
}

/** Self-contained HTML (inline CSS and SVG, no scripts): the curves and the table. */
export function trajectoryHtml(report: Pick<TrajectoryReport, 'points' | 'failures' | 'notes'>, header: TrajectoryPageHeader): string {
  const points = report.points;
  const haveSteps = points.length > 0 && points.every((p) => p.step !== null);
  const x = (p: TrajectoryPoint, i: number) => (haveSteps ? p.step! : i + 1);
  const xLabel = haveSteps ? (points.every((p) => p.stepKind === 'epoch') ? 'epoch' : 'step') : 'checkpoint (in order)';
  const keep = (list: Array<Series | null>) => list.filter((s): s is Series => s !== null);
  const flatness = keep([
    seriesOf('raw trace tr H', 'var(--accent)', points, (p) => p.rawTrace, x),
    seriesOf('normalized flatness F_sym', 'var(--good)', points, (p) => p.normalizedFlatness, x),
    seriesOf('certified bound F_LB', 'var(--muted)', points, (p) => p.lowerBound, x, true),
  ]);
  const ratio = keep([seriesOf('ratio R = F_sym / F_LB', 'var(--mid)', points, (p) => p.ratio, x)]);
  const losses = keep([
    seriesOf('training loss', 'var(--accent)', points, (p) => p.trainingLoss, x),
    seriesOf('test loss', 'var(--bad)', points, (p) => p.testLoss, x),
    seriesOf('predicted test loss', 'var(--mid)', points, (p) => p.predictedTestLoss, x, true),
  ]);
  const chart = (series: Series[], title: string, yLabel: string) =>
    (series.length ? lineChart(series, { title, xLabel, yLabel, yLog: true, width: 760, height: 320 }) : '');
  const cols = columns(report);
  const headerRow = `<tr><th>step</th><th>checkpoint</th>${cols.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('')}<th>verdict</th></tr>`;
  const rows = points.map((p) => `<tr><td>${escapeHtml(stepLabel(p))}</td><td>${escapeHtml(baseName(p.path))}</td>${cols.map((c) => `<td>${escapeHtml(formatNumber(c.value(p) ?? null, 4))}</td>`).join('')}<td>${escapeHtml(p.verdict.headline)}</td></tr>`).join('\n');
  const latest = points[points.length - 1];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Flatness over training: ${escapeHtml(header.title)}</title>
<style>${STYLE}</style></head><body>
<h1>Flatness over training</h1>
<p class="muted">${escapeHtml(header.description)}</p>
${latest ? `<div class="verdict"><strong>Latest checkpoint (${escapeHtml(baseName(latest.path))}):</strong> ${escapeHtml(latest.verdict.headline)}</div>` : ''}
<h2>Raw trace and symmetry-normalized flatness</h2>
<p class="muted">The raw Hessian trace moves with the optimizer's rescaling of the neurons; F_sym does not. The bound F_LB depends on the data alone.</p>
${chart(flatness, 'Flatness (log scale)', 'flatness')}
<h2>Flatness ratio</h2>
<p class="muted">R = 1 is the flattest any interpolator of this data can be.</p>
${chart(ratio, 'Ratio R (log scale)', 'R')}
<h2>Losses</h2>
${chart(losses, 'Losses (log scale)', 'loss')}
<h2>Checkpoints</h2>
<table>${headerRow}
${rows}</table>
${report.failures.length ? `<h2>Skipped</h2><ul>${report.failures.map((f) => `<li>${escapeHtml(f.path)}: ${escapeHtml(f.message)}</li>`).join('')}</ul>` : ''}
${report.notes.length ? `<h2>Notes</h2><ul>${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
