/** The one axis of the static SVG charts: range with padding, linear or log scale, ticks and labels. */
export interface Axis {
  /** Data value -> pixel coordinate. */
  map: (value: number) => number;
  /** Tick positions in data units. */
  ticks: number[];
  label: (value: number) => string;
}

export interface AxisOptions {
  log?: boolean;
  /** Include this value in the range (a bar chart's zero). */
  include?: number;
  /** Fraction of the range added on each side. */
  pad?: number;
}

export function formatTick(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e4 || magnitude < 1e-3) return value.toExponential(0);
  return Number(value.toPrecision(3)).toString();
}

/** An axis over `values` drawn from pixel `from` to pixel `to` (to < from for a y axis). */
export function makeAxis(values: readonly number[], from: number, to: number, options: AxisOptions = {}): Axis {
  const log = options.log === true;
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (options.include !== undefined) usable.push(options.include);
  let low = usable.length ? Math.min(...usable) : log ? 1 : 0;
  let high = usable.length ? Math.max(...usable) : log ? 10 : 1;
  if (log) {
    low = Math.log10(low);
    high = Math.log10(high);
  }
  if (high - low < 1e-12) {
    low -= 0.5;
    high += 0.5;
  }
  const pad = (options.pad ?? 0.05) * (high - low);
  if (options.include === undefined || low !== options.include) low -= pad;
  high += pad;
  const map = (value: number) => {
    const v = log ? Math.log10(Math.max(value, 1e-300)) : value;
    return from + ((v - low) / (high - low)) * (to - from);
  };
  const ticks: number[] = [];
  if (log) {
    for (let e = Math.ceil(low); e <= Math.floor(high); e++) ticks.push(Math.pow(10, e));
    if (ticks.length < 2) ticks.push(Math.pow(10, low + pad), Math.pow(10, high - pad));
  } else {
    const step = Math.pow(10, Math.floor(Math.log10((high - low) / 4)));
    const nice = [1, 2, 5, 10].map((f) => f * step).find((s) => (high - low) / s <= 6) ?? step * 10;
    for (let t = Math.ceil(low / nice) * nice; t <= high + 1e-12 * Math.abs(high); t += nice) ticks.push(Number(t.toPrecision(12)));
  }
  return { map, ticks, label: formatTick };
}
