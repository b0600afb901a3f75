/**
 * The curvature sections (report.spectrum, .sharpness, .landscape and their canonical twins):
 * eigenvalue magnitudes on a log axis with their sign, the spectral density, the adaptive
 * sharpness table, the 1D landscapes as curves and the 2D landscape as a heat map.
 */
import type { ChartConfiguration } from 'chart.js';
import type { Report, ReportLandscape, ReportLandscapeCurve, ReportLandscapeSurface, ReportSpectrum } from '../src/shared/report';
import { formatNumber } from '../src/shared/format';
import { afterMount, h } from './dom';
import { baseOptions, decadeLabel, register, registerCanvas } from './charts';
import { chartTheme, type ChartTheme } from './theme';
import { tells } from './parts';


function section(key: string, prefix: string, title: string, ...children: (HTMLElement | null)[]): HTMLElement {
  return h('section', { class: 'panel curvature', 'data-section-key': key, 'aria-labelledby': `${prefix}${key}-title` },
    h('h2', { id: `${prefix}${key}-title` }, title), ...children);
}

function chartBox(label: string, size: '' | 'small' = ''): { box: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = h('canvas', { role: 'img', 'aria-label': label });
  return { box: h('div', { class: `chart-box ${size}`.trim() }, canvas), canvas };
}

const isDecade = (value: number): boolean => Math.abs(Math.log10(value) - Math.round(Math.log10(value))) < 1e-9;

/** Grid lines and labels at the powers of ten only. */
const logAxis = (theme: ChartTheme, title: string) => ({
  type: 'logarithmic' as const,
  title: { display: true, text: title },
  grid: { color: (context: { tick?: { value: number } }) => (context.tick && isDecade(context.tick.value) ? theme.grid : 'transparent') },
  ticks: { color: theme.foreground, autoSkip: false, maxRotation: 0, callback: (value: number | string) => decadeLabel(value) },
});

const linearAxis = (theme: ChartTheme, title: string) => ({
  type: 'linear' as const,
  title: { display: true, text: title },
  grid: { color: theme.grid },
  ticks: { color: theme.foreground, maxRotation: 0, callback: (value: number | string) => formatNumber(Number(value), 3) },
});

/* ------------------------------------------------------------------ spectrum */

interface Eigen {
  value: number;
  which: 'largest' | 'smallest';
  rank: number;
  residual: number;
  converged: boolean;
}

function eigenvalues(spectrum: ReportSpectrum): Eigen[] {
  return [
    ...spectrum.top.map((value, k) => ({ value, which: 'largest' as const, rank: k + 1, residual: spectrum.topResiduals[k] ?? NaN, converged: spectrum.topConverged[k] ?? false })),
    ...spectrum.bottom.map((value, k) => ({ value, which: 'smallest' as const, rank: k + 1, residual: spectrum.bottomResiduals[k] ?? NaN, converged: spectrum.bottomConverged[k] ?? false })),
  ];
}

