/**
 * Runs one analysis end to end from the host: training data association, settings, the
 * worker request, a cancellable progress notification, the status bar, the report store and
 * the report panel.
 */
import * as vscode from 'vscode';
import type { ComparisonReport, Report } from '../shared/report';
import type { AnalysisRequest, ComparisonRequest, FinishedViewState, RankedModel, ReportContext, RerunStatus, ViewState, WireError } from '../shared/protocol';
import type { DataAssociation, DataAssociations } from './dataAssociation';
import type { WorkerClient } from './workerClient';
import type { ReportStore } from './reportStore';
import { COMPARISON_KEY, withoutRerun, type ReportPanel, type ReportPanels } from './reportPanel';
import type { ModelsView } from './views';
import { readSettings } from './settings';
import { labelOf, withLocalFiles, type LocalFiles } from './localFiles';
import { baseName } from './modelFiles';
import type { Log } from './log';
import { toWire } from './failures';
import { backendLabel } from '../shared/backendLabel';

export { toWire } from './failures';

export interface ComparisonOutcome {
  comparison?: ComparisonReport;
  error?: WireError;
}

export interface AnalysisOutcome {
  report?: Report;
  context?: ReportContext;
  error?: WireError;
}

interface Running {
  model: vscode.Uri;
  cancel(): void;
}

/** The finished result a panel keeps on screen during a re-run, without an older re-run notice. */
function previousResult(panel: ReportPanel | undefined): FinishedViewState | undefined {
  const finished = panel?.finished;
  return finished ? (withoutRerun(finished) as FinishedViewState) : undefined;
}

function withRerun(state: FinishedViewState, rerun: RerunStatus): ViewState {
  return { ...state, rerun };
}

/** The previous result with what became of its re-run: a notice (the given sentence) when cancelled, the error when it failed. */
export function afterFailedRerun(previous: FinishedViewState, error: WireError, cancelledNotice: string): ViewState {
  return error.code === 'cancelled'
    ? withRerun(previous, { status: 'cancelled', message: cancelledNotice })
    : withRerun(previous, { status: 'failed', error });
}

export class AnalysisService implements vscode.Disposable {
  private readonly running = new Set<Running>();
  private readonly statusBar: vscode.StatusBarItem;
  /** The backend of the last analysis (the GPU's name for webgpu); click to change it. */
  private readonly backendItem: vscode.StatusBarItem;

