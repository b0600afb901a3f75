/**
 * Runs one analysis end to end from the host: training data association, settings, the
 * worker request, a cancellable progress notification, the status bar, the report store and
 * the report panel.
 */
import * as vscode from 'vscode';
import type { ComparisonReport, Report } from '../shared/report';
import type { AnalysisRequest, ComparisonRequest, RankedModel, ReportContext, WireError } from '../shared/protocol';
import type { DataAssociation, DataAssociations } from './dataAssociation';
import { WorkerError, type WorkerClient } from './workerClient';
import type { ReportStore } from './reportStore';
import type { ReportPanels } from './reportPanel';
import type { ModelsView } from './views';
import { readSettings } from './settings';
import { labelOf, localPathOf } from './localFiles';
import { baseName } from './modelFiles';
import type { Log } from './log';

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

export function toWire(error: unknown): WireError {
  if (error instanceof WorkerError) return error.wire;
  if (error instanceof vscode.FileSystemError || error instanceof Error) return { code: 'bad-input', message: error.message };
  return { code: 'internal', message: String(error) };
}

export class AnalysisService implements vscode.Disposable {
  private readonly running = new Set<Running>();
  private readonly statusBar: vscode.StatusBarItem;

  constructor(
    private readonly worker: WorkerClient,
    private readonly associations: DataAssociations,
    private readonly store: ReportStore,
    private readonly panels: ReportPanels,
    private readonly models: ModelsView,
    private readonly log: Log,
  ) {
    this.statusBar = vscode.window.createStatusBarItem('flatnessLens.progress', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = 'Flatness Lens analysis';
    this.statusBar.command = 'flatnessLens.cancelAnalysis';
  }

  get isRunning(): boolean {
    return this.running.size > 0;
  }

  cancelAll(): number {
    const count = this.running.size;
    for (const run of this.running) run.cancel();
    return count;
  }

  /** Analyse a model, asking for its training data if none is associated yet. */
  async analyze(model: vscode.Uri, options: { association?: DataAssociation; reveal?: boolean; showPanel?: boolean; predict?: boolean } = {}): Promise<AnalysisOutcome> {
    const association = options.association ?? (await this.associations.resolve(model));
    if (!association) {
      void vscode.window.showInformationMessage(`Flatness Lens needs the training data of ${baseName(model.path)}: run "Choose Training Data..." to pick it.`);
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
    const verb = options.predict ? 'Predicting the generalization of' : 'Analysing';
    const panel = showPanel ? this.panels.show({ kind: 'progress', message: `${verb} ${context.modelLabel} on ${context.dataLabel}`, context }, options.reveal ?? true) : undefined;
    this.models.setStatus(model, 'analysing');
    try {
      const built = await this.buildRequest(model, association);
      // Predict Generalization switches the prediction on whatever the setting says.
      const request: AnalysisRequest = options.predict ? { ...built, sections: { ...built.sections, predict: true } } : built;
      this.log.line(`analysing ${context.modelLabel} with ${context.dataLabel} (backend ${request.backend}, loss ${request.loss}${request.sections?.predict ? ', with prediction' : ''})`);
      const report = await this.runWithProgress(model, request, (stage, fraction) => panel?.post({ type: 'progress', stage, fraction }));
      await this.store.add(report, context);
      this.models.setStatus(model, 'analysed');
      this.log.line(`done: ${report.verdict.headline} (${Math.round(report.timings.totalMs)} ms, backend ${report.backend.name})`);
      if (showPanel) this.panels.show({ kind: 'report', report, context }, options.reveal ?? true);
      return { report, context };
    } catch (caught) {
      const error = toWire(caught);
      this.models.setStatus(model, error.code === 'cancelled' ? (this.store.latestFor(model.toString()) ? 'analysed' : 'not analysed') : 'failed');
      this.log.line(`analysis of ${context.modelLabel} ${error.code === 'cancelled' ? 'cancelled' : `failed: ${error.message}`}`);
      if (error.log) this.log.line(`worker log:\n${error.log}`);
      if (showPanel) this.panels.show({ kind: 'error', error, context }, false);
      if (error.code === 'cancelled') {
        void vscode.window.showInformationMessage(`Flatness Lens: analysis of ${baseName(model.path)} cancelled.`);
      } else {
        void vscode.window.showErrorMessage(`Flatness Lens: ${error.message}`, 'Show Log').then((choice) => {
          if (choice === 'Show Log') this.log.show();
        });
      }
      return { error, context };
    }
  }

  async buildRequest(model: vscode.Uri, association: DataAssociation): Promise<AnalysisRequest> {
    const settings = readSettings();
    const request: AnalysisRequest = {
      modelPath: await localPathOf(model),
      dataPath: await localPathOf(association.trainingData),
      loss: settings.loss,
      backend: settings.backend,
      sections: settings.sections,
    };
    if (association.testData) request.testDataPath = await localPathOf(association.testData);
    if (association.targets) request.targetsPath = await localPathOf(association.targets);
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
    const panel = this.panels.show({ kind: 'progress', message: `Comparing ${models.length} models on ${dataLabel} (one shared calibration; this trains about 20 networks)`, context: null });
    try {
      const settings = readSettings();
      const ranked: RankedModel[] = [];
      for (const model of models) ranked.push({ path: await localPathOf(model), modelUri: model.toString(), modelLabel: label(model) });
      const request: ComparisonRequest = {
        modelPaths: ranked.map((m) => m.path),
        dataPath: await localPathOf(association.trainingData),
        loss: settings.loss,
        backend: settings.backend,
      };
      if (association.testData) request.testDataPath = await localPathOf(association.testData);
      const activation = association.activation ?? settings.defaultActivation;
      if (activation) request.activation = activation;
      this.log.line(`comparing ${ranked.map((m) => m.modelLabel).join(', ')} on ${dataLabel}`);
      const comparison = await this.withProgress(models[0]!, `Flatness Lens: comparing ${models.length} models (can take minutes)`, `${models.length} models`,
        (onProgress) => this.worker.compare(request, { onProgress }), (stage, fraction) => panel.post({ type: 'progress', stage, fraction }));
      this.log.line(`comparison done: ${comparison.models.map((row) => `${row.rank}. ${baseName(row.path)}`).join(', ')}`);
      const shown = this.panels.show({ kind: 'ranking', comparison, models: ranked, dataLabel });
      // The progress panel is keyed apart from the comparison's: close it once the ranking is up.
      if (shown !== panel) panel.panel.dispose();
      return { comparison };
    } catch (caught) {
      const error = toWire(caught);
      this.log.line(`comparison ${error.code === 'cancelled' ? 'cancelled' : `failed: ${error.message}`}`);
      if (error.log) this.log.line(`worker log:\n${error.log}`);
      panel.show({ kind: 'error', error, context: null });
      if (error.code === 'cancelled') void vscode.window.showInformationMessage('Flatness Lens: comparison cancelled.');
      else void vscode.window.showErrorMessage(`Flatness Lens: ${error.message}`);
      return { error };
    }
  }

  private runWithProgress(model: vscode.Uri, request: AnalysisRequest, onProgress: (stage: string, fraction: number) => void): Promise<Report> {
    const name = baseName(model.path);
    const title = request.sections?.predict ? `Flatness Lens: predicting generalization of ${name} (can take minutes)` : `Flatness Lens: analysing ${name}`;
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
          this.statusBar.text = `$(sync~spin) Flatness: ${name} ${stage} ${percent}%`;
          onProgress(stage, fraction);
        });
        const run: Running = { model, cancel: () => this.worker.cancel(id) };
        this.running.add(run);
        this.statusBar.text = `$(sync~spin) Flatness: ${name}`;
        this.statusBar.tooltip = 'Flatness Lens is analysing a model: click to cancel';
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
  }
}
