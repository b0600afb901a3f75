/**
 * The model view (custom editor): the architecture line, each tensor's shape, dtype and
 * statistics, a histogram of the per-neuron weight norms, the activation and where it came from,
 * the associated data; files it cannot analyze say why, with Analyze disabled; data files are
 * named as data.
 */
import type { ChartConfiguration } from 'chart.js';
import type { AssociatedData, ModelSummary, WireError } from '../src/shared/protocol';
import { architectureLabel, biasLabel, formatNumber } from '../src/shared/format';
import { afterMount, h } from './dom';
import { baseOptions, register } from './charts';
import { chartTheme } from './theme';
import { button, icon, tells, type Post } from './parts';

const DATA_FILE_MARK = 'holds data, not a model';

const ACTIVATION_SOURCE: Record<ModelSummary['activationSource'], string> = {
  file: 'read from the file',
  option: 'given in the settings (flatnessLens.defaultActivation) or the sidecar file',
  assumed: 'assumed: the file does not store it (set flatnessLens.defaultActivation if it is not ReLU)',
};

const DATA_SOURCE: Record<AssociatedData['source'], string> = {
  picked: 'chosen by you',
  sidecar: 'from the sidecar file',
  example: 'bundled example',
  request: 'given',
};

/** Equal-width bins over [0, max]: counts per bin. */
export function histogram(values: readonly number[], bins: number): { edges: number[]; counts: number[] } {
  const max = Math.max(...values, 0);
  const width = max > 0 ? max / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const value of values) counts[Math.min(bins - 1, Math.floor(value / width))]! += 1;
  return { edges: Array.from({ length: bins + 1 }, (_, k) => k * width), counts };
}

function normsChart(name: string, canvas: HTMLCanvasElement, inputNorm: number[], outputNorm: number[]): void {
  const theme = chartTheme();
  const bins = Math.min(20, Math.max(5, Math.ceil(Math.sqrt(inputNorm.length))));
  // One shared set of bins over the larger range, so the two histograms read on one axis.
  const both = histogram([...inputNorm, ...outputNorm], bins);
  const count = (values: number[]) => {
    const width = both.edges[1]!;
    const counts = new Array<number>(bins).fill(0);
    for (const value of values) counts[Math.min(bins - 1, Math.floor(value / width))]! += 1;
    return counts;
  };
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: both.edges.slice(0, -1).map((low, k) => `${formatNumber(low, 2)}–${formatNumber(both.edges[k + 1]!, 2)}`),
      datasets: [
        { label: 'input weights ||(w_j, b_j)|| (solid)', data: count(inputNorm), backgroundColor: theme.primary, borderColor: theme.primary, borderWidth: 1 },
        { label: 'output weights ||a_j|| (outlined)', data: count(outputNorm), backgroundColor: 'transparent', borderColor: theme.highlight, borderWidth: 2 },
      ],
    },
    options: {
      ...baseOptions(theme),
      scales: {
        x: { title: { display: true, text: 'norm' }, grid: { display: false }, ticks: { color: theme.foreground, maxRotation: 45, autoSkip: true } },
        y: { title: { display: true, text: 'neurons' }, grid: { color: theme.grid }, ticks: { color: theme.foreground, precision: 0 } },
      },
    },
  };
  register(name, canvas, config as ChartConfiguration, inputNorm.length + outputNorm.length);
}

function tensorTable(summary: ModelSummary): HTMLElement | null {
  const tensors = summary.statistics?.tensors;
  if (!tensors?.length) return h('p', { class: 'muted' }, `Tensors: ${summary.tensorNames.join(', ')}`);
  const columns = ['Role', 'Name in the file', 'Shape', 'Dtype', 'Min', 'Max', 'Mean', 'Std', 'Norm'];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'data-table tensor-table', 'data-testid': 'tensor-table' },
    h('caption', {}, 'Tensors as stored in the file (statistics over all their values)'),
    h('thead', {}, h('tr', {}, ...columns.map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, ...tensors.map((tensor) => h('tr', {},
      h('th', { scope: 'row' }, tensor.role), h('td', {}, h('code', {}, tensor.name)), h('td', {}, `[${tensor.shape.join(', ')}]`), h('td', {}, tensor.dtype),
      h('td', {}, formatNumber(tensor.min)), h('td', {}, formatNumber(tensor.max)), h('td', {}, formatNumber(tensor.mean)),
      h('td', {}, formatNumber(tensor.std)), h('td', {}, formatNumber(tensor.norm)))))));
}

function dataLines(data: AssociatedData | null | undefined, modelUri: string, post: Post): HTMLElement {
  return h('section', { class: 'panel', 'data-testid': 'associated-data' },
    h('h2', {}, 'Data'),
    data
      ? h('dl', { class: 'kv' },
        h('dt', {}, 'Training data'), h('dd', {}, h('code', {}, data.trainingLabel), ` (${DATA_SOURCE[data.source]})`),
        h('dt', {}, 'Test data'), h('dd', {}, data.testLabel ? h('code', {}, data.testLabel) : 'none (no measured test loss)'))
      : h('p', { class: 'muted' }, 'No training data is associated yet: Analyze asks for it once (files beside the model first) and remembers it.'),
    h('div', { class: 'actions' }, button(data ? 'Change data…' : 'Choose data…', 'database', () => post({ type: 'changeTrainingData', modelUri }))));
}

