/** Chart.js charts of a report: the rescaling orbit, per-neuron contributions, the calibration; PNG export of every chart. */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, ScatterController, Tooltip, type ChartConfiguration,
} from 'chart.js';
import type { CalibrationKind, CalibrationPoint, NeuronRow, OrbitPoint, ReportCalibration } from '../src/shared/report';
import { calibrationAxis } from '../src/shared/calibrationAxis';
import { formatNumber, isRarelyActive, neuronStatusText } from '../src/shared/format';
import { chartTheme, type ChartTheme } from './theme';
import { cssVar } from './dom';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip);

/** Every live chart (Chart.js or drawn by hand), by name, so they can be exported as PNG and destroyed on re-render. */
interface LiveChart {
  canvas: HTMLCanvasElement;
  destroy(): void;
}
const live = new Map<string, LiveChart>();

export function destroyCharts(): void {
  for (const chart of live.values()) chart.destroy();
  live.clear();
}

/**
 * PNGs of every chart on the theme's own background: a canvas is transparent where nothing is
 * drawn, and the theme's light text would vanish on a white image viewer.
 */
export function chartImages(): { name: string; dataUrl: string }[] {
  const background = chartTheme().background;
  return [...live.entries()].map(([name, chart]) => {
    const image = document.createElement('canvas');
    image.width = chart.canvas.width;
    image.height = chart.canvas.height;
    const context = image.getContext('2d')!;
    context.fillStyle = background;
    context.fillRect(0, 0, image.width, image.height);
    context.drawImage(chart.canvas, 0, 0);
    return { name, dataUrl: image.toDataURL('image/png') };
  });
}

/** Registers a canvas drawn without Chart.js (the 2D landscape heat map). */
export function registerCanvas(name: string, canvas: HTMLCanvasElement, points: number): void {
  live.get(name)?.destroy();
  live.set(name, { canvas, destroy: () => undefined });
  canvas.dataset.chart = name;
  canvas.dataset.points = String(points);
}

export function baseOptions(theme: ChartTheme) {
  Chart.defaults.color = theme.foreground;
  Chart.defaults.font.family = theme.font;
  Chart.defaults.borderColor = theme.grid;
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { legend: { labels: { color: theme.foreground } }, tooltip: { enabled: true } },
  };
}

/** Log axes label only the powers of ten (Chart.js labels every minor tick otherwise). */
export function decadeLabel(value: number | string): string {
  const number = Number(value);
  const exponent = Math.log10(number);
  if (Math.abs(exponent - Math.round(exponent)) > 1e-9) return '';
  const power = Math.round(exponent);
  return Math.abs(power) >= 4 ? `1e${power}` : formatNumber(number);
}

export function register(name: string, canvas: HTMLCanvasElement, config: ChartConfiguration, points: number): Chart {
  live.get(name)?.destroy();
  const chart = new Chart(canvas, config);
  live.set(name, { canvas, destroy: () => chart.destroy() });
  canvas.dataset.chart = name;
  canvas.dataset.points = String(points);
  return chart;
}

