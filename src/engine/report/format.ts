import type { MaybeNumber, Report } from '../../shared/report';

/** Compact number for people: 4 significant digits, exponent form outside [1e-3, 1e6). */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

export function formatMaybe(maybe: MaybeNumber, digits = 4): string {
  return maybe.value === null ? 'not defined' : formatNumber(maybe.value, digits);
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/** e.g. "10-64(relu)-1" */
export function architectureLabel(report: Report): string {
  const { model } = report;
  return `${model.inputDim}-${model.hiddenDim}(${model.activation})-${model.outputDim}${model.outputLink === 'identity' ? '' : `(${model.outputLink})`}`;
}

export function biasLabel(report: Report): string {
  const { hiddenBias, outputBias } = report.model;
  if (hiddenBias && outputBias) return 'hidden and output biases';
  if (hiddenBias) return 'hidden bias only';
  if (outputBias) return 'output bias only';
  return 'no biases (homogeneous setting)';
}

/** Neurons with the fewest active samples are the ones to look at: they fit few points. */
export function rarelyActiveThreshold(report: Report): number {
  return Math.max(1, Math.ceil(0.02 * report.data.n));
}
