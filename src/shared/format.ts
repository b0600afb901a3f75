/** Number formatting shared by the webview and the exporters. */
import type { MaybeNumber } from './report';

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return 'n/a';
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

export function formatMaybe(value: MaybeNumber): string {
  return value.value === null ? `not defined (${value.reason ?? 'no reason given'})` : formatNumber(value.value);
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}