/** Raw trace along t_j = t for all j against the invariant normalized flatness: the symmetry made visible. */
export function orbitChart(name: string, canvas: HTMLCanvasElement, orbit: OrbitPoint[], normalized: number | null): Chart {
  const theme = chartTheme();
  const positive = orbit.every((point) => point.trace > 0) && (normalized === null || normalized > 0);
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [{
    label: 'raw trace tr H at scale t',
    data: orbit.map((point) => ({ x: point.t, y: point.trace })),
    borderColor: theme.primary,
    backgroundColor: theme.primary,
    pointRadius: 2,
    borderWidth: theme.highContrast ? 3 : 2,
  }];
  if (normalized !== null && orbit.length > 0) {
    datasets.push({
      label: 'normalized flatness F_sym (invariant)',
      data: [{ x: orbit[0]!.t, y: normalized }, { x: orbit[orbit.length - 1]!.t, y: normalized }],
      borderColor: theme.reference,
      backgroundColor: theme.reference,
      borderDash: [6, 4],
      pointRadius: 0,
      borderWidth: theme.highContrast ? 3 : 2,
    });
  }
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: { datasets },
    options: {
      ...baseOptions(theme),
      parsing: false,
      scales: {
        x: {
          type: 'logarithmic', min: orbit[0]?.t, max: orbit[orbit.length - 1]?.t,
          title: { display: true, text: 'rescaling t (a_j -> t^-k a_j, w_j -> t w_j)' }, grid: { color: theme.grid },
          ticks: { color: theme.foreground, autoSkip: false, maxRotation: 0, callback: (value) => decadeLabel(value) },
        },
        y: positive
          ? { type: 'logarithmic', title: { display: true, text: 'Hessian trace' }, grid: { color: theme.grid }, ticks: { color: theme.foreground, callback: (value) => decadeLabel(value) } }
          : { type: 'linear', title: { display: true, text: 'Hessian trace' }, grid: { color: theme.grid }, ticks: { color: theme.foreground } },
      },
    },
  };
  return register(name, canvas, config as ChartConfiguration, orbit.length);
}

export type NeuronSort = 'index' | 'contribution' | 'active' | 'scale';

export function neuronValue(row: NeuronRow): number {
  return row.normalized ?? row.a + row.b + row.c;
}

export function sortNeurons(rows: NeuronRow[], sort: NeuronSort): NeuronRow[] {
  const sorted = [...rows];
  switch (sort) {
    case 'contribution':
      return sorted.sort((x, y) => neuronValue(y) - neuronValue(x));
    case 'active':
      return sorted.sort((x, y) => x.activeSamples - y.activeSamples);
    case 'scale':
      return sorted.sort((x, y) => Math.abs(Math.log(y.optimalScale ?? 1)) - Math.abs(Math.log(x.optimalScale ?? 1)));
    default:
      return sorted.sort((x, y) => x.index - y.index);
  }
}

export { isRarelyActive };

export function neuronChart(name: string, canvas: HTMLCanvasElement, rows: NeuronRow[], n: number, normalizedAvailable: boolean): Chart {
  const theme = chartTheme();
  const colors = rows.map((row) => (row.status === 'dead' ? theme.muted : row.status === 'not-at-minimum' || row.status === 'not-finite' ? theme.negative : isRarelyActive(row, n) ? theme.highlight : theme.primary));
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: rows.map((row) => String(row.index)),
      datasets: [{
        label: normalizedAvailable ? 'normalized contribution min_t (A t^2k + D t^-2)' : 'raw contribution A + B + C',
        data: rows.map(neuronValue),
        backgroundColor: colors,
        borderColor: colors,
        borderWidth: theme.highContrast ? 1 : 0,
      }],
    },
    options: {
      ...baseOptions(theme),
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (item) => {
              const row = rows[item.dataIndex]!;
              return `neuron ${row.index}: ${formatNumber(neuronValue(row))}, active on ${row.activeSamples} of ${n} samples (${neuronStatusText(row, n)})`;
            },
          },
        },
      },
      scales: {
        x: { title: { display: true, text: 'hidden neuron' }, grid: { display: false }, ticks: { color: theme.foreground, autoSkip: true, maxRotation: 0 } },
        y: { title: { display: true, text: 'contribution to flatness' }, grid: { color: theme.grid }, ticks: { color: theme.foreground } },
      },
    },
  };
  return register(name, canvas, config as ChartConfiguration, rows.length);
}

export const CALIBRATION_KIND_LABELS: Record<CalibrationKind, string> = {
  'flattest-search': 'flattest found',
  'gd-init': 'gradient descent (init scale)',
  'random-features': 'random features',
  'poisoned-random-features': 'random features, poisoned points',
  'poisoned-gd': 'gradient descent, poisoned points',
  'flattest-bump': 'flattest found plus a bump',
};

