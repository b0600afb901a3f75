/** report.prediction (predicted test loss, verdict, calibration chart) and report.flattest (F_found, save). */
import type { Report, ReportFlattest, ReportPrediction } from '../src/shared/report';
import { formatInterval, formatNumber } from '../src/shared/format';
import { afterMount, h } from './dom';
import { CALIBRATION_KIND_LABELS, calibrationChart, plottableCalibration } from './charts';
import { calibrationAxis, readOffText } from '../src/shared/calibrationAxis';
import { card, tells, type Post } from './parts';

const VERDICT_ICON: Record<ReportPrediction['verdict']['level'], string> = {
  flat: 'pass-filled',
  'in-between': 'warning',
  sharp: 'flame',
  'not-applicable': 'circle-slash',
};

const intervalText = (interval: [number, number] | null): string => formatInterval(interval);

/** Whether the prediction held, in words: a measured loss is neither good nor bad by its color. */
function measuredAgainstInterval(measured: number, interval: [number, number] | null, level: number): string {
  if (!interval) return 'no interval to compare with';
  if (measured < interval[0]) return `below the ${level}% interval`;
  if (measured > interval[1]) return `above the ${level}% interval`;
  return `inside the ${level}% interval: the prediction held`;
}

export function predictionSection(report: Report, prediction: ReportPrediction, prefix: string): HTMLElement {
  const title = h('h2', { id: `${prefix}prediction-title` }, 'Will it generalize? Predicted test loss');
  const what = tells('The loss to expect on fresh data from the same distribution, read off how reference interpolators of your own data generalize against how far their functions stray from the flattest interpolators found (rho + D).');
  if (!prediction.available) {
    return h('section', { class: 'panel prediction', 'aria-labelledby': `${prefix}prediction-title`, 'data-testid': 'prediction' },
      title, what,
      h('p', { class: 'prediction-unavailable', 'data-testid': 'prediction-reason' }, `No prediction: ${prediction.reason ?? 'the theory does not apply to this model'}.`),
      prediction.measuredTestLoss !== null ? h('p', {}, `Measured test loss: ${formatNumber(prediction.measuredTestLoss)}`) : null,
      caveats(prediction));
  }
  const calibration = prediction.calibration;
  const level = Math.round((calibration?.intervalLevel ?? 0.8) * 100);
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': calibration
      ? `Held-out loss against ${calibrationAxis(calibration).title} for ${calibration.points.length} reference interpolators, with this model at R = ${formatNumber(prediction.ratio)}, D = ${formatNumber(prediction.disagreement)} and predicted loss ${formatNumber(prediction.testLoss)}`
      : 'no calibration',
  });
  if (calibration) {
    afterMount(() => calibrationChart(`${prefix}calibration`, canvas, calibration,
      prediction.ratio !== null && prediction.testLoss !== null ? [{ ratio: prediction.ratio, disagreement: prediction.disagreement, testLoss: prediction.testLoss, interval: prediction.interval }] : []));
  }
  const dropped = calibration ? calibration.points.length - plottableCalibration(calibration).length : 0;
  const counts = new Map<string, number>();
  for (const point of calibration?.points ?? []) counts.set(CALIBRATION_KIND_LABELS[point.kind], (counts.get(CALIBRATION_KIND_LABELS[point.kind]) ?? 0) + 1);
  const kinds = [...counts].map(([label, count]) => `${count} ${label}`).join('; ');
  return h('section', { class: 'panel prediction', 'aria-labelledby': `${prefix}prediction-title`, 'data-testid': 'prediction' },
    title, what,
    h('div', { class: `prediction-verdict verdict-${prediction.verdict.level}` },
      h('p', { class: 'prediction-headline' },
        h('span', { class: `codicon codicon-${VERDICT_ICON[prediction.verdict.level]}`, 'aria-hidden': 'true' }), ' ',
        h('strong', { 'data-testid': 'prediction-verdict' }, prediction.verdict.headline)),
      h('p', { 'data-testid': 'prediction-explanation' }, prediction.verdict.explanation)),
    h('div', { class: 'cards' },
      card('Predicted test loss', formatNumber(prediction.testLoss), prediction.extrapolated ? 'extrapolated: the model lies outside the reference range' : readOffText(calibration, prediction.ratio, prediction.disagreement), 'prediction-loss'),
      card(`${level}% interval`, intervalText(prediction.interval), `conformal band from leave-one-out residuals`, 'prediction-interval'),
      prediction.measuredTestLoss !== null
        ? card('Measured test loss', formatNumber(prediction.measuredTestLoss),
          `on ${report.test ? `${report.test.path.split(/[\\/]/).pop()} (n = ${report.test.n})` : 'the test data'}; ${measuredAgainstInterval(prediction.measuredTestLoss, prediction.interval, level)}`, 'prediction-measured')
        : null),
    calibration
      ? h('div', {},
        h('p', { class: 'muted' },
          `Calibrated on your data: ${calibration.points.length} reference interpolators (${kinds}) trained on ${calibration.splits} split(s) of ${Math.round(calibration.trainFraction * 100)}/${Math.round((1 - calibration.trainFraction) * 100)}, `
          + `${prediction.trainingRowsUsed} training rows; leave-one-out coverage ${Math.round(calibration.leaveOneOutCoverage * 100)}%`
          + (calibration.skipped > 0 ? `; ${calibration.skipped} reference(s) left out (did not interpolate)` : '')
          + (dropped > 0 ? `; ${dropped} point(s) with zero loss not drawn on the log scale` : '') + '.'),
        h('div', { class: 'chart-box' }, canvas))
      : null,
    caveats(prediction));
}