  constructor(
    private readonly worker: WorkerClient,
    private readonly associations: DataAssociations,
    private readonly store: ReportStore,
    private readonly panels: ReportPanels,
    private readonly models: ModelsView,
    private readonly log: Log,
  ) {
    this.statusBar = vscode.window.createStatusBarItem('flatnessLens.progress', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = vscode.l10n.t('Flatness Lens analysis');
    this.statusBar.command = 'flatnessLens.cancelAnalysis';
    this.backendItem = vscode.window.createStatusBarItem('flatnessLens.backend', vscode.StatusBarAlignment.Left, 9);
    this.backendItem.name = 'Flatness Lens compute backend';
    this.backendItem.command = 'flatnessLens.selectBackend';
  }

  get isRunning(): boolean {
    return this.running.size > 0;
  }

  cancelAll(): number {
    const count = this.running.size;
    for (const run of this.running) run.cancel();
    return count;
  }

  /** Analyze a model, asking for its training data if none is associated yet. */
  async analyze(model: vscode.Uri, options: { association?: DataAssociation; reveal?: boolean; showPanel?: boolean; predict?: boolean; progressPanel?: ReportPanel } = {}): Promise<AnalysisOutcome> {
    const association = options.association ?? (await this.associations.resolve(model));
    if (!association) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens needs the training data of {0}: run "Choose Training Data..." to pick it.', baseName(model.path)));
      return {};
    }
    // The bundled example lives in the extension's folder: name it by its file, not its path.
    const label = (uri: vscode.Uri): string => (association.source === 'example' ? `example/${baseName(uri.path)}` : labelOf(uri));
    const context: ReportContext = {
      modelUri: model.toString(),
      modelLabel: label(model),
      dataLabel: label(association.trainingData) + (association.testData ? ` (test: ${label(association.testData)})` : ''),
      dataSource: association.source,
    };
    const showPanel = options.showPanel ?? true;
    const message = options.predict
      ? vscode.l10n.t('Predicting the generalization of {0} on {1}', context.modelLabel, context.dataLabel)
      : vscode.l10n.t('Analyzing {0} on {1}', context.modelLabel, context.dataLabel);
    // A re-run keeps the previous report on screen under a progress strip.
    const previous = showPanel ? previousResult(this.panels.find(context.modelUri)) : undefined;
    const panel = showPanel
      ? this.panels.show(previous ? withRerun(previous, { status: 'running', message }) : { kind: 'progress', message, context }, options.reveal ?? true)
      : options.progressPanel;
    this.models.setStatus(model, 'analyzing');
    try {
      const report = await withLocalFiles(async (files) => {
        const built = await this.buildRequest(model, association, files);
        // Predict Generalization switches the prediction on whatever the setting says.
        const request: AnalysisRequest = options.predict ? { ...built, sections: { ...built.sections, predict: true } } : built;
        this.log.info(`analyzing ${context.modelLabel} with ${context.dataLabel} (backend ${request.backend}, loss ${request.loss}${request.sections?.predict ? ', with prediction' : ''})`);
        return this.runWithProgress(model, request, (stage, fraction) => panel?.post({ type: 'progress', stage, fraction }));
      });
      this.logBackend(report);
      // A report that cannot be stored (a full disk, say) is still shown.
      await this.store.add(report, context).catch((error: unknown) => this.log.warn(`could not store the report of ${context.modelLabel} for the Reports view: ${error instanceof Error ? error.message : String(error)}`));
      this.models.setStatus(model, 'analyzed');
      this.log.info(`done: ${report.verdict.headline} (${Math.round(report.timings.totalMs)} ms, backend ${report.backend.name})`);
      if (showPanel) this.panels.show({ kind: 'report', report, context }, options.reveal ?? true);
      return { report, context };
    } catch (caught) {
      const error = toWire(caught);
      this.models.setStatus(model, error.code === 'cancelled' ? (this.store.latestFor(model.toString()) ? 'analyzed' : 'not analyzed') : 'failed');
      if (error.code === 'cancelled') this.log.info(`analysis of ${context.modelLabel} cancelled`);
      else this.log.error(`analysis of ${context.modelLabel} failed (${error.code}): ${error.message}`);
      if (error.log) this.log.warn(`worker log:\n${error.log}`);
      if (showPanel) {
        const what = options.predict ? vscode.l10n.t('Prediction cancelled; this is the previous result.') : vscode.l10n.t('Re-analysis cancelled; this is the previous result.');
        this.panels.show(previous ? afterFailedRerun(previous, error, what) : { kind: 'error', error, context }, false);
      }
      if (error.code === 'cancelled') {
        void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: analysis of {0} cancelled.', baseName(model.path)));
      } else {
        const showLog = vscode.l10n.t('Show Log');
        void vscode.window.showErrorMessage(vscode.l10n.t('Flatness Lens: {0}', error.message), showLog).then((choice) => {
          if (choice === showLog) this.log.show();
        });
      }
      return { error, context };
    }
  }

