/**
 * Text renderings for Export Report: a report as Markdown and CSV of the per-neuron rows, a
 * comparison as Markdown and CSV. (HTML export uses the engine's pages, the ones the CLI writes.)
 */
import type { ComparisonReport, Report } from '../shared/report';
import { formatInterval, formatMaybe, formatNumber } from '../shared/format';

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

/** The comparison's rows as CSV: one row per model, the numbers unrounded. */
export const COMPARISON_CSV_HEADER = ['rank', 'model', 'interpolates', 'predicted_test_loss', 'interval_low', 'interval_high', 'measured_test_loss', 'verdict', 'ratio', 'normalized', 'trace', 'path_norm', 'top_eigenvalue', 'hidden_neurons'];

export function comparisonCsv(comparison: ComparisonReport, labelOf: (path: string) => string = (path) => path): string {
  const lines = [COMPARISON_CSV_HEADER.join(',')];
  for (const row of comparison.models) {
    lines.push([row.rank, labelOf(row.path), row.interpolates ? 'yes' : 'no', row.predictedTestLoss, row.interval?.[0] ?? null, row.interval?.[1] ?? null, row.testLoss,
      row.verdict.level, row.ratio, row.normalized, row.trace, row.pathNorm, row.topEigenvalue, row.hiddenDim].map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

export function comparisonMarkdown(comparison: ComparisonReport, labelOf: (path: string) => string = (path) => path): string {
  const out: string[] = [];
  out.push(`# Flatness Lens comparison of ${comparison.models.length} models`, '');
  out.push(`Training data: ${comparison.data.path} (n = ${comparison.data.n}, d = ${comparison.data.d})${comparison.test ? `; test data: ${comparison.test.path} (n = ${comparison.test.n})` : ''}. Loss: ${comparison.loss.convention}.`, '');
  out.push(`One shared calibration: F_LB = ${formatNumber(comparison.lowerBound)}, flattest interpolator found F_found = ${formatNumber(comparison.flattestNormalized)}. Ranked by predicted test loss, best first.`, '');
  const withTest = comparison.test !== null;
  out.push(`| Rank | Model | Predicted test loss | Interval |${withTest ? ' Measured test loss |' : ''} Verdict | Ratio R | F_sym | Raw trace | Interpolates |`);
  out.push(`| ---: | --- | ---: | --- |${withTest ? ' ---: |' : ''} --- | ---: | ---: | ---: | --- |`);
  for (const row of comparison.models) {
    const cells = [String(row.rank), labelOf(row.path), row.interpolates ? formatNumber(row.predictedTestLoss) : 'n/a', row.interpolates ? formatInterval(row.interval) : 'n/a',
      ...(withTest ? [formatNumber(row.testLoss)] : []), row.verdict.headline, formatNumber(row.ratio), formatNumber(row.normalized), formatNumber(row.trace),
      row.interpolates ? 'yes' : 'no (off the calibration)'];
    out.push(`| ${cells.map(markdownCell).join(' | ')} |`);
  }
  out.push('');
  if (comparison.kendallTau) {
    out.push('## Kendall tau against the measured test loss', '', '| Measure | Kendall tau |', '| --- | ---: |');
    for (const [measure, tau] of Object.entries(comparison.kendallTau)) out.push(`| ${markdownCell(measure)} | ${tau === null ? 'n/a' : tau.toFixed(2)} |`);
    out.push('');
  }
  if (comparison.notes.length) out.push(...comparison.notes.map((note) => `- ${note}`), '');
  return out.join('\n');
}