function caveats(prediction: ReportPrediction): HTMLElement | null {
  if (prediction.caveats.length === 0) return null;
  return h('div', { class: 'caveats' }, h('h3', {}, 'Caveats'), h('ul', { class: 'notes', 'data-testid': 'prediction-caveats' }, ...prediction.caveats.map((c) => h('li', {}, c))));
}

/** post and modelUri are null when the report has no host context (nothing to save to). */
export function flattestSection(flattest: ReportFlattest, prefix: string, post: Post | null, modelUri: string | null): HTMLElement {
  const save = post && modelUri !== null && flattest.network
    ? h('vscode-button', { icon: 'save', secondary: true, 'data-testid': 'save-flattest' }, 'Save flattest network as safetensors...')
    : null;
  save?.addEventListener('click', () => {
    if (modelUri !== null) post?.({ type: 'saveFlattest', modelUri });
  });
  const interpolated = flattest.runs.filter((run) => run.interpolates).length;
  return h('section', { class: 'panel flattest', 'aria-labelledby': `${prefix}flattest-title`, 'data-testid': 'flattest' },
    h('h2', { id: `${prefix}flattest-title` }, 'The flattest interpolator found'),
    tells('How far this model is from the flattest network that fits the same training points: F_sym / F_found well above 1 means a much flatter fit exists.'),
    h('p', { class: 'muted' }, 'F_LB <= (flattest achievable) <= F_found: the model sits between these two ratios from the flattest interpolators of this data.'),
    h('div', { class: 'cards' },
      card('F_found', formatNumber(flattest.normalized), flattest.runs.length === 1 ? `normalized flatness of the one search run (${interpolated ? 'interpolated' : 'not interpolated'})` : `normalized flatness of the flattest of ${flattest.runs.length} runs (${interpolated} interpolated)`, 'flattest-found'),
      card('F_sym / F_LB', formatNumber(flattest.ratioToLowerBound), 'at most this far from the flattest', 'flattest-ratio-bound'),
      card('F_sym / F_found', formatNumber(flattest.ratioToFound), 'at least this far from the flattest', 'flattest-ratio-found'),
      card('F_found / F_LB', formatNumber(flattest.foundToLowerBound), 'how tight the bracket is', 'flattest-bracket')),
    flattest.network
      ? h('p', {}, `Found network: d = ${flattest.network.inputDim}, m = ${flattest.network.hiddenDim}, c = ${flattest.network.outputDim}, ${flattest.network.activation} (on ${flattest.trainingRowsUsed} training rows). `)
      : h('p', { class: 'muted' }, 'No run interpolated the data, so there is no network to save.'),
    save ? h('div', { class: 'actions' }, save) : null);
}
