import type { ComparisonReport, ComparisonRow } from '../../shared/report';
import { formatNumber } from './format';
import { scatterSvg, type ScatterPoint } from './svgChart';
import { escapeHtml } from '../../shared/escape';

const MEASURE_LABELS: Record<string, string> = {
  trace: 'raw trace',
  normalized: 'normalized flatness',
  ratio: 'ratio R',
  pathNorm: 'path norm',
  topEigenvalue: 'top eigenvalue',
  predictedTestLoss: 'predicted test loss',
};

function shortPath(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

function intervalText(row: ComparisonRow): string {
  return row.interval ? `[${formatNumber(row.interval[0], 3)}, ${formatNumber(row.interval[1], 3)}]` : 'n/a';
}

interface Column {
  title: string;
  cell(row: ComparisonRow): string;
}

function columns(c: ComparisonReport): Column[] {
  const list: Column[] = [
    { title: '#', cell: (r) => String(r.rank) },
    { title: 'model', cell: (r) => shortPath(r.path) },
    { title: 'width', cell: (r) => String(r.hiddenDim) },
    { title: 'interp.', cell: (r) => (r.interpolates ? 'yes' : 'NO') },
    { title: 'predicted', cell: (r) => formatNumber(r.predictedTestLoss, 3) },
    { title: '80% interval', cell: intervalText },
  ];
  if (c.test) list.push({ title: 'test loss', cell: (r) => formatNumber(r.testLoss, 3) });
  list.push(
    { title: 'verdict', cell: (r) => r.verdict.level },
    { title: 'ratio R', cell: (r) => formatNumber(r.ratio, 3) },
    { title: 'F_sym', cell: (r) => formatNumber(r.normalized, 4) },
    { title: 'raw trace', cell: (r) => formatNumber(r.trace, 4) },
    { title: 'path norm', cell: (r) => formatNumber(r.pathNorm, 4) },
    { title: 'top eig.', cell: (r) => formatNumber(r.topEigenvalue, 4) },
  );
  return list;
}

/** Plain-text comparison table for the terminal, ranked by predicted test loss. */
export function comparisonText(c: ComparisonReport): string {
  const cols = columns(c);
  const cells = c.models.map((row) => cols.map((col) => col.cell(row)));
  const widths = cols.map((col, k) => Math.max(col.title.length, ...cells.map((r) => r[k]!.length)));
  const line = (values: string[]) => '  ' + values.map((v, k) => (k === 1 ? v.padEnd(widths[k]!) : v.padStart(widths[k]!))).join('  ');
  const lines: string[] = [];
  lines.push(`Flatness Lens ${c.tool.version}: comparison of ${c.models.length} model(s) on ${c.data.path} (n = ${c.data.n}, d = ${c.data.d})`);
  lines.push(`  loss: ${c.loss.convention}; F_LB = ${formatNumber(c.lowerBound)}; flattest interpolator found F_found = ${formatNumber(c.flattestNormalized)}`);
  if (c.calibration) lines.push(`  shared calibration: ${c.calibration.points.length} reference interpolators, ratios ${formatNumber(c.calibration.ratioRange[0], 3)} to ${formatNumber(c.calibration.ratioRange[1], 3)}`);
  lines.push('');
  lines.push(line(cols.map((col) => col.title)));
  for (const row of cells) lines.push(line(row));
  if (c.kendallTau) {
    lines.push('', `  Kendall tau against the measured test loss on ${c.test?.path ?? 'the test data'}:`);
    for (const [measure, tau] of Object.entries(c.kendallTau)) lines.push(`    ${(MEASURE_LABELS[measure] ?? measure).padEnd(22)} ${tau === null ? 'n/a' : tau.toFixed(3)}`);
  }
  for (const note of c.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

const STYLE = `body { font: 14px/1.5 system-ui, sans-serif; margin: 24px; max-width: 1100px; color: #1f2328; }
table { border-collapse: collapse; font-size: 12px; } th, td { padding: 3px 8px; border-bottom: 1px solid #d1d9e0; text-align: right; }
td:nth-child(2), th:nth-child(2) { text-align: left; } th { background: #f6f8fa; }
.flat { color: #1a7f37; } .in-between { color: #9a6700; } .sharp { color: #cf222e; } .muted { color: #59636e; }`;

/** Self-contained HTML page (inline SVG, no scripts) for a comparison. */
export function comparisonHtml(c: ComparisonReport): string {
  const cols = columns(c);
  const header = `<tr>${cols.map((col) => `<th>${escapeHtml(col.title)}</th>`).join('')}</tr>`;
  const body = c.models.map((row) => `<tr>${cols.map((col) => {
    const text = escapeHtml(col.cell(row));
    return col.title === 'verdict' ? `<td class="${row.verdict.level}" title="${escapeHtml(row.verdict.explanation)}">${text}</td>` : `<td>${text}</td>`;
  }).join('')}</tr>`).join('\n');
  const positives = [
    ...c.models.flatMap((r) => [r.predictedTestLoss, r.testLoss]),
    ...(c.calibration?.points ?? []).map((p) => p.heldOutLoss),
  ].filter((v): v is number => v !== null && v > 0);
  // Zero losses and interval ends are drawn a decade below the smallest positive loss.
  const floor = positives.length ? Math.min(...positives) / 10 : 1e-8;
  const at = (value: number) => Math.max(value, floor);
  const points: ScatterPoint[] = (c.calibration?.points ?? []).map((p) => ({
    x: p.ratio, y: at(p.heldOutLoss), series: 'reference interpolators', label: `${p.kind} ${p.setting}: held-out ${p.heldOutLoss.toPrecision(3)}`,
  }));
  for (const r of c.models) {
    if (r.ratio === null || r.predictedTestLoss === null) continue;
    points.push({
      x: r.ratio, y: at(r.predictedTestLoss), low: r.interval ? at(r.interval[0]) : undefined, high: r.interval ? at(r.interval[1]) : undefined,
      series: 'models (predicted)', highlight: true, label: `${shortPath(r.path)}: predicted ${formatNumber(r.predictedTestLoss, 3)}`,
    });
  }
  for (const r of c.models) {
    if (r.ratio !== null && r.testLoss !== null) points.push({ x: r.ratio, y: at(r.testLoss), series: 'models (measured test loss)', label: `${shortPath(r.path)}: measured ${formatNumber(r.testLoss, 3)}` });
  }
  const chart = points.length ? scatterSvg(points, {
    title: 'Predicted test loss against the flatness ratio', xLabel: 'ratio R = F_sym / F_LB', yLabel: 'loss', logX: true, logY: true,
    line: c.calibration?.curve.map((q) => ({ x: q.ratio, y: at(q.loss) })),
  }) : '';
  const taus = c.kendallTau
    ? `<h2>Kendall tau against the measured test loss</h2><table><tr><th>measure</th><th>tau</th></tr>${Object.entries(c.kendallTau).map(([m, t]) => `<tr><td>${escapeHtml(MEASURE_LABELS[m] ?? m)}</td><td>${t === null ? 'n/a' : t.toFixed(3)}</td></tr>`).join('')}</table>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Flatness Lens comparison</title><style>${STYLE}</style></head>
<body>
<h1>Model comparison</h1>
<p class="muted">${c.models.length} model(s) on <code>${escapeHtml(c.data.path)}</code> (n = ${c.data.n}, d = ${c.data.d})${c.test ? `, test data <code>${escapeHtml(c.test.path)}</code> (n = ${c.test.n})` : ''}. Loss: ${escapeHtml(c.loss.convention)}. F_LB = ${formatNumber(c.lowerBound)}, flattest found F_found = ${formatNumber(c.flattestNormalized)}. Ranked by predicted test loss, best first.</p>
<table>${header}
${body}</table>
${taus}
<div>${chart}</div>
${c.notes.length ? `<ul class="muted">${c.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
