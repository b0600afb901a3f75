/**
 * Compare Models: the engine's ComparisonReport ranked by predicted test loss. Each model has its
 * own color AND marker shape in the chart and the table; names open the model's report;
 * measured test loss and Kendall tau when test data was given; models that do not interpolate are
 * marked and kept off the calibration (the prediction assumes an interpolator).
 */
import type { ComparisonReport, ComparisonRow } from '../src/shared/report';
import type { RankedModel } from '../src/shared/protocol';
import { formatInterval, formatNumber } from '../src/shared/format';
import { afterMount, h, type Child } from './dom';
import { calibrationChart, MODEL_MARKERS } from './charts';
import { calibrationAxis } from '../src/shared/calibrationAxis';
import { button, icon, tells, type Post } from './parts';

const MEASURE_LABELS: Record<string, string> = {
  trace: 'Raw Hessian trace', normalized: 'Normalized flatness F_sym', ratio: 'Flatness ratio R', pathNorm: 'Path norm',
  topEigenvalue: 'Top Hessian eigenvalue', predictedTestLoss: 'Predicted test loss',
};

const VERDICT_ICON: Record<ComparisonRow['verdict']['level'], string> = { flat: 'pass-filled', 'in-between': 'warning', sharp: 'flame', 'not-applicable': 'circle-slash' };

/** The model's marker: its shape as a character, in its color (CSS class model-k). */
function marker(index: number): HTMLElement {
  const mark = MODEL_MARKERS[index % MODEL_MARKERS.length]!;
  return h('span', { class: `model-marker model-${index % MODEL_MARKERS.length}`, 'aria-hidden': 'true' }, mark.glyph);
}

/** A folder-qualified name may wrap after each slash, and only there. */
function breakable(label: string): Child[] {
  return label.split(/(?<=[\\/])/).flatMap((part, k) => {
    const segment = h('span', { class: 'name-part' }, part);
    return k === 0 ? [segment] : [h('wbr'), segment];
  });
}

function tauText(tau: number | null): string {
  return tau === null ? 'n/a' : tau.toFixed(2);
}