function problemView(name: string, error: WireError, data: AssociatedData | null | undefined, modelUri: string, post: Post): HTMLElement {
  const isData = error.message.includes(DATA_FILE_MARK);
  const message = error.message.replace(/^.*?: (?=holds data)/, '');
  return h('article', { class: 'summary-view' },
    h('h1', { 'data-testid': 'verdict' }, name),
    isData
      ? h('section', { class: 'notice', role: 'note', 'data-testid': 'data-file' },
        h('p', {}, icon('database'), ' ', h('strong', {}, 'This is a data file. '), `It ${message}`))
      : h('section', { class: 'notice notice-error', role: 'alert', 'data-testid': 'unsupported' },
        h('p', {}, icon('circle-slash'), ' ', h('strong', {}, error.code === 'unsupported' ? 'Flatness Lens cannot analyze this model. ' : 'This file could not be read. '), error.message)),
    h('div', { class: 'actions' },
      button('Analyze flatness', 'play', () => undefined, false, { disabled: 'true', 'aria-disabled': 'true', title: isData ? 'A data file is not a model' : 'This file cannot be analyzed (see above)', 'data-testid': 'analyze-button' })),
    isData ? null : dataLines(data, modelUri, post));
}

export function modelView(summary: ModelSummary | null, error: WireError | null, data: AssociatedData | null | undefined, modelUri: string, post: Post): HTMLElement {
  const name = decodeURIComponent(modelUri.split('/').pop() ?? modelUri);
  if (error) return problemView(name, error, data, modelUri, post);
  if (!summary) return h('article', { class: 'summary-view', 'aria-busy': 'true' }, h('h1', { 'data-testid': 'verdict' }, name), h('p', {}, 'Reading the model…'));
  const architecture = architectureLabel({ model: summary });
  const homogeneous = summary.homogeneityDegree === null
    ? 'not positively homogeneous: the Hessian trace is exact, the symmetry-normalized measures are not defined'
    : `positively homogeneous of degree k = ${summary.homogeneityDegree}: the rescaling symmetry applies`;
  const stats = summary.statistics;
  const canvas = h('canvas', { role: 'img', 'aria-label': `Histogram of the per-neuron weight norms of ${summary.hiddenDim} hidden neurons` });
  if (stats) afterMount(() => normsChart('weight-norms', canvas, stats.neurons.inputNorm, stats.neurons.outputNorm));
  const dead = stats ? stats.neurons.inputNorm.filter((norm, j) => norm === 0 || stats.neurons.outputNorm[j] === 0).length : 0;
  return h('article', { class: 'summary-view' },
    h('h1', { 'data-testid': 'verdict' }, name),
    h('p', { class: 'architecture', 'data-testid': 'architecture' }, h('strong', {}, architecture), ` · ${biasLabel({ model: summary })} · ${summary.parameters} parameters · ${summary.format}`),
    h('p', { class: 'muted' }, 'Two-layer network f(x) = Σ_j a_j σ(w_j · x + b_j) + c0, read without executing anything from the file.'),
    h('dl', { class: 'kv' },
      h('dt', {}, 'Activation σ'), h('dd', { 'data-testid': 'activation' }, `${summary.activation}, ${ACTIVATION_SOURCE[summary.activationSource]}`),
      h('dt', {}, 'Symmetry'), h('dd', {}, homogeneous),
      h('dt', {}, 'Output link'), h('dd', {}, summary.outputLink === 'identity' ? 'none (the network output is the prediction)' : `${summary.outputLink}, stored in the file`),
      ...(summary.checkpoint ? [h('dt', {}, 'Checkpoint'), h('dd', {}, [summary.checkpoint.step !== undefined ? `step ${summary.checkpoint.step}` : '', summary.checkpoint.epoch !== undefined ? `epoch ${summary.checkpoint.epoch}` : ''].filter(Boolean).join(', '))] : [])),
    h('div', { class: 'actions' },
      button('Analyze flatness', 'play', () => post({ type: 'analyze', modelUri }), false, { 'data-testid': 'analyze-button' })),
    h('section', { class: 'panel' }, h('h2', {}, 'Tensors'), tensorTable(summary)),
    stats ? h('section', { class: 'panel' },
      h('h2', {}, 'Per-neuron weight norms'),
      tells('How the weight is spread over the hidden neurons: the rescaling symmetry trades ||w_j|| against ||a_j||, so a network whose two norms differ a lot per neuron has a raw Hessian trace far from its normalized flatness.'),
      h('div', { class: 'chart-box small' }, canvas),
      h('p', { class: 'muted' }, `${summary.hiddenDim} hidden neurons${dead ? `; ${dead} with a zero weight vector (never contribute)` : ''}.`)) : null,
    dataLines(data, modelUri, post),
    summary.notes.length ? h('ul', { class: 'notes' }, ...summary.notes.map((note) => h('li', {}, note))) : null);
}
