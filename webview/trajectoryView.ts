/** A watched training run: raw trace and F_sym on one log axis, the ratio with R = 1, the losses, the checkpoints. */
import type { ChartConfiguration } from 'chart.js';
import type { TrajectoryPoint, TrajectoryRunView } from '../src/shared/trajectory';
import { formatNumber } from '../src/shared/format';
import { afterMount, h } from './dom';
import { baseOptions, decadeLabel, register } from './charts';
import { chartTheme } from './theme';
import { card, tells, type Post } from './parts';

type Dataset = ChartConfiguration<'line'>['data']['datasets'][number];

function xOf(points: readonly TrajectoryPoint[]): { x: (p: TrajectoryPoint, i: number) => number; label: string } {
  if (points.length > 0 && points.every((p) => p.step !== null)) {
    return { x: (p) => p.step!, label: points.every((p) => p.stepKind === 'epoch') ? 'epoch' : 'step' };
  }
  return { x: (_p, i) => i + 1, label: 'checkpoint (in order)' };
}

function series(label: string, color: string, points: readonly TrajectoryPoint[], value: (p: TrajectoryPoint) => number | null | undefined,
  x: (p: TrajectoryPoint, i: number) => number, dashed = false): Dataset | null {
  const data = points.flatMap((p, i) => {
    const y = value(p);
    return typeof y === 'number' && Number.isFinite(y) && y > 0 ? [{ x: x(p, i), y }] : [];
  });
  if (data.length === 0) return null;
  const theme = chartTheme();
  return {
    label, data, borderColor: color, backgroundColor: color, pointRadius: 3, borderWidth: theme.highContrast ? 3 : 2,
    ...(dashed ? { borderDash: [6, 4] } : {}),
  };
}