  /** The backend the worker chose and, at warning level, each backend it passed over and why. */
  private logBackend(report: Report): void {
    const backend = report.backend;
    this.log.info(`backend: ${backend.name} (requested ${backend.requested}, TF.js ${backend.tfjsVersion})`);
    for (const fallback of backend.fallbacks) this.log.warn(`backend fallback: ${fallback}`);
    this.backendItem.text = `$(chip) ${backendLabel(backend)}`;
    this.backendItem.tooltip = vscode.l10n.t('Flatness Lens computed on {0} (requested {1}): click to select the compute backend', backendLabel(backend), backend.requested);
    this.backendItem.show();
    if (backend.switchedFrom) {
      this.log.warn(`the ${backend.switchedFrom.name} backend failed during the analysis (${backend.switchedFrom.reason}); it ran again on ${backend.name}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: the GPU failed during the analysis ({0}); the analysis ran again on {1}.', backend.switchedFrom.reason, backend.name));
    }
  }

  async buildRequest(model: vscode.Uri, association: DataAssociation, files: LocalFiles): Promise<AnalysisRequest> {
    const settings = readSettings();
    const request: AnalysisRequest = {
      modelPath: await files.pathOf(model),
      dataPath: await files.pathOf(association.trainingData),
      loss: settings.loss,
      backend: settings.backend,
      sections: settings.sections,
    };
    if (association.testData) request.testDataPath = await files.pathOf(association.testData);
    if (association.targets) request.targetsPath = await files.pathOf(association.targets);
    const activation = association.activation ?? settings.defaultActivation;
    if (activation) request.activation = activation;
    if (settings.interpolationTolerance !== null) request.interpolationTolerance = settings.interpolationTolerance;
    return request;
  }

  /**
   * Compare Models: the engine's compareModels in the worker (one shared calibration, ranked by
   * predicted test loss), with the same cancellable progress as an analysis.
   */
  async compare(models: vscode.Uri[], association: DataAssociation): Promise<ComparisonOutcome> {
    const label = (uri: vscode.Uri): string => (association.source === 'example' ? `example/${baseName(uri.path)}` : labelOf(uri));
    const dataLabel = label(association.trainingData) + (association.testData ? ` (test: ${label(association.testData)})` : '');
    const message = `Comparing ${models.length} models on ${dataLabel} (one shared calibration; this trains about 20 networks)`;
    // Comparing again keeps the previous comparison on screen under a progress strip.
    const previous = previousResult(this.panels.find(COMPARISON_KEY));
    const panel = this.panels.show(previous ? withRerun(previous, { status: 'running', message }) : { kind: 'progress', message, context: null });
    try {
      const settings = readSettings();
      const ranked: RankedModel[] = [];
      const comparison = await withLocalFiles(async (files) => {
        for (const model of models) ranked.push({ path: await files.pathOf(model), modelUri: model.toString(), modelLabel: label(model) });
        const request: ComparisonRequest = {
          modelPaths: ranked.map((m) => m.path),
          dataPath: await files.pathOf(association.trainingData),
          loss: settings.loss,
          backend: settings.backend,
        };
        if (association.testData) request.testDataPath = await files.pathOf(association.testData);
        const activation = association.activation ?? settings.defaultActivation;
        if (activation) request.activation = activation;
        this.log.info(`comparing ${ranked.map((m) => m.modelLabel).join(', ')} on ${dataLabel} (backend ${request.backend})`);
        return this.withProgress(models[0]!, vscode.l10n.t('Flatness Lens: comparing {0} models (can take minutes)', models.length), `${models.length} models`,
          (onProgress) => this.worker.compare(request, { onProgress }), (stage, fraction) => panel.post({ type: 'progress', stage, fraction }));
      });
      this.log.info(`comparison done: ${comparison.models.map((row) => `${row.rank}. ${baseName(row.path)}`).join(', ')}`);
      const shown = this.panels.show({ kind: 'ranking', comparison, models: ranked, dataLabel });
      // The progress panel is keyed apart from the comparison's: close it once the ranking is up.
      if (shown !== panel) panel.panel.dispose();
      return { comparison };
    } catch (caught) {
      const error = toWire(caught);
      if (error.code === 'cancelled') this.log.info('comparison cancelled');
      else this.log.error(`comparison failed (${error.code}): ${error.message}`);
      if (error.log) this.log.warn(`worker log:\n${error.log}`);
      panel.show(previous ? afterFailedRerun(previous, error, vscode.l10n.t('The new comparison cancelled; this is the previous result.')) : { kind: 'error', error, context: null });
      if (error.code === 'cancelled') void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: comparison cancelled.'));
      else void vscode.window.showErrorMessage(vscode.l10n.t('Flatness Lens: {0}', error.message));
      return { error };
    }
  }

  private runWithProgress(model: vscode.Uri, request: AnalysisRequest, onProgress: (stage: string, fraction: number) => void): Promise<Report> {
    const name = baseName(model.path);
    const title = request.sections?.predict ? vscode.l10n.t('Flatness Lens: predicting generalization of {0} (can take minutes)', name) : vscode.l10n.t('Flatness Lens: analyzing {0}', name);
    return this.withProgress(model, title, name, (progress) => this.worker.analyze(request, { onProgress: progress }), onProgress);
  }

  /** A worker request under a cancellable progress notification and the status bar. */
  private withProgress<T>(
    model: vscode.Uri,
    title: string,
    name: string,
    start: (onProgress: (stage: string, fraction: number) => void) => { id: number; result: Promise<T> },
    onProgress: (stage: string, fraction: number) => void,
  ): Promise<T> {
    return Promise.resolve(vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const { id, result } = start((stage, fraction) => {
          const percent = Math.round(fraction * 100);
          progress.report({ message: `${stage} ${percent}%`, increment: Math.max(0, percent - reported) });
          reported = Math.max(reported, percent);
          this.statusBar.text = `$(sync~spin) ${vscode.l10n.t('Flatness: {0} {1} {2}%', name, stage, percent)}`;
          onProgress(stage, fraction);
        });
        const run: Running = { model, cancel: () => this.worker.cancel(id) };
        this.running.add(run);
        this.statusBar.text = `$(sync~spin) ${vscode.l10n.t('Flatness: {0}', name)}`;
        this.statusBar.tooltip = vscode.l10n.t('Flatness Lens is analyzing a model: click to cancel');
        this.statusBar.show();
        const subscription = token.onCancellationRequested(() => run.cancel());
        try {
          return await result;
        } finally {
          subscription.dispose();
          this.running.delete(run);
          if (this.running.size === 0) this.statusBar.hide();
        }
      },
    ));
  }

  dispose(): void {
    this.cancelAll();
    this.statusBar.dispose();
    this.backendItem.dispose();
  }
}
