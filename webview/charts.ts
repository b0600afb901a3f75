/** Chart.js charts of a report: the rescaling orbit, per-neuron contributions, generic series. */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  LogarithmicScale, PointElement, Tooltip, type ChartConfiguration,
} from 'chart.js';
import type { NeuronRow, OrbitPoint } from '../src/shared/report';
import { formatNumber } from '../src/shared/format';
import { chartTheme, type ChartTheme } from './theme';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip);

/** Every live chart, by name, so they can be exported as PNG and destroyed on re-render. */
const live = new Map<string, Chart>();

export function destroyCharts(): void {
  for (const chart of live.values()) chart.destroy();
  live.clear();
}

export function chartImages(): { name: string; dataUrl: string }[] {
  return [...live.entries()].map(([name, chart]) => ({ name, dataUrl: chart.toBase64Image('image/png', 1) }));
}

function baseOptions(theme: ChartTheme) {
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
function decadeLabel(value: number | string): string {
  const number = Number(value);
  const exponent = Math.log10(number);
  if (Math.abs(exponent - Math.round(exponent)) > 1e-9) return '';
  const power = Math.round(exponent);
  return Math.abs(power) >= 4 ? `1e${power}` : formatNumber(number);
}

function register(name: string, canvas: HTMLCanvasElement, config: ChartConfiguration, points: number): Chart {
  live.get(name)?.destroy();
  const chart = new Chart(canvas, config);
  live.set(name, chart);
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

/** A neuron active on few samples: its flatness contribution rests on a handful of points. */
export function isRarelyActive(row: NeuronRow, n: number): boolean {
  return row.status !== 'dead' && row.activeSamples > 0 && row.activeSamples <= Math.max(3, 0.05 * n);
}

export function neuronChart(name: string, canvas: HTMLCanvasElement, rows: NeuronRow[], n: number, normalizedAvailable: boolean): Chart {
  const theme = chartTheme();
  const colours = rows.map((row) => (row.status === 'dead' ? theme.muted : row.status === 'not-at-minimum' ? theme.negative : isRarelyActive(row, n) ? theme.highlight : theme.primary));
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: rows.map((row) => String(row.index)),
      datasets: [{
        label: normalizedAvailable ? 'normalized contribution min_t (A t^2k + D t^-2)' : 'raw contribution A + B + C',
        data: rows.map(neuronValue),
        backgroundColor: colours,
        borderColor: colours,
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
              return `neuron ${row.index}: ${formatNumber(neuronValue(row))}, active on ${row.activeSamples} of ${n} samples (${row.status})`;
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

/** A plain series of numbers (spectrum eigenvalues, landscape profiles, ...). */
export function seriesChart(name: string, canvas: HTMLCanvasElement, series: { label: string; values: number[]; x?: number[] }[]): Chart {
  const theme = chartTheme();
  const palette = [theme.primary, theme.highlight, theme.reference, theme.negative];
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      datasets: series.map((entry, index) => ({
        label: entry.label,
        data: entry.values.map((value, i) => ({ x: entry.x?.[i] ?? i, y: value })),
        borderColor: palette[index % palette.length],
        backgroundColor: palette[index % palette.length],
        pointRadius: entry.values.length > 100 ? 0 : 2,
        borderWidth: theme.highContrast ? 3 : 2,
      })),
    },
    options: {
      ...baseOptions(theme),
      parsing: false,
      scales: {
        x: { type: 'linear', grid: { color: theme.grid }, ticks: { color: theme.foreground } },
        y: { type: 'linear', grid: { color: theme.grid }, ticks: { color: theme.foreground } },
      },
    },
  };
  return register(name, canvas, config as ChartConfiguration, series.reduce((sum, entry) => sum + entry.values.length, 0));
}