/** |lambda| on a log axis, one row per point (raw, canonical); the sign is the marker's shape and the legend's words. */
function spectrumChart(name: string, canvas: HTMLCanvasElement, rows: { label: string; spectrum: ReportSpectrum }[]): void {
  const theme = chartTheme();
  const datasets: ChartConfiguration<'scatter'>['data']['datasets'] = [];
  let points = 0;
  const magnitudes = rows.flatMap((row) => eigenvalues(row.spectrum).map((e) => Math.abs(e.value)).filter((v) => v > 0));
  const smallest = magnitudes.length ? Math.min(...magnitudes) : 1;
  const largest = magnitudes.length ? Math.max(...magnitudes) : 10;
  const floor = smallest / 10;
  for (const sign of ['positive', 'negative', 'zero'] as const) {
    const data = rows.flatMap((row, y) => eigenvalues(row.spectrum)
      .filter((e) => (sign === 'positive' ? e.value > 0 : sign === 'negative' ? e.value < 0 : e.value === 0))
      .map((e) => ({ x: Math.max(Math.abs(e.value), floor), y, eigen: e, row: row.label })));
    if (data.length === 0) continue;
    points += data.length;
    const color = sign === 'positive' ? theme.primary : sign === 'negative' ? theme.negative : theme.muted;
    datasets.push({
      label: sign === 'positive' ? 'λ > 0 (filled circle)' : sign === 'negative' ? 'λ < 0: not a minimum (cross)' : 'λ = 0 (square)',
      data,
      borderColor: color,
      backgroundColor: color,
      pointStyle: sign === 'positive' ? 'circle' : sign === 'negative' ? 'crossRot' : 'rect',
      pointRadius: 6,
      borderWidth: sign === 'negative' ? 3 : 1,
    });
  }
  const config: ChartConfiguration<'scatter'> = {
    type: 'scatter',
    data: { datasets },
    options: {
      ...baseOptions(theme),
      parsing: false,
      plugins: {
        ...baseOptions(theme).plugins,
        tooltip: {
          callbacks: {
            label: (item) => {
              const raw = item.raw as { eigen: Eigen; row: string };
              return `${raw.row}, ${raw.eigen.which} ${raw.eigen.rank}: λ = ${formatNumber(raw.eigen.value)} (residual ${formatNumber(raw.eigen.residual, 2)}${raw.eigen.converged ? '' : ', not converged'})`;
            },
          },
        },
      },
      scales: {
        x: {
          ...logAxis(theme, '|λ| (log scale; the marker gives the sign)'),
          min: Math.pow(10, Math.floor(Math.log10(floor))), max: Math.pow(10, Math.ceil(Math.log10(largest))),
        },
        y: {
          type: 'linear', min: -0.5, max: rows.length - 0.5, reverse: true,
          grid: { display: false },
          afterBuildTicks: (axis) => {
            axis.ticks = rows.map((_, value) => ({ value }));
          },
          ticks: { color: theme.foreground, callback: (value: number | string) => rows[Number(value)]?.label ?? '' },
        },
      },
    },
  };
  register(name, canvas, config as ChartConfiguration, points);
}

function densityChart(name: string, canvas: HTMLCanvasElement, rows: { label: string; spectrum: ReportSpectrum }[]): void {
  const theme = chartTheme();
  const palette = [theme.primary, theme.highlight];
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      datasets: rows.map((row, index) => ({
        label: `${row.label} (${index === 0 ? 'solid' : 'dashed'})`,
        data: row.spectrum.density.grid.map((x, i) => ({ x, y: row.spectrum.density.values[i] ?? 0 })),
        borderColor: palette[index % 2],
        backgroundColor: palette[index % 2],
        borderDash: index === 0 ? [] : [6, 4],
        pointRadius: 0,
        borderWidth: theme.highContrast ? 3 : 2,
      })),
    },
    options: { ...baseOptions(theme), parsing: false, scales: { x: linearAxis(theme, 'eigenvalue λ'), y: linearAxis(theme, 'density') } },
  };
  register(name, canvas, config as ChartConfiguration, rows.reduce((sum, row) => sum + row.spectrum.density.grid.length, 0));
}

function eigenTable(rows: { label: string; spectrum: ReportSpectrum }[]): HTMLElement {
  const raw = eigenvalues(rows[0]!.spectrum);
  const canonical = rows[1] ? eigenvalues(rows[1].spectrum) : null;
  const cell = (e: Eigen | undefined) => (e ? `${formatNumber(e.value)}${e.converged ? '' : ' (not converged)'}` : 'n/a');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data-table eigen-table' },
    h('caption', {}, 'Eigenvalues found by Lanczos; "not converged" marks a residual above the tolerance'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Eigenvalue'), h('th', { scope: 'col' }, rows[0]!.label), h('th', { scope: 'col' }, 'Residual ||Hv − λv||'),
      canonical ? h('th', { scope: 'col' }, rows[1]!.label) : null)),
    h('tbody', {}, ...raw.map((e, k) => h('tr', {},
      h('th', { scope: 'row' }, `${e.which} ${e.rank}`), h('td', {}, cell(e)), h('td', {}, formatNumber(e.residual, 2)),
      canonical ? h('td', {}, cell(canonical[k])) : null)))));
}

