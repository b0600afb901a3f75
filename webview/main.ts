/**
 * Webview entry: receives HostToWebview messages, renders the view state, persists it with
 * setState (restored after a window reload, and when a hidden panel is shown again).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { ReportContext, ViewState, WebviewToHost, WireError } from '../src/shared/protocol';
import { isFinished, isHostToWebview, isPersistedViewState, persistedViewState } from '../src/shared/protocol';
import type { Report } from '../src/shared/report';
import { formatMaybe, formatNumber } from '../src/shared/format';
import { flushMounted, h } from './dom';
import { chartImages, destroyCharts } from './charts';
import { renderReport, type Post } from './reportView';
import { rankingView } from './rankingView';
import { modelView } from './modelView';
import { showStage } from './progressStages';
import { trajectoryView } from './trajectoryView';
import { rerunBanner } from './rerunBanner';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post: Post = (message) => vscode.postMessage(message);
const app = document.getElementById('app')!;
let current: ViewState | null = null;

function errorView(error: WireError, context: ReportContext | null): HTMLElement {
  const title = error.code === 'cancelled' ? 'Analysis cancelled' : error.code === 'worker-crashed' ? 'The analysis process stopped' : 'The analysis failed';
  return h('article', { class: 'error-view', role: 'alert' },
    h('header', { class: 'verdict verdict-error' },
      h('div', { class: 'verdict-line' },
        h('span', { class: 'codicon codicon-error verdict-icon', 'aria-hidden': 'true' }),
        h('h1', { class: 'verdict-headline', 'data-testid': 'verdict' }, title)),
      h('p', { 'data-testid': 'error-message' }, error.message),
      error.file ? h('p', {}, 'File: ', h('code', {}, error.file)) : null,
      h('p', { class: 'muted' }, `Error code: ${error.code}`)),
    error.log ? h('section', { class: 'panel' }, h('h2', {}, 'Worker log'), h('pre', { class: 'log', tabindex: 0 }, error.log)) : null,
    context ? h('div', { class: 'actions' }, actionButton('Try again', 'refresh', () => post({ type: 'analyze', modelUri: context.modelUri }), false),
      actionButton('Change training data…', 'database', () => post({ type: 'changeTrainingData', modelUri: context.modelUri }))) : null);
}

function actionButton(label: string, icon: string, onClick: () => void, secondary = true): HTMLElement {
  const element = h('vscode-button', { icon, secondary: secondary || undefined }, label);
  element.addEventListener('click', onClick);
  return element;
}

function progressView(message: string): HTMLElement {
  return h('article', { class: 'progress-view', 'aria-busy': 'true' },
    h('h1', {}, 'Analyzing…'),
    h('p', {}, message),
    h('vscode-progress-bar', { id: 'progress', 'aria-label': 'analysis progress' }),
    h('p', { id: 'progress-stage', class: 'muted' }, 'starting the analysis process'),
    actionButton('Cancel', 'stop-circle', () => post({ type: 'cancel' })));
}

function comparisonView(reports: { report: Report; context: ReportContext }[]): HTMLElement {
  const table = h('table', { class: 'data-table comparison' },
    h('caption', {}, 'Models compared on the same training data'),
    h('thead', {}, h('tr', {}, ...['Model', 'Verdict', 'Ratio R', 'Normalized flatness', 'Raw trace', 'Lower bound', 'Training loss', 'Test loss'].map((label) => h('th', { scope: 'col' }, label)))),
    h('tbody', {}, ...reports.map(({ report, context }) => h('tr', { class: `verdict-row verdict-${report.verdict.level}` },
      h('th', { scope: 'row' }, context.modelLabel),
      h('td', { 'data-testid': 'comparison-verdict' }, report.verdict.headline),
      h('td', {}, formatMaybe(report.flatness.ratio)),
      h('td', {}, formatMaybe(report.flatness.normalized)),
      h('td', {}, formatNumber(report.flatness.trace)),
      h('td', {}, formatMaybe(report.flatness.lowerBound)),
      h('td', {}, formatNumber(report.loss.value)),
      h('td', {}, report.test ? formatNumber(report.test.loss) : 'n/a')))));
  return h('article', { class: 'comparison-view' },
    h('h1', {}, `Comparison of ${reports.length} models`),
    h('div', { class: 'table-wrap' }, table),
    ...reports.map(({ report, context }, index) => {
      const section = h('vscode-collapsible', { heading: context.modelLabel, open: index === 0 || undefined, class: 'compared' });
      section.appendChild(renderReport(report, context, post, `m${index}-`, 'h2'));
      return section;
    }));
}

function render(state: ViewState): void {
  destroyCharts();
  current = state;
  let view: HTMLElement;
  switch (state.kind) {
    case 'report':
      view = renderReport(state.report, state.context, post);
      break;
    case 'comparison':
      view = comparisonView(state.reports);
      break;
    case 'ranking':
      view = rankingView(state.comparison, state.models, state.dataLabel, post);
      break;
    case 'error':
      view = errorView(state.error, state.context);
      break;
    case 'progress':
      view = progressView(state.message);
      break;
    case 'summary':
      view = modelView(state.summary, state.error, state.data, state.modelUri, post);
      break;
    case 'trajectory':
      view = trajectoryView(state.run, post);
      break;
  }
  const rerun = isFinished(state) ? state.rerun : undefined;
  if (rerun) {
    app.replaceChildren(rerunBanner(rerun, post, () => dismissRerun()), view);
  } else {
    app.replaceChildren(view);
  }
  flushMounted();
  document.body.dataset.view = state.kind;
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? '0') + 1);
}

/** The one saved shape (protocol.ts) the panel serializer restores after a window reload. */
function persist(state: ViewState): void {
  vscode.setState(persistedViewState(state));
}

function dismissRerun(): void {
  if (!current || !isFinished(current)) return;
  const { rerun: _dismissed, ...rest } = current;
  const state = rest as ViewState;
  render(state);
  persist(state);
  post({ type: 'dismissRerun' });
}

function showsProgress(state: ViewState | null): boolean {
  return state?.kind === 'progress' || (state !== null && isFinished(state) && state.rerun?.status === 'running');
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isHostToWebview(message)) return;
  switch (message.type) {
    case 'show':
      render(message.state);
      persist(message.state);
      return;
    case 'progress': {
      if (!showsProgress(current)) return;
      const bar = document.getElementById('progress') as (HTMLElement & { value?: number; max?: number; indeterminate?: boolean }) | null;
      if (bar) {
        bar.indeterminate = false;
        bar.max = 100;
        bar.value = Math.round(message.fraction * 100);
      }
      const stage = document.getElementById('progress-stage');
      if (stage) showStage(stage, message.stage, message.fraction);
      return;
    }
    case 'captureCharts':
      post({ type: 'chartImages', requestId: message.requestId, images: chartImages() });
      return;
  }
});

// Charts take their colors from the theme: redraw when VS Code switches it.
new MutationObserver(() => {
  if (current) render(current);
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

const saved = vscode.getState();
if (isPersistedViewState(saved)) render(saved.state);
post({ type: 'ready' });