function lineChart(name: string, datasets: Array<Dataset | null>, xLabel: string, yLabel: string): HTMLElement | null {
  const present = datasets.filter((d): d is Dataset => d !== null);
  if (present.length === 0) return null;
  const canvas = h('canvas', { 'aria-label': `${yLabel} over training`, role: 'img' });
  const points = present.reduce((sum, d) => sum + d.data.length, 0);
  afterMount(() => {
    const theme = chartTheme();
    register(name, canvas, {
      type: 'line',
      data: { datasets: present },
      options: {
        ...baseOptions(theme),
        parsing: false,
        scales: {
          x: { type: 'linear', title: { display: true, text: xLabel }, grid: { color: theme.grid }, ticks: { color: theme.foreground } },
          y: { type: 'logarithmic', title: { display: true, text: yLabel }, grid: { color: theme.grid }, ticks: { color: theme.foreground, callback: (value) => decadeLabel(value) } },
        },
      },
    } as ChartConfiguration, points);
  });
  return h('div', { class: 'chart-box' }, canvas);
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

export function trajectoryView(run: TrajectoryRunView, post: Post): HTMLElement {
  const theme = chartTheme();
  const points = run.points;
  const { x, label } = xOf(points);
  const latest = points[points.length - 1];
  const status = run.watching
    ? `Watching ${run.folderLabel}${run.pending.length ? `: analyzing ${run.pending.length} new checkpoint${run.pending.length === 1 ? '' : 's'}` : ''}`
    : `Stopped watching ${run.folderLabel}`;
  const ones = points.length ? [{ x: x(points[0]!, 0), y: 1 }, { x: x(points[points.length - 1]!, points.length - 1), y: 1 }] : [];
  const flatness = lineChart('trajectory-flatness', [
    series('raw trace tr H', theme.primary, points, (p) => p.rawTrace, x),
    series('normalized flatness F_sym', theme.reference, points, (p) => p.normalizedFlatness, x),
    series('certified bound F_LB', theme.muted, points, (p) => p.lowerBound, x, true),
  ], label, 'flatness');
  const ratio = lineChart('trajectory-ratio', [
    series('ratio R = F_sym / F_LB', theme.highlight, points, (p) => p.ratio, x),
    ones.length ? { label: 'R = 1 (the flattest possible)', data: ones, borderColor: theme.muted, backgroundColor: theme.muted, borderDash: [2, 3], pointRadius: 0, borderWidth: 1 } : null,
  ], label, 'ratio R');
  const losses = lineChart('trajectory-loss', [
    series('training loss', theme.primary, points, (p) => p.trainingLoss, x),
    series('test loss', theme.negative, points, (p) => p.testLoss, x),
    series('predicted test loss', theme.highlight, points, (p) => p.predictedTestLoss, x, true),
  ], label, 'loss');
  const rows = points.map((p, i) => ({ p, uri: run.uris[i] })).reverse().map(({ p, uri }) => {
    const open = h('a', { href: '#', title: p.path }, baseName(p.path));
    open.addEventListener('click', (event) => {
      event.preventDefault();
      if (uri) post({ type: 'openFile', uri });
    });
    return h('tr', { class: `verdict-row verdict-${p.verdict.level}` },
      h('td', {}, p.step === null ? '-' : String(p.step)),
      h('th', { scope: 'row' }, open),
      h('td', {}, formatNumber(p.trainingLoss)),
      h('td', {}, formatNumber(p.rawTrace)),
      h('td', {}, formatNumber(p.normalizedFlatness)),
      h('td', { 'data-testid': 'trajectory-ratio' }, formatNumber(p.ratio)),
      h('td', {}, p.testLoss === undefined ? 'n/a' : formatNumber(p.testLoss)),
      h('td', {}, p.interpolates ? 'yes' : 'no'));
  });
  return h('article', { class: 'trajectory-view' },
    h('header', { class: `verdict verdict-${latest?.verdict.level ?? 'not-applicable'}` },
      h('h1', { class: 'verdict-headline', 'data-testid': 'verdict' }, latest ? `${baseName(latest.path)}: ${latest.verdict.headline}` : 'Waiting for checkpoints'),
      h('p', { class: 'muted', 'data-testid': 'trajectory-status' }, `${status}. Training data: ${run.dataLabel}.`)),
    h('div', { class: 'cards' },
      card('Checkpoints analyzed', String(points.length), run.pending.length ? `${run.pending.length} waiting` : 'none waiting', 'trajectory-count'),
      card('Latest ratio R', formatNumber(latest?.ratio ?? null), 'F_sym / F_LB; 1 is the flattest possible', 'trajectory-latest-ratio'),
      card('Latest raw trace', formatNumber(latest?.rawTrace ?? null), 'moves with rescaling; F_sym does not', 'trajectory-latest-trace')),
    h('section', { class: 'panel' },
      h('h2', {}, 'Raw trace and normalized flatness'),
      tells('the raw Hessian trace changes when the optimizer rescales neurons without changing the function; F_sym and the ratio below do not.'),
      flatness ?? h('p', { class: 'muted' }, 'No checkpoint analyzed yet.')),
    h('section', { class: 'panel' }, h('h2', {}, 'Flatness ratio'), ratio ?? h('p', { class: 'muted' }, 'No ratio yet.')),
    h('section', { class: 'panel' }, h('h2', {}, 'Losses'), losses ?? h('p', { class: 'muted' }, 'No losses yet.')),
    h('section', { class: 'panel' }, h('h2', {}, 'Checkpoints (latest first)'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', 'data-testid': 'trajectory-table' },
        h('thead', {}, h('tr', {}, ...['Step', 'Checkpoint', 'Training loss', 'Raw trace', 'F_sym', 'Ratio R', 'Test loss', 'Interpolates'].map((l) => h('th', { scope: 'col' }, l)))),
        h('tbody', {}, ...rows)))),
    run.failures.length ? h('section', { class: 'panel' }, h('h2', {}, 'Checkpoints that could not be analyzed'),
      h('ul', {}, ...run.failures.map((f) => h('li', {}, h('code', {}, baseName(f.path)), `: ${f.message}`)))) : null);
}