export function spectrumSection(report: Report, prefix: string): HTMLElement | null {
  const spectrum = report.spectrum;
  if (!spectrum) return null;
  const rows = [{ label: 'raw', spectrum }, ...(report.canonical?.spectrum ? [{ label: 'canonical', spectrum: report.canonical.spectrum }] : [])];
  const top = spectrum.top[0];
  const negatives = spectrum.bottom.filter((value) => value < 0).length;
  const strip = chartBox(`Hessian eigenvalues: largest ${formatNumber(top)}, smallest ${formatNumber(spectrum.bottom[0])}; ${negatives} negative`, 'small');
  const density = chartBox(`Spectral density of the Hessian over ${spectrum.density.grid.length} grid points`, 'small');
  afterMount(() => spectrumChart(`${prefix}spectrum`, strip.canvas, rows));
  afterMount(() => densityChart(`${prefix}density`, density.canvas, rows));
  const estimate = `stochastic Lanczos quadrature, ${spectrum.density.probes} probe(s), at most ${spectrum.density.steps} steps; its trace estimate ${formatNumber(spectrum.density.traceEstimate)} against the exact ${formatNumber(spectrum.exactTrace)}`;
  return section('spectrum', prefix, 'Hessian spectrum',
    tells(negatives > 0
      ? `${negatives} negative eigenvalue(s): the model is not at a minimum of the training loss. The largest eigenvalue (${formatNumber(top)}) is the sharpest direction.`
      : `The largest eigenvalue (${formatNumber(top)}) is the sharpest direction; none is negative, as at a minimum. Raw eigenvalues move under rescaling, canonical ones do not.`),
    h('h3', {}, 'Eigenvalue magnitudes'), strip.box,
    eigenTable(rows),
    h('p', { class: 'muted' }, `Lanczos with full reorthogonalization: ${spectrum.lanczosSteps} steps, ${spectrum.hessianVectorProducts} exact Hessian-vector products, relative tolerance ${formatNumber(spectrum.tolerance)}, ${spectrum.parameters} parameters.`),
    h('h3', {}, 'Spectral density'),
    h('p', { class: 'tells-sub' }, 'Where the eigenvalues lie: mass near zero is flat directions, a right tail sharp ones.'),
    density.box,
    h('p', { class: 'muted' }, `Density by ${estimate}.`),
    spectrum.notes.length ? h('ul', { class: 'notes' }, ...spectrum.notes.map((note) => h('li', {}, note))) : null);
}

/* ------------------------------------------------------------------ sharpness */

export function sharpnessSection(report: Report, prefix: string): HTMLElement | null {
  const sharpness = report.sharpness;
  if (!sharpness) return null;
  const canonical = report.canonical?.sharpness;
  const table = h('table', { class: 'data-table sharpness-table', 'data-testid': 'sharpness-table' },
    h('caption', {}, 'Loss increase within a relative radius ρ of the weights'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'ρ'), h('th', { scope: 'col' }, 'Adaptive (worst case), raw'), canonical ? h('th', { scope: 'col' }, 'canonical') : null,
      h('th', { scope: 'col' }, 'Gaussian average, raw'), canonical ? h('th', { scope: 'col' }, 'canonical') : null)),
    h('tbody', {}, ...sharpness.adaptive.map((entry, r) => {
      const average = sharpness.average[r];
      return h('tr', {},
        h('th', { scope: 'row' }, formatNumber(entry.rho)),
        h('td', {}, formatNumber(entry.lossIncrease)),
        canonical ? h('td', {}, formatNumber(canonical.adaptive[r]?.lossIncrease)) : null,
        h('td', {}, average ? `${formatNumber(average.mean)} ± ${formatNumber(average.standardError, 2)}` : 'n/a'),
        canonical ? h('td', {}, canonical.average[r] ? `${formatNumber(canonical.average[r]!.mean)} ± ${formatNumber(canonical.average[r]!.standardError, 2)}` : 'n/a') : null);
    })));
  return section('sharpness', prefix, 'Adaptive sharpness',
    tells('How far the training loss can rise when every weight moves by at most a fraction ρ of itself: smaller is flatter, and rescaling neurons does not change it.'),
    h('div', { class: 'table-wrap' }, table),
    h('p', { class: 'definition' }, h('strong', {}, 'Definition. '), sharpness.definition, '.'),
    h('p', { class: 'muted' }, `Loss at the model: ${formatNumber(sharpness.baseLoss)}. The worst case is found by projected gradient ascent, so it bounds the true maximum from below.`));
}

/* ------------------------------------------------------------------ landscape */

const DIRECTION_LABELS: Record<ReportLandscapeCurve['direction'], string> = {
  random: 'random direction',
  'top-eigenvector': 'top eigenvector',
  orbit: 'rescaling orbit',
};

