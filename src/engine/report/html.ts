import type { Report } from '../../shared/report';
import { backendLabel, kernelsLabel } from '../../shared/backendLabel';
import { architectureLabel, biasLabel, formatMaybe, formatMs, formatNumber, isRarelyActive, neuronStatusText, rarelyActiveThreshold } from './format';
import { barChart, lineChart } from './svg';
import { escapeHtml } from '../../shared/escape';
import { curvatureHtml } from './curvatureText';
import { predictionHtml } from './predictionText';

export type HtmlExtension = (report: Report) => string;

/** The optional sections' HTML fragments, in report order. */
const SECTION_HTML: readonly HtmlExtension[] = [curvatureHtml, predictionHtml];

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --card: #f6f8fa; --border: #d1d9e0;
  --accent: #0969da; --good: #1a7f37; --mid: #9a6700; --bad: #cf222e; --info: #0550ae; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #151b23; --border: #3d444d;
  --accent: #4493f8; --good: #3fb950; --mid: #d29922; --bad: #f85149; --info: #58a6ff; } }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 24px; max-width: 1100px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
.muted { color: var(--muted); } code { font-family: ui-monospace, monospace; font-size: 12px; }
.verdict { border-left: 6px solid var(--info); background: var(--card); padding: 12px 16px; margin: 16px 0; border-radius: 6px; }
.verdict.flat { border-color: var(--good); } .verdict.in-between { border-color: var(--mid); } .verdict.sharp { border-color: var(--bad); }
.verdict h2 { border: 0; margin: 0 0 4px; padding: 0; font-size: 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 6px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: 12px; } .card .value { font-size: 22px; font-weight: 600; } .card .note { color: var(--muted); font-size: 11px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; } th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid var(--border); }
th { position: sticky; top: 0; background: var(--card); } td:first-child, th:first-child { text-align: left; }
tr.rare td { color: var(--mid); } tr.dead td { color: var(--muted); }
.scroll { max-height: 420px; overflow: auto; border: 1px solid var(--border); border-radius: 6px; }
.chart { width: 100%; max-width: 720px; height: auto; display: block; margin: 8px 0; }
.chart .grid { stroke: var(--border); stroke-width: 1; } .chart .tick, .chart .legend { fill: var(--muted); font-size: 11px; }
.chart .axis-label { fill: var(--muted); font-size: 12px; } .chart .chart-title { fill: var(--fg); font-size: 13px; font-weight: 600; }
.chart .marker { stroke: var(--muted); stroke-dasharray: 2 3; } .chart .bar { fill: var(--accent); } .chart .bar-highlight { fill: var(--mid); }
ul.warnings li { color: var(--mid); } dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; } dt { color: var(--muted); }
`;

function card(label: string, value: string, note: string): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div><div class="value">${escapeHtml(value)}</div><div class="note">${escapeHtml(note)}</div></div>`;
}

function orbitChart(report: Report): string {
  const { flatness } = report;
  if (flatness.orbit.length === 0) return `<p class="muted">No rescaling orbit: ${escapeHtml(flatness.normalized.reason ?? 'activation not homogeneous')}.</p>`;
  const series = [{ label: 'raw trace tr H (t)', color: 'var(--accent)', points: flatness.orbit.map((p) => ({ x: p.t, y: p.trace })) }];
  if (flatness.normalized.value !== null) {
    const value = flatness.normalized.value;
    series.push({ label: 'normalized flatness F_sym', color: 'var(--good)', points: flatness.orbit.map((p) => ({ x: p.t, y: value })) });
  }
  if (flatness.lowerBound.value !== null) {
    const value = flatness.lowerBound.value;
    series.push({ label: 'certified lower bound F_LB', color: 'var(--bad)', points: flatness.orbit.map((p) => ({ x: p.t, y: value })) });
  }
  return lineChart(series.map((s, i) => ({ ...s, dashed: i > 0 })), {
    title: 'Raw trace along the rescaling orbit (same function at every t)',
    xLabel: 'common rescaling t of every neuron', yLabel: 'trace', xLog: true, yLog: true, marker: { x: 1, label: 'the model' },
  });
}

function neuronChart(report: Report): string {
  const rare = rarelyActiveThreshold(report);
  const bars = report.flatness.perNeuron
    .map((row) => ({ row, value: row.normalized ?? row.a + row.b + row.c }))
    .sort((x, y) => y.value - x.value)
    .map(({ row, value }) => ({ label: `neuron ${row.index}`, value, highlight: isRarelyActive(row, report.data.n), title: `neuron ${row.index}: ${formatNumber(value)}, active on ${row.activeSamples} samples` }));
  return barChart(bars, {
    title: `Per-neuron ${report.flatness.normalized.value !== null ? 'normalized' : 'trace'} contribution (amber: active on < ${rare} samples)`,
    yLabel: 'contribution',
  });
}

