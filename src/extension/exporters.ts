/**
 * Text renderings of a report for Export Report: Markdown and CSV of the per-neuron rows.
 * (HTML export uses the engine's renderHtml, the page the CLI writes.)
 */
import type { Report } from '../shared/report';
import { formatMaybe, formatNumber } from '../shared/format';

export { formatMaybe, formatNumber };

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