function curvesChart(name: string, canvas: HTMLCanvasElement, rows: { label: string; landscape: ReportLandscape }[]): number {
  const theme = chartTheme();
  const palette = [theme.primary, theme.highlight, theme.reference];
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = [];
  const directions = ['random', 'top-eigenvector'] as const;
  let positive = true;
  rows.forEach((row, r) => directions.forEach((direction, d) => {
    const curve = row.landscape.oneD.find((c) => c.direction === direction);
    if (!curve) return;
    positive &&= curve.loss.every((value) => value > 0);
    datasets.push({
      label: `${DIRECTION_LABELS[direction]}, ${row.label}${r === 0 ? '' : ' (dashed)'}`,
      data: curve.coordinates.map((x, i) => ({ x, y: curve.loss[i] ?? NaN })),
      borderColor: palette[d],
      backgroundColor: palette[d],
      borderDash: r === 0 ? [] : [6, 4],
      pointRadius: 0,
      pointStyle: d === 0 ? 'circle' : 'triangle',
      borderWidth: theme.highContrast ? 3 : 2,
    });
  }));
  if (datasets.length === 0) return 0;
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: { datasets },
    options: {
      ...baseOptions(theme), parsing: false,
      scales: { x: linearAxis(theme, 'step s along the direction (scaled to the weights, neuron by neuron)'), y: positive ? logAxis(theme, 'training loss (log scale)') : linearAxis(theme, 'training loss') },
    },
  };
  register(name, canvas, config as ChartConfiguration, datasets.reduce((sum, set) => sum + set.data.length, 0));
  return datasets.length;
}

/** Loss along t_j = t for every neuron: flat, drawn against a +-1% band so that "flat" has a scale. */
function orbitLossChart(name: string, canvas: HTMLCanvasElement, rows: { label: string; curve: ReportLandscapeCurve }[], base: number): void {
  const theme = chartTheme();
  const palette = [theme.primary, theme.highlight];
  const ts = rows[0]!.curve.coordinates.map(Math.exp);
  const datasets: ChartConfiguration<'line'>['data']['datasets'] = rows.map((row, r) => ({
    label: `loss along the orbit, ${row.label}${r === 0 ? '' : ' (dashed)'}`,
    data: row.curve.coordinates.map((s, i) => ({ x: Math.exp(s), y: row.curve.loss[i] ?? NaN })),
    borderColor: palette[r % 2],
    backgroundColor: palette[r % 2],
    borderDash: r === 0 ? [] : [6, 4],
    pointRadius: 0,
    borderWidth: theme.highContrast ? 3 : 2,
  }));
  const band = Math.abs(base) * 0.01 || 1e-12;
  for (const sign of [-1, 1]) {
    datasets.push({
      label: sign < 0 ? "±1% of the model's loss (dotted)" : '',
      data: [{ x: ts[0]!, y: base + sign * band }, { x: ts[ts.length - 1]!, y: base + sign * band }],
      borderColor: theme.muted, backgroundColor: theme.muted, borderDash: [2, 3], pointRadius: 0, borderWidth: 1,
    });
  }
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: { datasets },
    options: {
      ...baseOptions(theme), parsing: false,
      plugins: { ...baseOptions(theme).plugins, legend: { labels: { color: theme.foreground, filter: (item) => item.text !== '' } } },
      scales: {
        x: logAxis(theme, 'common rescaling t of every neuron (log scale)'),
        y: { ...linearAxis(theme, 'training loss'), min: base - 2 * band, max: base + 2 * band },
      },
    },
  };
  register(name, canvas, config as ChartConfiguration, rows.reduce((sum, row) => sum + row.curve.loss.length, 0));
}

/** Perceptually ordered, color-blind safe (viridis), sampled at 9 stops. */
const VIRIDIS = ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'];

function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const k = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const mix = (a: string, b: string, f: number): number => Math.round(parseInt(a, 16) * (1 - f) + parseInt(b, 16) * f);
  const [a, b] = [VIRIDIS[k]!, VIRIDIS[k + 1]!];
  const f = x - k;
  return `rgb(${mix(a.slice(1, 3), b.slice(1, 3), f)},${mix(a.slice(3, 5), b.slice(3, 5), f)},${mix(a.slice(5, 7), b.slice(5, 7), f)})`;
}

