import type { Report } from '../../shared/report';
import { backendLabel, kernelsLabel } from '../../shared/backendLabel';
import { architectureLabel, biasLabel, formatMaybe, formatMs, formatNumber, isRarelyActive, rarelyActiveThreshold } from './format';
import { curvatureSummaryLines } from './curvatureText';
import { predictionSummaryLines } from './predictionText';

export interface TerminalOptions {
  color: boolean;
}

const SPARK = '▁▂▃▄▅▆▇█';

/** A one-line picture of the raw trace along the rescaling orbit, on a log scale. */
export function orbitSparkline(report: Report, width = 41): string {
  const orbit = report.flatness.orbit;
  if (orbit.length === 0) return '';
  const step = Math.max(1, Math.floor((orbit.length - 1) / (width - 1)));
  const picked = orbit.filter((_, i) => i % step === 0);
  const logs = picked.map((p) => Math.log10(Math.max(p.trace, 1e-300)));
  const low = Math.min(...logs);
  const high = Math.max(...logs);
  return logs.map((v) => SPARK[high === low ? 0 : Math.round(((v - low) / (high - low)) * (SPARK.length - 1))]).join('');
}

export type SummaryExtension = (report: Report) => string[];

/** The optional sections' terminal lines, in report order. */
const SECTION_LINES: readonly SummaryExtension[] = [curvatureSummaryLines, predictionSummaryLines];

export function terminalSummary(report: Report, options: TerminalOptions = { color: false }): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const bold = (text: string) => paint('1', text);
  const dim = (text: string) => paint('2', text);
  const verdictColor = { flat: '32', 'in-between': '33', sharp: '31', 'not-applicable': '36' }[report.verdict.level];
  const { flatness } = report;
  const lines: string[] = [];
  lines.push(bold(`Flatness Lens ${report.tool.version}`) + dim(`  report schema ${report.schemaVersion}`));
  lines.push(`  model    ${report.model.path}`);
  lines.push(`           ${architectureLabel(report)}, ${biasLabel(report)}, ${report.model.parameters} parameters, ${report.model.format}; activation ${report.model.activationSource === 'file' ? 'read from the file' : report.model.activationSource === 'option' ? 'from the option' : 'ASSUMED'}`);
  lines.push(`  data     ${report.data.path}: n = ${report.data.n}, d = ${report.data.d} (${report.data.inputName} / ${report.data.targetName})`);
  lines.push(`  loss     ${report.loss.convention} = ${formatNumber(report.loss.value)}${report.loss.accuracy !== null ? `, training accuracy ${(report.loss.accuracy * 100).toFixed(2)}%` : ''}`);
  lines.push(`           ${report.interpolation.interpolates ? 'interpolates' : 'does NOT interpolate'}: ${report.interpolation.criterion}`);
  if (report.test) {
    lines.push(`  test     ${report.test.path}: n = ${report.test.n}, loss ${formatNumber(report.test.loss)}${report.test.accuracy !== null ? `, accuracy ${(report.test.accuracy * 100).toFixed(2)}%` : ''} (measured, same convention)`);
  }
  lines.push(`  backend  ${backendLabel(report.backend)} (${kernelsLabel(report.backend) ?? `tfjs ${report.backend.tfjsVersion}`}${report.backend.fallbacks.length ? `; skipped ${report.backend.fallbacks.map((f) => f.split(':')[0]).join(', ')}` : ''})`);
  lines.push('');
  lines.push(`  ${paint(`1;${verdictColor}`, `VERDICT  ${report.verdict.headline}`)}`);
  lines.push(...wrap(report.verdict.explanation, 88).map((line) => `           ${line}`));
  lines.push('');
  const rows: Array<[string, string, string]> = [
    ['Exact Hessian trace tr H', formatNumber(flatness.trace), `A ${formatNumber(flatness.parts.a)} | B ${formatNumber(flatness.parts.b)} | C ${formatNumber(flatness.parts.c)} | c0 ${formatNumber(flatness.parts.outputBias)}`],
    ['Normalized flatness F_sym', formatMaybe(flatness.normalized), flatness.normalized.value === null ? flatness.normalized.reason ?? '' : 'flattest over the rescaling orbit; invariant'],
    ['Certified lower bound F_LB', formatMaybe(flatness.lowerBound), flatness.lowerBound.value === null ? flatness.lowerBound.reason ?? '' : 'no interpolator of this data is flatter'],
    ['Flatness ratio R', formatMaybe(flatness.ratio, 3), flatness.ratio.value === null ? '' : 'F_sym / F_LB (1 = flattest possible)'],
    ['Invariant sum theta^2 H_pp', formatMaybe(flatness.invariantDiagonal), 'cross-check, invariant'],
    ['Path norm', formatMaybe(flatness.pathNorm), 'sum_j ||a_j|| ||(w_j, b_j)||^k'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [label, value, note] of rows) lines.push(`  ${label.padEnd(width)}  ${bold(value.padStart(11))}  ${dim(note)}`);
  if (flatness.orbit.length > 0) {
    const first = flatness.orbit[0]!;
    const last = flatness.orbit.at(-1)!;
    lines.push('');
    lines.push(`  Raw trace along the rescaling orbit, t = ${formatNumber(first.t)} .. ${formatNumber(last.t)} (log scale): the function never changes, the trace does`);
    lines.push(`    ${orbitSparkline(report)}   ${formatNumber(first.trace)} .. ${formatNumber(Math.min(...flatness.orbit.map((p) => p.trace)))} .. ${formatNumber(last.trace)}`);
  }
  lines.push('');
  lines.push(...neuronLines(report));
  for (const extension of SECTION_LINES) {
    const extra = extension(report);
    if (extra.length) lines.push('', ...extra);
  }
  if (report.warnings.length) {
    lines.push('', paint('33', '  Warnings'));
    for (const warning of report.warnings) lines.push(...wrap(warning, 90).map((line, i) => `  ${i === 0 ? '-' : ' '} ${line}`));
  }
  lines.push('', dim(`  timings: ${Object.entries(report.timings).map(([k, v]) => `${k.replace(/Ms$/, '')} ${formatMs(v)}`).join(', ')}`));
  return lines.join('\n');
}

