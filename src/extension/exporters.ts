/**
 * Text renderings of a report for Export Report: Markdown, CSV of the per-neuron rows and a
 * self-contained static HTML page (no scripts; charts embedded as PNG images when available).
 */
import type { Report } from '../shared/report';
import { formatMaybe, formatNumber } from '../shared/format';

export { formatMaybe, formatNumber };
import type { ChartImage } from '../shared/protocol';

/** The headline metrics every rendering shows, in order. */
export function metricRows(report: Report): [string, string][] {
  const f = report.flatness;
  return [
    ['Hessian trace (raw flatness)', formatNumber(f.trace)],
    ['Normalized flatness F_sym', formatMaybe(f.normalized)],
    ['Certified lower bound F_LB', formatMaybe(f.lowerBound)],
    ['Flatness ratio R', formatMaybe(f.ratio)],
    [`Training loss (${report.loss.kind})`, formatNumber(report.loss.value)],
    ['Interpolates', `${report.interpolation.interpolates ? 'yes' : 'no'}: ${report.interpolation.criterion}`],
  ];
}

function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const NEURON_CSV_HEADER = ['neuron', 'a_block', 'b_block', 'c_block', 'normalized', 'optimal_scale', 'active_samples', 'path_norm', 'status'];

export function neuronsCsv(report: Report): string {
  const lines = [NEURON_CSV_HEADER.join(',')];
  for (const row of report.flatness.perNeuron) {
    lines.push([row.index, row.a, row.b, row.c, row.normalized, row.optimalScale, row.activeSamples, row.pathNorm, row.status].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function reportMarkdown(report: Report): string {
  const out: string[] = [];
  out.push(`# Flatness Lens report: ${report.model.path}`, '');
  out.push(`**${report.verdict.headline}**`, '', report.verdict.explanation, '');
  out.push('| Metric | Value |', '| --- | --- |');
  for (const [name, value] of metricRows(report)) out.push(`| ${markdownCell(name)} | ${markdownCell(value)} |`);
  out.push('');
  out.push(`- Model: ${report.model.format}, d = ${report.model.inputDim}, m = ${report.model.hiddenDim}, c = ${report.model.outputDim}, activation ${report.model.activation} (${report.model.activationSource})`);
  out.push(`- Training data: ${report.data.path} (${report.data.format}, n = ${report.data.n})`);
  out.push(`- Loss: ${report.loss.convention}, applied to ${report.loss.appliedTo}`);
  out.push(`- Backend: ${report.backend.name} (requested ${report.backend.requested}), total ${formatNumber(report.timings.totalMs, 3)} ms`);
  if (report.test) out.push(`- Test data: ${report.test.path} (n = ${report.test.n}), loss ${formatNumber(report.test.loss)}`);
  out.push('');
  if (report.warnings.length > 0) {
    out.push('## Warnings', '', ...report.warnings.map((warning) => `- ${warning}`), '');
  }
  out.push('## Per-neuron contributions', '');
  out.push('| Neuron | A | B | C | Normalized | t* | Active samples | Status |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const row of report.flatness.perNeuron) {
    out.push(`| ${row.index} | ${formatNumber(row.a)} | ${formatNumber(row.b)} | ${formatNumber(row.c)} | ${formatNumber(row.normalized)} | ${formatNumber(row.optimalScale)} | ${row.activeSamples} | ${row.status} |`);
  }
  out.push('');
  return out.join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** A static page: readable without VS Code, no scripts, the charts as images when given. */
export function reportHtml(report: Report, charts: ChartImage[] = []): string {
  const metrics = metricRows(report).map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n');
  const neurons = report.flatness.perNeuron.map((row) => `<tr><td>${row.index}</td><td>${formatNumber(row.a)}</td><td>${formatNumber(row.b)}</td><td>${formatNumber(row.c)}</td><td>${formatNumber(row.normalized)}</td><td>${formatNumber(row.optimalScale)}</td><td>${row.activeSamples}</td><td>${escapeHtml(row.status)}</td></tr>`).join('\n');
  const images = charts.map((chart) => `<figure><img alt="${escapeHtml(chart.name)} chart" src="${chart.dataUrl}"><figcaption>${escapeHtml(chart.name)}</figcaption></figure>`).join('\n');
  const warnings = report.warnings.length > 0 ? `<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Flatness Lens: ${escapeHtml(report.model.path)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}img{max-width:100%}.verdict{font-size:1.4rem;font-weight:600}</style>
</head><body>
<h1>Flatness Lens report</h1>
<p>${escapeHtml(report.model.path)} on ${escapeHtml(report.data.path)} (n = ${report.data.n})</p>
<p class="verdict">${escapeHtml(report.verdict.headline)}</p>
<p>${escapeHtml(report.verdict.explanation)}</p>
<table>${metrics}</table>
${warnings}
${images}
<h2>Per-neuron contributions</h2>
<table><thead><tr><th>Neuron</th><th>A</th><th>B</th><th>C</th><th>Normalized</th><th>t*</th><th>Active samples</th><th>Status</th></tr></thead><tbody>
${neurons}
</tbody></table>
<p>Loss: ${escapeHtml(report.loss.convention)}. Backend ${escapeHtml(report.backend.name)}. Created ${escapeHtml(report.createdAt)} by flatness-lens ${escapeHtml(report.tool.version)}.</p>
</body></html>
`;
}