/** The 2D landscape as a heat map of log10(loss) with its color scale, the model ringed at the center. */
export function drawSurface(name: string, canvas: HTMLCanvasElement, surface: ReportLandscapeSurface): void {
  const theme = chartTheme();
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.parentElement?.clientWidth || 600;
  const height = 360;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.classList.add('heatmap');
  const g = canvas.getContext('2d')!;
  g.scale(ratio, ratio);
  const font = `12px ${theme.font}`;
  g.font = font;
  const size = Math.min(height - 70, width - 230);
  const left = 70;
  const top = 12;
  const nx = surface.x.length;
  const ny = surface.y.length;
  const logs = surface.loss.flat().map((v) => Math.log10(Math.max(v, 1e-300))).sort((a, b) => a - b);
  // The model's own cell can sit many decades below the rest (an interpolator at ~0 loss): the color
  // scale starts at the 2nd percentile so that the basin's shape shows; lower cells get the lowest color.
  const floorLog = logs[Math.floor(0.02 * (logs.length - 1))]!;
  const low = floorLog;
  const high = logs[logs.length - 1]!;
  const clipped = logs[0]! < floorLog;
  const level = (v: number): number => (high > low ? Math.max(0, (v - low) / (high - low)) : 0);
  const cw = size / nx;
  const ch = size / ny;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      g.fillStyle = viridis(level(Math.log10(Math.max(surface.loss[iy]![ix]!, 1e-300))));
      g.fillRect(left + ix * cw, top + (ny - 1 - iy) * ch, cw + 0.5, ch + 0.5);
    }
  }
  // The model sits at the center of the plane (x = y = 0): a ring in both white and black shows on any color.
  const cx = left + (surface.x.findIndex((x) => x >= 0) + 0.5) * cw;
  const cy = top + (ny - 0.5 - surface.y.findIndex((y) => y >= 0)) * ch;
  for (const [color, widthPx, radius] of [['#000000', 4, 7], ['#ffffff', 2, 7]] as const) {
    g.strokeStyle = color;
    g.lineWidth = widthPx;
    g.beginPath();
    g.arc(cx, cy, radius, 0, 2 * Math.PI);
    g.stroke();
  }
  g.fillStyle = theme.foreground;
  g.textAlign = 'center';
  g.fillText(formatNumber(surface.x[0]!, 3), left, top + size + 16);
  g.fillText(formatNumber(surface.x[nx - 1]!, 3), left + size, top + size + 16);
  g.fillText('x along d1', left + size / 2, top + size + 32);
  g.textAlign = 'right';
  g.fillText(formatNumber(surface.y[ny - 1]!, 3), left - 6, top + 10);
  g.fillText(formatNumber(surface.y[0]!, 3), left - 6, top + size);
  g.save();
  g.translate(18, top + size / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  g.fillText('y along d2', 0, 0);
  g.restore();
  // Color scale.
  const barX = left + size + 24;
  const steps = 48;
  for (let k = 0; k < steps; k++) {
    g.fillStyle = viridis((k + 0.5) / steps);
    g.fillRect(barX, top + size - ((k + 1) * size) / steps, 16, size / steps + 0.5);
  }
  g.strokeStyle = theme.foreground;
  g.lineWidth = 1;
  g.strokeRect(barX, top, 16, size);
  g.fillStyle = theme.foreground;
  g.textAlign = 'left';
  const decades = Math.max(1, Math.ceil(high) - Math.floor(low));
  const stride = Math.max(1, Math.ceil(decades / 6));
  for (let e = Math.ceil(low); e <= Math.floor(high); e += stride) {
    const y = top + size - level(e) * size;
    if (y < top + 22 || y > top + size - 16) continue;
    g.fillRect(barX + 16, y, 4, 1);
    g.fillText(`1e${e}`, barX + 24, y + 4);
  }
  g.fillText(`max ${formatNumber(Math.pow(10, high), 3)}`, barX + 24, top + 10);
  g.fillText(`${clipped ? '≤ ' : 'min '}${formatNumber(Math.pow(10, low), 3)}`, barX + 24, top + size);
  if (clipped) g.fillText(`(lowest: ${formatNumber(Math.pow(10, logs[0]!), 3)})`, barX + 24, top + size + 16);
  g.save();
  g.translate(barX + 120, top + size / 2);
  g.rotate(-Math.PI / 2);
  g.textAlign = 'center';
  g.fillText('training loss (log color scale)', 0, 0);
  g.restore();
  registerCanvas(name, canvas, nx * ny);
}