function neuronLines(report: Report): string[] {
  const rows = report.flatness.perNeuron;
  const dead = rows.filter((r) => r.status === 'dead').length;
  const rare = rows.filter((r) => isRarelyActive(r, report.data.n)).length;
  const lines = [`  Neurons: ${rows.length}${dead ? `, ${dead} dead` : ''}${rare ? `, ${rare} active on fewer than ${rarelyActiveThreshold(report)} samples` : ''}. Largest contributions:`];
  const key = (r: (typeof rows)[number]) => r.normalized ?? r.a + r.b + r.c;
  const top = [...rows].sort((x, y) => key(y) - key(x)).slice(0, 5);
  lines.push(`    ${'neuron'.padStart(6)} ${'A_j'.padStart(10)} ${'B_j'.padStart(10)} ${'C_j'.padStart(10)} ${'normalized'.padStart(11)} ${'t*_j'.padStart(9)} ${'active'.padStart(7)}`);
  for (const row of top) {
    lines.push(`    ${String(row.index).padStart(6)} ${formatNumber(row.a).padStart(10)} ${formatNumber(row.b).padStart(10)} ${formatNumber(row.c).padStart(10)} ${formatNumber(row.normalized).padStart(11)} ${formatNumber(row.optimalScale, 3).padStart(9)} ${String(row.activeSamples).padStart(7)}`);
  }
  return lines;
}

export function wrap(text: string, width: number): string[] {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (current && current.length + word.length + 1 > width) { lines.push(current); current = word; }
    else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}
