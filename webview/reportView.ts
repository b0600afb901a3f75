/** The report: verdict header, metric cards, orbit chart, per-neuron chart and table, details, extra sections. */
import type { MaybeNumber, NeuronRow, Report } from '../src/shared/report';
import type { ReportContext } from '../src/shared/protocol';
import { backendLabel, kernelsLabel } from '../src/shared/backendLabel';
import { formatMaybe, formatMs, formatNumber, neuronState, neuronStatusText, rarelyActiveThreshold } from '../src/shared/format';
import { afterMount, h } from './dom';
import { isRarelyActive, neuronChart, neuronValue, orbitChart, sortNeurons, type NeuronSort } from './charts';
import { presentSections, sectionRenderer } from './sections';
import { button, card, icon, tells, type Post, type Tone } from './parts';

export type { Post };
export { card };

export function humanize(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const LEVEL_ICON: Record<Report['verdict']['level'], string> = {
  flat: 'pass-filled',
  'in-between': 'warning',
  sharp: 'flame',
  'not-applicable': 'circle-slash',
};


export function verdictHeader(report: Report, context: ReportContext | null, post: Post, headingLevel: 'h1' | 'h2' = 'h1'): HTMLElement {
  const level = report.verdict.level;
  return h('header', { class: `verdict verdict-${level}` },
    h('div', { class: 'verdict-line' },
      h('span', { class: `codicon codicon-${LEVEL_ICON[level]} verdict-icon`, 'aria-hidden': 'true' }),
      h(headingLevel, { class: 'verdict-headline', 'data-testid': 'verdict' }, report.verdict.headline)),
    h('p', { class: 'verdict-explanation' }, report.verdict.explanation),
    context ? provenance(report, context, post) : null);
}

function provenance(report: Report, context: ReportContext, post: Post): HTMLElement {
  const dataSource = { picked: 'chosen by you', sidecar: 'from the sidecar file', example: 'bundled example', request: 'given' }[context.dataSource];
  return h('div', { class: 'provenance' },
    h('p', {},
      h('span', { class: 'label' }, 'Model '), h('code', {}, context.modelLabel),
      ` (${report.model.format}, d = ${report.model.inputDim}, m = ${report.model.hiddenDim}, c = ${report.model.outputDim}, ${report.model.activation}) `),
    h('p', {},
      h('span', { class: 'label' }, 'Training data '), h('code', { 'data-testid': 'training-data' }, context.dataLabel),
      ` (n = ${report.data.n}, ${dataSource}) `),
    h('div', { class: 'actions' },
      button('Change training data…', 'database', () => post({ type: 'changeTrainingData', modelUri: context.modelUri })),
      button('Re-analyze', 'refresh', () => post({ type: 'analyze', modelUri: context.modelUri })),
      report.prediction ? null : button('Predict generalization', 'graph-scatter', () => post({ type: 'predict', modelUri: context.modelUri })),
      button('JSON', 'json', () => post({ type: 'export', format: 'json' })),
      button('HTML', 'file-code', () => post({ type: 'export', format: 'html' })),
      button('Markdown', 'markdown', () => post({ type: 'export', format: 'markdown' })),
      button('CSV', 'table', () => post({ type: 'export', format: 'csv' })),
      button('PNG', 'file-media', () => post({ type: 'export', format: 'png' }))));
}

/** A card for a number the theory may leave undefined: "not defined" large, the reason small. */
function maybeCard(label: string, value: MaybeNumber, hint: string, testId: string, tone: Tone = ''): HTMLElement {
  return value.value === null
    ? card(label, 'not defined', value.reason ?? hint, testId, 'undefined')
    : card(label, formatNumber(value.value), hint, testId, tone);
}

export function metricCards(report: Report): HTMLElement {
  const f = report.flatness;
  // The verdict is the one judge of the ratio (its thresholds live in the engine).
  const ratioTone: Tone = f.ratio.value === null || !report.interpolation.interpolates ? '' : ({ flat: 'good', 'in-between': 'warn', sharp: 'bad', 'not-applicable': '' } as const)[report.verdict.level];
  return h('section', { class: 'cards', 'aria-label': 'Key metrics' },
    card('Hessian trace', formatNumber(f.trace), 'raw flatness tr H (changes under rescaling)', 'metric-trace'),
    maybeCard('Normalized flatness', f.normalized, 'F_sym: the flattest this function can be made by rescaling', 'metric-normalized'),
    maybeCard('Certified lower bound', f.lowerBound, 'F_LB: no interpolator of this data is flatter', 'metric-bound'),
    maybeCard('Flatness ratio', f.ratio, `R = F_sym / F_LB >= 1; near 1 is the flattest order${ratioTone ? ` (verdict: ${report.verdict.headline.split(':')[0]!.toLowerCase()})` : ''}`, 'metric-ratio', ratioTone),
    card(`Training loss`, formatNumber(report.loss.value), report.loss.convention, 'metric-loss'),
    card('Interpolation', report.interpolation.interpolates ? 'interpolates' : 'does not interpolate', report.interpolation.criterion, 'metric-interpolation', report.interpolation.interpolates ? 'good' : 'warn'),
    report.test ? card('Test loss', formatNumber(report.test.loss), `measured on ${report.test.path.split(/[\\/]/).pop()} (n = ${report.test.n})`, 'metric-test') : null);
}

function orbitSection(report: Report, prefix: string): HTMLElement {
  const f = report.flatness;
  const canvas = h('canvas', { role: 'img', 'aria-label': `Raw Hessian trace at ${f.orbit.length} rescalings t from ${formatNumber(f.orbit[0]?.t ?? 0)} to ${formatNumber(f.orbit[f.orbit.length - 1]?.t ?? 0)}, against the normalized flatness ${formatMaybe(f.normalized)}` });
  afterMount(() => orbitChart(`${prefix}orbit`, canvas, f.orbit, f.normalized.value));
  return h('section', { class: 'panel', 'aria-labelledby': `${prefix}orbit-title` },
    h('h2', { id: `${prefix}orbit-title` }, 'The rescaling symmetry'),
    tells('Why the raw Hessian trace cannot be trusted alone: rescaling every neuron (a_j -> t^-k a_j, w_j -> t w_j) leaves the function unchanged but moves the trace anywhere; the normalized flatness F_sym is its minimum and does not move.'),
    f.orbit.length > 0 ? h('div', { class: 'chart-box' }, canvas) : h('p', {}, 'No orbit was computed.'));
}

const SORT_LABELS: Record<NeuronSort, string> = { index: 'neuron index', contribution: 'contribution (largest first)', active: 'active samples (fewest first)', scale: 'distance from flattest scaling' };

function neuronSection(report: Report, prefix: string): HTMLElement {
  const f = report.flatness;
  const n = report.data.n;
  const normalizedAvailable = f.perNeuron.some((row) => row.normalized !== null);
  const rare = f.perNeuron.filter((row) => isRarelyActive(row, n)).length;
  const dead = f.perNeuron.filter((row) => row.status === 'dead').length;
  const canvas = h('canvas', { role: 'img', 'aria-label': `Flatness contribution of each of ${f.perNeuron.length} hidden neurons` });
  const tableHost = h('div', { class: 'table-wrap' });
  let sort: NeuronSort = 'index';
  let descending = false;
  let showAll = false;

  const select = h('select', { id: `${prefix}neuron-sort`, class: 'sort-select' },
    ...(Object.keys(SORT_LABELS) as NeuronSort[]).map((key) => h('option', { value: key }, SORT_LABELS[key])));
  const draw = (): void => {
    const rows = sortNeurons(f.perNeuron, sort);
    if (descending) rows.reverse();
    neuronChart(`${prefix}neurons`, canvas, rows, n, normalizedAvailable);
    tableHost.replaceChildren(neuronTable(rows, n, showAll, (column) => {
      if (column === sort) descending = !descending;
      else {
        sort = column;
        descending = false;
      }
      (select as HTMLSelectElement).value = sort;
      draw();
    }, sort, descending, () => {
      showAll = true;
      draw();
    }));
  };
  select.addEventListener('change', () => {
    sort = (select as HTMLSelectElement).value as NeuronSort;
    descending = false;
    draw();
  });
  afterMount(draw);

  return h('section', { class: 'panel', 'aria-labelledby': `${prefix}neurons-title` },
    h('h2', { id: `${prefix}neurons-title` }, 'Per-neuron contributions'),
    tells('Which hidden neurons carry the curvature: a few large bars, or neurons active on only a handful of samples, are where the network fits individual points.'),
    h('p', { class: 'muted' },
      `${f.perNeuron.length} hidden neurons`,
      rare > 0 ? h('span', { class: 'legend rare' }, ` · ${rare} rarely active (on fewer than ${rarelyActiveThreshold(n)} samples; orange bars, "rarely active" in the table)`) : null,
      dead > 0 ? h('span', { class: 'legend dead' }, ` · ${dead} dead (gray bars, "dead" in the table)`) : null),
    h('div', { class: 'toolbar' }, h('label', { for: `${prefix}neuron-sort` }, 'Sort by '), select),
    h('div', { class: 'chart-box' }, canvas),
    tableHost);
}

const TABLE_LIMIT = 100;

function neuronTable(rows: NeuronRow[], n: number, showAll: boolean, onSort: (column: NeuronSort) => void, sort: NeuronSort, descending: boolean, onShowAll: () => void): HTMLElement {
  const header = (label: string, column: NeuronSort | null): HTMLElement => {
    if (column === null) return h('th', { scope: 'col' }, label);
    const sortState = sort === column ? (descending ? 'descending' : 'ascending') : 'none';
    const control = h('button', { class: 'sort-button', type: 'button' }, label, sort === column ? h('span', { class: `codicon codicon-arrow-${descending ? 'up' : 'down'}`, 'aria-hidden': 'true' }) : null);
    control.addEventListener('click', () => onSort(column));
    return h('th', { scope: 'col', 'aria-sort': sortState }, control);
  };
  const shown = showAll ? rows : rows.slice(0, TABLE_LIMIT);
  const table = h('table', { class: 'data-table neuron-table' },
    h('caption', {}, 'Per-neuron rows (A: output-weight block, B: input-weight block, C: curvature of f, t*: flattest scale)'),
    h('thead', {}, h('tr', {},
      header('Neuron', 'index'), header('A', null), header('B', null), header('C', null),
      header('Normalized', 'contribution'), header('t*', 'scale'), header('Active samples', 'active'), header('Status', null))),
    h('tbody', {}, ...shown.map((row) => h('tr', { class: neuronState(row, n) === 'ok' ? '' : neuronState(row, n) },
      h('td', {}, row.index), h('td', {}, formatNumber(row.a)), h('td', {}, formatNumber(row.b)), h('td', {}, formatNumber(row.c)),
      h('td', {}, formatNumber(neuronValue(row))), h('td', {}, formatNumber(row.optimalScale)),
      h('td', {}, `${row.activeSamples}`), h('td', { class: 'status' }, neuronStatusText(row, n))))));
  if (shown.length === rows.length) return table;
  const more = button(`Show all ${rows.length} rows`, 'unfold', onShowAll);
  return h('div', {}, table, more);
}

function details(report: Report): HTMLElement {
  const dl = (entries: [string, string][]): HTMLElement => h('dl', { class: 'kv' }, ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const f = report.flatness;
  const timingRows = Object.entries(report.timings).map(([key, ms]) => [humanize(key.replace(/Ms$/, '')), formatMs(ms)] as [string, string]);
  return h('section', { class: 'panel details' },
    h('h2', {}, 'Details'),
    h('div', { class: 'columns' },
      h('div', {}, h('h3', {}, 'Model'), dl([
        ['File', report.model.path], ['Format', report.model.format], ['Parameters', String(report.model.parameters)],
        ['Activation', `${report.model.activation} (${report.model.activationSource})`],
        ['Homogeneity degree k', report.model.homogeneityDegree === null ? 'not homogeneous' : String(report.model.homogeneityDegree)],
        ['Biases', `hidden ${report.model.hiddenBias ? 'yes' : 'no'}, output ${report.model.outputBias ? 'yes' : 'no'}`],
        ['Output link', report.model.outputLink], ['Tensors', report.model.tensorNames.join(', ')],
      ])),
      h('div', {}, h('h3', {}, 'Data and loss'), dl([
        ['File', report.data.path], ['Format', report.data.format], ['Samples', String(report.data.n)],
        ['Arrays', `${report.data.inputName}, ${report.data.targetName}`],
        ['Loss', report.loss.convention], ['Applied to', report.loss.appliedTo],
        ['Mean squared error', formatNumber(report.loss.meanSquaredError)], ['Accuracy', formatNumber(report.loss.accuracy)],
      ])),
      h('div', {}, h('h3', {}, 'More invariants'), dl([
        ['Trace parts A / B / C / c0', [f.parts.a, f.parts.b, f.parts.c, f.parts.outputBias].map((v) => formatNumber(v)).join(' / ')],
        ['sum theta^2 H_pp', formatMaybe(f.invariantDiagonal)], ['Path norm', formatMaybe(f.pathNorm)],
        ['Bound at model outputs', formatMaybe(f.lowerBoundAtModel)], ['At a minimum', f.atMinimum ? 'yes' : 'no'],
      ])),
      h('div', {}, h('h3', {}, 'Backend and timings'), dl([
        ['Backend', `${backendLabel(report.backend)} (requested ${report.backend.requested}, tfjs ${report.backend.tfjsVersion})`],
        ...(report.backend.fallbacks.length ? [['Fallbacks', report.backend.fallbacks.join('; ')] as [string, string]] : []),
        ...(kernelsLabel(report.backend) ? [['Kernels', kernelsLabel(report.backend)!] as [string, string]] : []),
        ['Chunk rows', String(report.backend.chunkRows)], ...timingRows,
        ['Report', `schema ${report.schemaVersion}, ${report.tool.name} ${report.tool.version}, ${report.createdAt}`],
      ]))),
    [...report.model.notes, ...report.data.notes].length > 0 ? h('ul', { class: 'notes' }, ...[...report.model.notes, ...report.data.notes].map((note) => h('li', {}, note))) : null);
}

/** A section this version has no renderer for (a newer report): named, never dumped. */
function unknownSection(key: string): HTMLElement {
  return h('section', { class: 'panel unknown-section', 'data-section-key': key, 'data-unrendered': 'true' },
    h('h2', {}, humanize(key)),
    h('p', { class: 'muted' }, `This version of Flatness Lens cannot show the "${key}" section of this report; it is in the JSON export.`));
}

export function renderReport(report: Report, context: ReportContext | null, post: Post, prefix = '', headingLevel: 'h1' | 'h2' = 'h1'): HTMLElement {
  const keys = presentSections(report);
  const sections = keys.map((key) => {
    const section = sectionRenderer(key);
    const element = section ? section.render({ report, context, post, prefix }) : unknownSection(key);
    element?.setAttribute('data-section-key', key);
    return { element, above: section?.aboveCore ?? false };
  });
  const before = sections.filter((s) => s.above).map((s) => s.element);
  const after = sections.filter((s) => !s.above).map((s) => s.element);
  return h('article', { class: 'report', 'data-report': report.model.path },
    verdictHeader(report, context, post, headingLevel),
    metricCards(report),
    report.warnings.length > 0
      ? h('section', { class: 'warnings', role: 'note', 'aria-label': 'Warnings' }, ...report.warnings.map((warning) => h('p', {}, icon('warning'), ' ', warning)))
      : null,
    ...before,
    orbitSection(report, prefix),
    neuronSection(report, prefix),
    ...after,
    details(report));
}