export function rankingView(comparison: ComparisonReport, models: RankedModel[], dataLabel: string, post: Post): HTMLElement {
  const byPath = (path: string): RankedModel | undefined => models.find((m) => m.path === path);
  const labelOf = (path: string): string => byPath(path)?.modelLabel ?? path.split(/[\\/]/).pop() ?? path;
  // Colors follow the order the user gave the models in, so a model keeps its color whatever its rank.
  const colorIndex = (path: string): number => {
    const index = models.findIndex((m) => m.path === path);
    return index < 0 ? comparison.models.findIndex((row) => row.path === path) : index;
  };
  const withTest = comparison.test !== null;
  // Short labels that may wrap, the interval under the prediction, the rank beside the name: the
  // table fits an editor beside the side bar; wider than its box it scrolls with the names pinned.
  const columns: [label: string, title: string, kind?: 'text'][] = [
    ['Model', 'Rank and model (1 = predicted to generalize best)'],
    ['Predicted test loss', 'Predicted test loss, its interval below'],
    ...(withTest ? [['Measured test loss', 'Loss on the test data'] as [string, string]] : []),
    ['Verdict', 'Where the model stands against the flattest interpolator', 'text'],
    ['Ratio R', 'Flatness ratio R = F_sym / F_LB'],
    ['F_sym', 'Normalized flatness F_sym'],
    ['Raw trace', 'Raw Hessian trace'],
    ['Path norm', 'Path norm'],
    ['Top eigenvalue', 'Top Hessian eigenvalue'],
    ['Interpolates', 'Whether the model interpolates its training data', 'text'],
  ];
  const nameCell = (row: ComparisonRow): HTMLElement => {
    const uri = byPath(row.path)?.modelUri;
    const label = labelOf(row.path);
    const name = uri
      ? h('button', { class: 'link-button', type: 'button', 'data-testid': 'ranking-model', title: `Open the report of ${label}` }, ...breakable(label))
      : h('span', { 'data-testid': 'ranking-model' }, ...breakable(label));
    if (uri) name.addEventListener('click', () => post({ type: 'openReport', modelUri: uri }));
    return h('th', { scope: 'row', class: 'model-cell' },
      h('span', { class: 'rank', 'data-testid': 'ranking-rank', 'aria-label': `rank ${row.rank}` }, String(row.rank)), ' ',
      marker(colorIndex(row.path)), ' ', name);
  };
  const predictedCell = (row: ComparisonRow): HTMLElement => (row.interpolates
    ? h('td', {}, formatNumber(row.predictedTestLoss), h('span', { class: 'interval', 'data-testid': 'ranking-interval' }, formatInterval(row.interval)))
    : h('td', {}, 'n/a'));
  const table = h('table', { class: 'data-table comparison ranking', 'data-testid': 'ranking-table' },
    h('caption', {}, 'Ranked by predicted test loss (1 = predicted to generalize best). Click a name to open its report.'),
    h('thead', {}, h('tr', {}, ...columns.map(([label, title, kind]) => h('th', { scope: 'col', title, class: kind }, label)))),
    h('tbody', {}, ...comparison.models.map((row) => h('tr', { class: `verdict-row verdict-${row.verdict.level}${row.interpolates ? '' : ' not-interpolating'}` },
      nameCell(row),
      predictedCell(row),
      withTest ? h('td', { 'data-testid': 'measured-test-loss' }, formatNumber(row.testLoss)) : null,
      h('td', { class: 'text', title: row.verdict.explanation }, icon(VERDICT_ICON[row.verdict.level]), ' ', h('span', { 'data-testid': 'comparison-verdict' }, row.verdict.headline)),
      h('td', {}, formatNumber(row.ratio)),
      h('td', {}, formatNumber(row.normalized)),
      h('td', {}, formatNumber(row.trace)),
      h('td', {}, formatNumber(row.pathNorm)),
      h('td', {}, formatNumber(row.topEigenvalue)),
      h('td', { class: 'text', 'data-testid': 'ranking-interpolates' }, row.interpolates ? 'yes' : h('strong', {}, icon('warning'), ' no: off the calibration'))))));

  const tau = comparison.kendallTau;
  const tauSection = tau
    ? h('section', { class: 'panel', 'data-testid': 'kendall' },
      h('h2', {}, 'Which measure orders the models by their measured test loss?'),
      tells('Kendall tau near 1: the measure ranks the models as their measured test loss does; near 0: no better than chance; negative: the wrong way round.'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'data-table kendall', 'data-testid': 'kendall-table' },
        h('caption', {}, `Kendall tau-b against the measured test loss on ${comparison.test?.path.split(/[\\/]/).pop() ?? 'the test data'} (n = ${comparison.test?.n ?? 0})`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Measure'), h('th', { scope: 'col' }, 'Kendall tau'))),
        h('tbody', {}, ...Object.entries(tau).map(([measure, value]) => h('tr', {}, h('th', { scope: 'row' }, MEASURE_LABELS[measure] ?? measure), h('td', {}, tauText(value))))))))
    : h('p', { class: 'muted', 'data-testid': 'no-test-data' }, 'No test data was given: measured test loss and Kendall tau need it (Compare Models offers files named test, val or holdout beside the training data).');

  const calibration = comparison.calibration;
  const onFit = comparison.models.filter((row) => row.interpolates && row.ratio !== null && row.predictedTestLoss !== null);
  const offFit = comparison.models.filter((row) => !row.interpolates);
  const canvas = h('canvas', { role: 'img', 'aria-label': `Held-out loss against ${calibration ? calibrationAxis(calibration).title : 'flatness ratio'} for ${calibration?.points.length ?? 0} reference interpolators, with ${onFit.map((row) => labelOf(row.path)).join(', ')} at their predicted${withTest ? ' and measured' : ''} test loss` });
  if (calibration) {
    afterMount(() => calibrationChart('ranking', canvas, calibration, [], '', onFit.map((row) => ({
      label: labelOf(row.path),
      marker: colorIndex(row.path),
      ratio: row.ratio!,
      disagreement: row.disagreement,
      predicted: row.predictedTestLoss!,
      measured: row.testLoss,
    }))));
  }
  const exportButton = (label: string, iconName: string, format: 'json' | 'html' | 'markdown' | 'csv'): HTMLElement => button(label, iconName, () => post({ type: 'export', format }));
  return h('article', { class: 'comparison-view ranking-view' },
    h('h1', { 'data-testid': 'verdict' }, `${comparison.models.length} models ranked by predicted test loss`),
    h('p', {}, h('span', { class: 'label' }, 'Training data '), h('code', {}, dataLabel),
      ` (n = ${comparison.data.n}, d = ${comparison.data.d})`,
      comparison.test ? `, test data n = ${comparison.test.n}` : ''),
    h('p', { class: 'muted' },
      `One shared calibration: certified lower bound F_LB = ${formatNumber(comparison.lowerBound)}, flattest interpolator found F_found = ${formatNumber(comparison.flattestNormalized)}`
      + (calibration ? `, ${calibration.points.length} reference interpolators.` : '.')),
    h('div', { class: 'table-wrap' }, table),
    offFit.length ? h('p', { class: 'warnings', role: 'note', 'data-testid': 'off-fit' }, icon('warning'), ' ',
      `${offFit.map((row) => labelOf(row.path)).join(', ')} ${offFit.length === 1 ? 'does' : 'do'} not interpolate the training data: the prediction assumes an interpolator, so ${offFit.length === 1 ? 'it is' : 'they are'} not placed on the calibration.`) : null,
    tauSection,
    calibration ? h('section', { class: 'panel' },
      h('h2', {}, 'The models on the calibration'),
      tells(`Each model sits where the predictor reads it (${calibration ? calibrationAxis(calibration).symbol : 'R'}): filled markers are the predicted test loss read off the fitted curve, hollow ones the measured test loss. Gray points are reference interpolators trained on your data.`),
      h('div', { class: 'chart-box tall' }, canvas)) : null,
    comparison.notes.length ? h('ul', { class: 'notes' }, ...comparison.notes.map((note) => h('li', {}, note))) : null,
    h('div', { class: 'actions' },
      exportButton('HTML', 'file-code', 'html'), exportButton('Markdown', 'markdown', 'markdown'), exportButton('CSV', 'table', 'csv'), exportButton('JSON', 'json', 'json')));
}
