/**
 * The one formatting module of every view: the terminal, the HTML page, the exports and the
 * webview all write numbers, intervals, thresholds and neuron states through these functions,
 * so the three never disagree.
 */
import type { MaybeNumber, NeuronRow, Report } from './report';

/** Compact number for people: `digits` significant digits, exponent form outside [1e-3, 1e5). */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return 'n/a';
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(digits));
  // Judged after rounding: 99999 rounds to 1.000e+5, not to "100000".
  const magnitude = Math.abs(rounded);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(Math.max(0, digits - 1));
  return rounded.toString();
}

/** A number the theory may leave undefined: "not defined" (the reason is shown beside it, see maybeReason). */
export function formatMaybe(maybe: MaybeNumber, digits = 4): string {
  return maybe.value === null ? 'not defined' : formatNumber(maybe.value, digits);
}

/** "not defined: <reason>" for places with room for one line only. */
export function formatMaybeWithReason(maybe: MaybeNumber, digits = 4): string {
  return maybe.value === null ? `not defined: ${maybe.reason ?? 'no reason given'}` : formatNumber(maybe.value, digits);
}

/** An interval, always written the same way: [low, high]. */
export function formatInterval(interval: readonly [number, number] | null | undefined, digits = 4): string {
  return interval ? `[${formatNumber(interval[0], digits)}, ${formatNumber(interval[1], digits)}]` : 'n/a';
}

/** A threshold a value is compared with, e.g. formatThreshold('R', '<=', 2.51) = "R <= 2.51". */
export function formatThreshold(name: string, relation: '<' | '<=' | '>' | '>=', value: number): string {
  return `${name} ${relation} ${formatNumber(value, 3)}`;
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/** e.g. "10-64(relu)-1" */
export function architectureLabel(report: Pick<Report, 'model'>): string {
  const { model } = report;
  return `${model.inputDim}-${model.hiddenDim}(${model.activation})-${model.outputDim}${model.outputLink === 'identity' ? '' : `(${model.outputLink})`}`;
}

export function biasLabel(report: Pick<Report, 'model'>): string {
  const { hiddenBias, outputBias } = report.model;
  if (hiddenBias && outputBias) return 'hidden and output biases';
  if (hiddenBias) return 'hidden bias only';
  if (outputBias) return 'output bias only';
  return 'no biases (homogeneous setting)';
}

/**
 * A neuron is "rarely active" when it is active on at least one but fewer than this many
 * training samples: its flatness contribution rests on a handful of points.
 */
export function rarelyActiveThreshold(reportOrN: Pick<Report, 'data'> | number): number {
  const n = typeof reportOrN === 'number' ? reportOrN : reportOrN.data.n;
  return Math.max(3, Math.ceil(0.02 * n));
}

export function isRarelyActive(row: Pick<NeuronRow, 'status' | 'activeSamples'>, n: number): boolean {
  return row.status !== 'dead' && row.activeSamples > 0 && row.activeSamples < rarelyActiveThreshold(n);
}

export type NeuronState = 'ok' | 'rare' | 'dead' | 'not-at-minimum' | 'not-homogeneous' | 'not-finite';

/** The one classification of a neuron every view marks (color, class and words). */
export function neuronState(row: Pick<NeuronRow, 'status' | 'activeSamples'>, n: number): NeuronState {
  if (row.status === 'dead') return 'dead';
  if (row.status === 'not-at-minimum') return 'not-at-minimum';
  if (row.status === 'not-finite') return 'not-finite';
  if (isRarelyActive(row, n)) return 'rare';
  return row.status === 'not-homogeneous' ? 'not-homogeneous' : 'ok';
}

/** The words for a neuron's state, so that color is never the only carrier. */
export function neuronStatusText(row: Pick<NeuronRow, 'status' | 'activeSamples'>, n: number): string {
  switch (neuronState(row, n)) {
    case 'dead':
      return 'dead (never active)';
    case 'not-at-minimum':
      return 'not at a minimum';
    case 'rare':
      return `rarely active (${row.activeSamples} of ${n})`;
    case 'not-homogeneous':
      return 'not homogeneous';
    case 'not-finite':
      return 'not finite (trace terms overflow)';
    default:
      return 'active';
  }
}
