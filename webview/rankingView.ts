/** Compare Models: the engine's ComparisonReport, ranked by predicted test loss, with Kendall tau against measured test loss. */
import type { ComparisonReport } from '../src/shared/report';
import type { RankedModel } from '../src/shared/protocol';
import { formatNumber } from '../src/shared/format';
import { afterMount, h } from './dom';
import { calibrationChart } from './charts';
import type { Post } from './reportView';

const MEASURE_LABELS: Record<string, string> = {
  trace: 'Raw Hessian trace', normalized: 'Normalized flatness F_sym', ratio: 'Flatness ratio R', pathNorm: 'Path norm',
  topEigenvalue: 'Top Hessian eigenvalue', predictedTestLoss: 'Predicted test loss',
};

export function rankingView(comparison: ComparisonReport, models: RankedModel[], dataLabel: string, post: Post): HTMLElement {
  const labelOf = (path: string): string => models.find((m) => m.path === path)?.modelLabel ?? path.split(/[\\/]/).pop() ?? path;
  const withTest = comparison.test !== null;
  const columns = ['Rank', 'Model', 'Predicted test loss', 'Interval', 'Verdict', 'Ratio R', 'Normalized flatness', 'Raw trace', 'Path norm', 'Top eigenvalue', ...(withTest ? ['Test loss'] : []), 'Interpolates'];
  const table = h('table', { class: 'data-table comparison ranking', 'data-testid': 'ranking-table' },
    h('caption', {}, 'Ranked by predicted test loss (1 = predicted to generalize best)'),
    h('thead', {}, h('tr', {}, ...columns.map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, ...comparison.models.map((row) => h('tr', { class: `verdict-row verdict-${row.verdict.level}` },
      h('td', {}, String(row.rank)),
      h('th', { scope: 'row', 'data-testid': 'ranking-model' }, labelOf(row.path)),
      h('td', {}, formatNumber(row.predictedTestLoss)),
      h('td', {}, row.interval ? `[${formatNumber(row.interval[0])}, ${formatNumber(row.interval[1])}]` : 'n/a'),
      h('td', { 'data-testid': 'comparison-verdict' }, row.verdict.headline),
      h('td', {}, formatNumber(row.ratio)),
      h('td', {}, formatNumber(row.normalized)),
      h('td', {}, formatNumber(row.trace)),
      h('td', {}, formatNumber(row.pathNorm)),
      h('td', {}, formatNumber(row.topEigenvalue)),
      withTest ? h('td', {}, formatNumber(row.testLoss)) : null,
      h('td', {}, row.interpolates ? 'yes' : 'no')))));

  const tau = comparison.kendallTau;
  const tauTable = tau
    ? h('table', { class: 'data-table kendall', 'data-testid': 'kendall-table' },
      h('caption', {}, `Kendall tau-b of each measure against the measured test loss (${comparison.test?.n ?? 0} test rows; 1 = same order)`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Measure'), h('th', { scope: 'col' }, 'Kendall tau'))),
      h('tbody', {}, ...Object.entries(tau).map(([measure, value]) => h('tr', {}, h('th', { scope: 'row' }, MEASURE_LABELS[measure] ?? measure), h('td', {}, formatNumber(value))))))
    : null;

  const calibration = comparison.calibration;
  const canvas = h('canvas', { role: 'img', 'aria-label': `Held-out loss against flatness ratio for ${calibration?.points.length ?? 0} reference interpolators, with the ${comparison.models.length} compared models at their predicted test loss` });
  if (calibration) {
    afterMount(() => calibrationChart('ranking', canvas, calibration,
      comparison.models.flatMap((row) => (row.ratio !== null && row.predictedTestLoss !== null ? [{ ratio: row.ratio, testLoss: row.predictedTestLoss, interval: row.interval }] : [])),
      'compared models (predicted)'));
  }
  const exportJson = h('vscode-button', { icon: 'json', secondary: true }, 'JSON');
  exportJson.addEventListener('click', () => post({ type: 'export', format: 'json' }));
  return h('article', { class: 'comparison-view ranking-view' },
    h('h1', { 'data-testid': 'verdict' }, `${comparison.models.length} models ranked by predicted test loss`),
    h('p', {}, h('span', { class: 'label' }, 'Training data '), h('code', {}, dataLabel),
      ` (n = ${comparison.data.n}, d = ${comparison.data.d})`,
      comparison.test ? `, test data n = ${comparison.test.n}` : ''),
    h('p', { class: 'muted' },
      `One shared calibration: certified lower bound F_LB = ${formatNumber(comparison.lowerBound)}, flattest interpolator found F_found = ${formatNumber(comparison.flattestNormalized)}`
      + (calibration ? `, ${calibration.points.length} reference interpolators.` : '.')),
    h('div', { class: 'table-wrap' }, table),
    tauTable ? h('section', { class: 'panel' }, h('h2', {}, 'Which measure orders the models by their test loss?'), h('div', { class: 'table-wrap' }, tauTable)) : null,
    calibration ? h('section', { class: 'panel' }, h('h2', {}, 'The models on the calibration'), h('div', { class: 'chart-box' }, canvas)) : null,
    comparison.notes.length ? h('ul', { class: 'notes' }, ...comparison.notes.map((note) => h('li', {}, note))) : null,
    h('div', { class: 'actions' }, exportJson));
}