/** The calibration points a log-log chart can show (both coordinates positive and finite). */
export function plottableCalibration(calibration: ReportCalibration): ReportCalibration['points'] {
  return calibration.points.filter((p) => p.ratio > 0 && p.heldOutLoss > 0 && Number.isFinite(p.ratio) && Number.isFinite(p.heldOutLoss));
}

export interface ModelPoint {
  ratio: number;
  /** The model's disagreement D with the flattest interpolators found (null without one). */
  disagreement: number | null;
  testLoss: number;
  interval: [number, number] | null;
}

/** One marker per compared model: the shape (also a glyph for tables) and the theme color it is drawn in. */
export const MODEL_MARKERS = [
  { glyph: '●', style: 'circle', color: '--vscode-charts-blue' },
  { glyph: '▲', style: 'triangle', color: '--vscode-charts-orange' },
  { glyph: '■', style: 'rect', color: '--vscode-charts-green' },
  { glyph: '◆', style: 'rectRot', color: '--vscode-charts-red' },
  { glyph: '★', style: 'star', color: '--vscode-charts-purple' },
  { glyph: '✚', style: 'cross', color: '--vscode-charts-yellow' },
] as const;

/** A compared model on the calibration: its predicted and (with test data) measured loss at its ratio. */
export interface NamedModelPoint {
  label: string;
  /** Index into MODEL_MARKERS. */
  marker: number;
  ratio: number;
  disagreement: number | null;
  predicted: number;
  measured: number | null;
}

/**
 * Reference interpolators (one color per kind), the fitted predictor, and the model(s) read off
 * it (one model: with its interval): held-out loss against the predictor's input (rho + D, or R
 * without a flattest interpolator; shared/calibrationAxis.ts), log-log. data-points counts the
 * scatter points: the references plus the models.
 */