function neuronTable(report: Report): string {
  const rows = report.flatness.perNeuron.map((row) => {
    const cls = row.status === 'dead' ? 'dead' : isRarelyActive(row, report.data.n) ? 'rare' : '';
    return `<tr class="${cls}"><td>${row.index}</td><td>${formatNumber(row.a)}</td><td>${formatNumber(row.b)}</td><td>${formatNumber(row.c)}</td><td>${formatNumber(row.normalized)}</td><td>${formatNumber(row.optimalScale, 3)}</td><td>${row.activeSamples}</td><td>${formatNumber(row.pathNorm)}</td><td>${neuronStatusText(row, report.data.n)}</td></tr>`;
  });
  return `<div class="scroll"><table><thead><tr><th>neuron</th><th>A_j</th><th>B_j</th><th>C_j</th><th>normalized</th><th>t*_j</th><th>active samples</th><th>path norm</th><th>status</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

/** A self-contained HTML page for a report: inline CSS and SVG, no scripts, no network. */
export function renderHtml(report: Report): string {
  const { flatness } = report;
  const title = `Flatness Lens: ${report.model.path}`;
  const cards = [
    card('Exact Hessian trace', formatNumber(flatness.trace), 'raw: moved by rescaling'),
    card('Normalized flatness F_sym', formatMaybe(flatness.normalized), 'invariant under rescaling'),
    card('Certified lower bound F_LB', formatMaybe(flatness.lowerBound), 'flattest any interpolator can be'),
    card('Flatness ratio R', formatMaybe(flatness.ratio, 3), 'F_sym / F_LB, 1 = flattest'),
    card('Training loss', formatNumber(report.loss.value), report.loss.kind),
    card('Interpolation', report.interpolation.interpolates ? 'yes' : 'no', report.interpolation.criterion),
    ...(report.test ? [card('Measured test loss', formatNumber(report.test.loss), `${report.test.n} samples of ${report.test.path}`)] : []),
    card('Invariant sum θ²H', formatMaybe(flatness.invariantDiagonal), 'cross-check'),
    card('Path norm', formatMaybe(flatness.pathNorm), 'Σ ||a_j|| ||(w_j,b_j)||^k'),
  ].join('');
  const extensions = SECTION_HTML.map((extension) => extension(report)).join('');
  const timings = Object.entries(report.timings).map(([k, v]) => `<dt>${escapeHtml(k.replace(/Ms$/, ''))}</dt><dd>${formatMs(v)}</dd>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>Flatness Lens report</h1>
<div class="muted"><code>${escapeHtml(report.model.path)}</code> · ${escapeHtml(architectureLabel(report))} · ${escapeHtml(biasLabel(report))} · data <code>${escapeHtml(report.data.path)}</code> (n = ${report.data.n})</div>
<section class="verdict ${report.verdict.level}"><h2>${escapeHtml(report.verdict.headline)}</h2><p>${escapeHtml(report.verdict.explanation)}</p></section>
<div class="cards">${cards}</div>
${report.warnings.length ? `<h2>Warnings</h2><ul class="warnings">${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
<h2>The symmetry made visible</h2>
<p class="muted">Rescaling each neuron's input weights by t and its output weight by t<sup>-k</sup> leaves the network's function unchanged, yet the raw trace moves along this curve. The normalized flatness is its minimum, the number that cannot be fooled.</p>
${orbitChart(report)}
<h2>Neurons</h2>
${neuronChart(report)}
${neuronTable(report)}
${extensions}
<h2>Details</h2>
<dl>
<dt>model</dt><dd><code>${escapeHtml(report.model.path)}</code> (${escapeHtml(report.model.format)}; tensors ${escapeHtml(report.model.tensorNames.join(', '))}; activation ${escapeHtml(report.model.activation)} ${escapeHtml(report.model.activationSource === 'file' ? 'read from the file' : report.model.activationSource === 'option' ? 'given as an option' : 'assumed')})</dd>
<dt>data</dt><dd><code>${escapeHtml(report.data.path)}</code> (${escapeHtml(report.data.format)}; ${escapeHtml(report.data.inputName)} / ${escapeHtml(report.data.targetName)}; n = ${report.data.n}, d = ${report.data.d})</dd>
<dt>loss</dt><dd>${escapeHtml(report.loss.convention)}, applied to ${escapeHtml(report.loss.appliedTo)}</dd>
<dt>trace parts</dt><dd>A ${formatNumber(flatness.parts.a)} · B ${formatNumber(flatness.parts.b)} · C ${formatNumber(flatness.parts.c)} · c0 ${formatNumber(flatness.parts.outputBias)}</dd>
<dt>backend</dt><dd>${escapeHtml(backendLabel(report.backend))} (${escapeHtml(kernelsLabel(report.backend) ?? `tfjs ${report.backend.tfjsVersion}`)}, ${report.backend.chunkRows} rows per chunk)${report.backend.fallbacks.length ? ` · skipped: ${escapeHtml(report.backend.fallbacks.join('; '))}` : ''}</dd>
${timings}
<dt>report</dt><dd>schema ${escapeHtml(report.schemaVersion)} · flatness-lens ${escapeHtml(report.tool.version)} · ${escapeHtml(report.createdAt)}</dd>
</dl>
</body></html>
`;
}