export function landscapeSection(report: Report, prefix: string): HTMLElement | null {
  const landscape = report.landscape;
  if (!landscape) return null;
  const canonical = report.canonical?.landscape;
  const rows = [{ label: 'raw', landscape }, ...(canonical ? [{ label: 'canonical', landscape: canonical }] : [])];
  const directions = chartBox('Training loss along a random direction and the top eigenvector, raw and canonical');
  const hasCurves = landscape.oneD.some((c) => c.direction !== 'orbit');
  if (hasCurves) afterMount(() => curvesChart(`${prefix}landscape`, directions.canvas, rows));
  const orbitRows = rows.flatMap((row) => {
    const curve = row.landscape.oneD.find((c) => c.direction === 'orbit');
    return curve ? [{ label: row.label, curve }] : [];
  });
  const orbit = chartBox('Training loss along the rescaling orbit: flat within the ±1% band', 'small');
  if (orbitRows.length) afterMount(() => orbitLossChart(`${prefix}orbit-loss`, orbit.canvas, orbitRows, landscape.baseLoss));
  const orbitSpread = orbitRows.length ? Math.max(...orbitRows[0]!.curve.loss) - Math.min(...orbitRows[0]!.curve.loss) : null;
  const surfaces = [landscape.twoD ? { label: 'raw', surface: landscape.twoD } : null, canonical?.twoD ? { label: 'canonical', surface: canonical.twoD } : null]
    .filter((entry): entry is { label: string; surface: ReportLandscapeSurface } => entry !== null);
  const maps = surfaces.map((entry) => {
    const box = chartBox(`Heat map of the training loss on a ${entry.surface.x.length} by ${entry.surface.y.length} grid around the model (${entry.label}): from ${formatNumber(Math.min(...entry.surface.loss.flat()), 3)} to ${formatNumber(Math.max(...entry.surface.loss.flat()), 3)}`);
    box.box.classList.add('heatmap-box');
    afterMount(() => drawSurface(`${prefix}surface-${entry.label}`, box.canvas, entry.surface));
    return h('figure', { class: 'surface' }, h('figcaption', {}, `${entry.label === 'raw' ? 'Raw parameters' : 'Canonical rescaling'}: ${entry.surface.description}`), box.box);
  });
  return section('landscape', prefix, 'Loss landscape',
    tells('The training loss around the model: a wide, shallow valley is flat, a narrow one sharp. Along the rescaling orbit the loss cannot change, whatever the raw trace says.'),
    hasCurves ? h('h3', {}, 'Along a random direction and the top eigenvector') : null,
    hasCurves ? directions.box : null,
    orbitRows.length ? h('h3', {}, 'Along the rescaling orbit') : null,
    orbitRows.length ? orbit.box : null,
    orbitSpread !== null ? h('p', { class: 'muted' }, `The loss varies by ${formatNumber(orbitSpread, 2)} over t = ${formatNumber(Math.exp(orbitRows[0]!.curve.coordinates[0]!), 3)} to ${formatNumber(Math.exp(orbitRows[0]!.curve.coordinates[orbitRows[0]!.curve.coordinates.length - 1]!), 3)}: rescaling does not change the function.`) : null,
    maps.length ? h('h3', {}, 'On a plane through the model (ringed)') : null,
    ...maps,
    h('p', { class: 'muted' }, `${landscape.normalization}.${landscape.notes.length ? ' ' + landscape.notes.join('; ') + '.' : ''}`));
}

/* ------------------------------------------------------------------ canonical */

export function canonicalSection(report: Report, prefix: string): HTMLElement | null {
  const canonical = report.canonical;
  if (!canonical) return null;
  if (!canonical.available) {
    return section('canonical', prefix, 'Canonical rescaling',
      tells('The curvature sections show the raw parameters only: this model has no canonical representative.'),
      h('p', {}, `Not available: ${canonical.reason ?? 'no reason given'}.`));
  }
  const scales = canonical.scales ?? [];
  const finite = scales.filter((t) => Number.isFinite(t) && t > 0);
  return section('canonical', prefix, 'Canonical rescaling',
    tells('"Canonical" is the same function with every neuron rescaled to its flattest scale t*_j, where curvature no longer depends on how the weights happen to be scaled; compare it with "raw" in the sections above.'),
    h('p', {}, finite.length
      ? `${finite.length} neuron(s) rescaled, t*_j from ${formatNumber(Math.min(...finite), 3)} to ${formatNumber(Math.max(...finite), 3)}`
        + `${canonical.unscaledNeurons ? `; ${canonical.unscaledNeurons} without a finite t*_j left at t = 1` : ''}.`
      : 'No neuron has a finite t*_j: the canonical point is the model itself.'));
}