export function calibrationChart(name: string, canvas: HTMLCanvasElement, calibration: ReportCalibration, models: ModelPoint[], modelLabel = 'this model (predicted)', named: NamedModelPoint[] = []): Chart {
  const theme = chartTheme();
  // With named models the references step back to one muted color: the colors belong to the models.
  const palette = named.length ? [theme.muted] : [theme.reference, theme.primary, theme.muted, theme.negative, theme.foreground];
  const axis = calibrationAxis(calibration);
  const located = plottableCalibration(calibration).map((p) => ({ point: p, x: axis.position(p.ratio, p.disagreement) })).filter((p): p is { point: CalibrationPoint; x: number } => p.x !== null);
  const points = located.map((p) => p.point);
  const kinds = (Object.keys(CALIBRATION_KIND_LABELS) as CalibrationKind[]).filter((kind) => points.some((p) => p.kind === kind));
  const datasets: ChartConfiguration<'scatter'>['data']['datasets'] = kinds.map((kind, index) => ({
    label: CALIBRATION_KIND_LABELS[kind],
    data: located.filter((p) => p.point.kind === kind).map((p) => ({ x: p.x, y: p.point.heldOutLoss })),
    borderColor: palette[index % palette.length],
    backgroundColor: palette[index % palette.length],
    pointRadius: 4,
    pointStyle: (['circle', 'triangle', 'rect', 'crossRot', 'star'] as const)[index % 5],
  }));
  const xs = [...located.map((p) => p.x), ...models.map((m) => axis.position(m.ratio, m.disagreement)), ...named.map((m) => axis.position(m.ratio, m.disagreement))].filter((x): x is number => x !== null);
  const curve = xs.length ? axis.curve(Math.min(...xs), Math.max(...xs)).filter((knot) => knot.x > 0 && knot.loss > 0) : [];
  if (curve.length > 1) {
    datasets.push({
      label: 'fitted predictor',
      pointStyle: 'line',
      data: curve.map((knot) => ({ x: knot.x, y: knot.loss })),
      showLine: true,
      ...(axis.kind === 'ratio' ? { stepped: 'after' as const } : {}),
      borderColor: theme.foreground,
      backgroundColor: theme.foreground,
      borderDash: [6, 4],
      pointRadius: 0,
      borderWidth: theme.highContrast ? 3 : 1.5,
    });
  }
  const positiveLosses = [...points.map((p) => p.heldOutLoss), ...curve.map((k) => k.loss)];
  const floor = positiveLosses.length ? Math.min(...positiveLosses) / 10 : 1e-6;
  const model = models.length === 1 ? models[0]! : null;
  const singleX = model ? axis.position(model.ratio, model.disagreement) : null;
  if (model && singleX !== null && model.interval && model.interval[1] > 0) {
    datasets.push({
      label: `prediction interval (${Math.round(calibration.intervalLevel * 100)}%)`,
      data: [{ x: singleX, y: Math.max(model.interval[0], floor) }, { x: singleX, y: model.interval[1] }],
      showLine: true,
      borderColor: theme.highlight,
      backgroundColor: theme.highlight,
      pointRadius: 0,
      borderWidth: theme.highContrast ? 5 : 3,
      order: -1,
    });
  }
  const shown = models.flatMap((m) => {
    const x = axis.position(m.ratio, m.disagreement);
    return x !== null && m.testLoss > 0 ? [{ x, y: m.testLoss }] : [];
  });
  if (shown.length > 0) {
    datasets.push({
      label: modelLabel,
      data: shown,
      // Drawn last (lowest order), over the references, outlined in the text color.
      borderColor: theme.foreground,
      backgroundColor: theme.highlight,
      borderWidth: 2,
      pointRadius: 9,
      pointHoverRadius: 11,
      pointStyle: 'rectRot',
      order: -2,
    });
  }
  let namedPoints = 0;
  named.forEach((model) => {
    const mark = MODEL_MARKERS[model.marker % MODEL_MARKERS.length]!;
    const color = cssVar(mark.color, theme.primary);
    const x = axis.position(model.ratio, model.disagreement);
    if (x === null) return;
    if (model.predicted > 0) {
      namedPoints++;
      datasets.push({
        label: `${model.label} (predicted, filled)`, data: [{ x, y: model.predicted }],
        borderColor: theme.foreground, backgroundColor: color, borderWidth: 1.5, pointRadius: 9, pointHoverRadius: 11, pointStyle: mark.style, order: -2,
      });
    }
    if (model.measured !== null && model.measured > 0) {
      namedPoints++;
      datasets.push({
        label: `${model.label} (measured, hollow)`, data: [{ x, y: model.measured }],
        borderColor: color, backgroundColor: 'transparent', borderWidth: 3, pointRadius: 9, pointHoverRadius: 11, pointStyle: mark.style, order: -2,
      });
    }
  });
  // Grid lines at the powers of ten only: a log axis over many decades is unreadable with every minor line.
  const isDecade = (value: number): boolean => Math.abs(Math.log10(value) - Math.round(Math.log10(value))) < 1e-9;
  const logAxis = (title: string) => ({
    type: 'logarithmic' as const,
    title: { display: true, text: title },
    grid: { color: (context: { tick?: { value: number } }) => (context.tick && isDecade(context.tick.value) ? theme.grid : 'transparent') },
    ticks: { color: theme.foreground, autoSkip: false, maxRotation: 0, callback: (value: number | string) => decadeLabel(value) },
  });
  const config: ChartConfiguration<'scatter'> = {
    type: 'scatter',
    data: { datasets },
    options: {
      ...baseOptions(theme),
      parsing: false,
      plugins: {
        ...baseOptions(theme).plugins,
        // The legend shows each marker's shape: color is never the only thing that tells two models apart.
        legend: { labels: { color: theme.foreground, usePointStyle: true } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${axis.symbol} = ${formatNumber(item.parsed.x)}, loss ${formatNumber(item.parsed.y)}` } },
      },
      scales: { x: logAxis(axis.title), y: logAxis('held-out loss') },
    },
  };
  return register(name, canvas, config as ChartConfiguration, points.length + shown.length + namedPoints);
}
