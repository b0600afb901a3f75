/** The command palette: every command of the extension, registered in one place. */
import * as vscode from 'vscode';
import type { ExportFormat, RankedModel, ReportContext, ViewState, WebviewToHost } from '../shared/protocol';
import type { ComparisonReport, Report } from '../shared/report';
import type { AnalysisService } from './analysisService';
import type { DataAssociation, DataAssociations } from './dataAssociation';
import type { ReportPanel, ReportPanels } from './reportPanel';
import type { ReportStore } from './reportStore';
import type { WorkerClient } from './workerClient';
import type { Log } from './log';
import type { ComparisonHistory } from './comparisonHistory';
import { clearReportsConfirmed } from './views';
import { SECTION } from './settings';
import { isModelFile, baseName, MODEL_EXTENSIONS } from './modelFiles';
import { comparisonCsv, comparisonMarkdown, neuronsCsv, reportMarkdown } from './exporters';
import { comparisonHtml } from '../engine/report/comparisonText';
import { renderHtml } from '../engine/report/html';
import { foundNetworkToSafetensors } from '../engine/save/safetensors';
import { reportFailure } from './failures';
import { COMPARISON_KEY, withoutRerun } from './reportPanel';
import { afterFailedRerun } from './analysisService';
import { exportTrajectory } from './trajectoryExport';

export interface CommandDeps {
  extensionUri: vscode.Uri;
  analysis: AnalysisService;
  associations: DataAssociations;
  panels: ReportPanels;
  store: ReportStore;
  worker: WorkerClient;
  log: Log;
  /** Past comparisons for the Reports view. */
  comparisons?: ComparisonHistory;
}

export const COMMAND_IDS = [
  'flatnessLens.analyzeModel',
  'flatnessLens.analyzeActiveFile',
  'flatnessLens.chooseTrainingData',
  'flatnessLens.compareModels',
  'flatnessLens.predictGeneralization',
  'flatnessLens.openExample',
  'flatnessLens.exportReport',
  'flatnessLens.cancelAnalysis',
  'flatnessLens.selectBackend',
  'flatnessLens.showLog',
  'flatnessLens.openStoredReport',
  'flatnessLens.refreshModels',
  'flatnessLens.clearReports',
] as const;

/** What each command does, for "could not <action>" when it fails. */
const COMMAND_ACTIONS: Record<(typeof COMMAND_IDS)[number], string> = {
  'flatnessLens.analyzeModel': 'analyze the model',
  'flatnessLens.analyzeActiveFile': 'analyze the active file',
  'flatnessLens.chooseTrainingData': 'choose the training data',
  'flatnessLens.compareModels': 'compare the models',
  'flatnessLens.predictGeneralization': 'predict the generalization',
  'flatnessLens.openExample': 'open the example',
  'flatnessLens.exportReport': 'export the report',
  'flatnessLens.cancelAnalysis': 'cancel the analysis',
  'flatnessLens.selectBackend': 'select the compute backend',
  'flatnessLens.showLog': 'show the log',
  'flatnessLens.openStoredReport': 'open the stored report',
  'flatnessLens.refreshModels': 'refresh the models',
  'flatnessLens.clearReports': 'clear the reports',
};

function modelFilter(): Record<string, string[]> {
  return { [vscode.l10n.t('Model files')]: [...MODEL_EXTENSIONS.map((e) => e.slice(1)), 'json'] };
}

async function pickModel(title: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Analyze'), title, filters: modelFilter() });
  return picked?.[0];
}

/** The model a command applies to: its argument (explorer, editor title), else the active editor. */
export function activeModelUri(): vscode.Uri | undefined {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  const input = tab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) return input.uri;
  return vscode.window.activeTextEditor?.document.uri;
}

export function exampleFolder(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'examples', 'multi-index');
}

/** A ranking (Compare Models) exports as the CLI's `compare --json` / `--html` documents, or as Markdown and CSV tables. */
async function exportRanking(comparison: ComparisonReport, models: RankedModel[], format: ExportFormat): Promise<void> {
  if (format === 'png') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: a model comparison exports as HTML, Markdown, CSV or JSON.'));
    return;
  }
  const labelOf = (path: string): string => models.find((m) => m.path === path)?.modelLabel ?? baseName(path);
  const extension = { json: 'json', html: 'html', markdown: 'md', csv: 'csv' }[format];
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const defaultUri = folder ? vscode.Uri.joinPath(folder, `comparison.flatness.${extension}`) : undefined;
  const target = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Export comparison as {0}', format.toUpperCase()), ...(defaultUri ? { defaultUri } : {}), filters: { [format.toUpperCase()]: [extension] } });
  if (!target) return;
  const text = format === 'json' ? JSON.stringify(comparison, null, 2) + '\n'
    : format === 'html' ? comparisonHtml(comparison)
      : format === 'markdown' ? comparisonMarkdown(comparison, labelOf) : comparisonCsv(comparison, labelOf);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: exported {0}', baseName(target.path)));
}

/** Writes report.flattest.network of the panel's report as a PyTorch-style safetensors file. */
export async function saveFlattest(state: ViewState, modelUri: string): Promise<vscode.Uri | undefined> {
  const report = state.kind === 'report' ? state.report
    : state.kind === 'comparison' ? state.reports.find((entry) => entry.context.modelUri === modelUri)?.report : undefined;
  const network = report?.flattest?.network;
  if (!report || !network) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: this report has no flattest network to save; run Predict Generalization first.'));
    return undefined;
  }
  const stem = baseName(report.model.path).replace(/\.[^.]+$/, '') + '.flattest.safetensors';
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const defaultUri = folder ? vscode.Uri.joinPath(folder, stem) : undefined;
  const target = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Save the flattest network found'), ...(defaultUri ? { defaultUri } : {}), filters: { safetensors: ['safetensors'] } });
  if (!target) return undefined;
  try {
    await vscode.workspace.fs.writeFile(target, foundNetworkToSafetensors(network));
  } catch (error) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Flatness Lens: could not save the flattest network: {0}', (error as Error).message));
    return undefined;
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: saved the flattest network ({0}) to {1}', `${network.inputDim}-${network.hiddenDim}(${network.activation})-${network.outputDim}`, baseName(target.path)));
  return target;
}

async function exportState(state: ViewState, format: ExportFormat, panel: ReportPanel | undefined): Promise<void> {
  if (state.kind === 'ranking') {
    await exportRanking(state.comparison, state.models, format);
    return;
  }
  if (state.kind === 'trajectory') {
    await exportTrajectory(state.run, format, panel);
    return;
  }
  const report: Report | undefined = state.kind === 'report' ? state.report : state.kind === 'comparison' ? state.reports[0]?.report : undefined;
  if (!report) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: open a finished report before exporting.'));
    return;
  }
  const stem = baseName(report.model.path).replace(/\.[^.]+$/, '') + '.flatness';
  const extension = { json: 'json', html: 'html', markdown: 'md', csv: 'csv', png: 'png' }[format];
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const defaultUri = folder ? vscode.Uri.joinPath(folder, `${stem}.${extension}`) : undefined;
  const target = await vscode.window.showSaveDialog({ title: vscode.l10n.t('Export report as {0}', format.toUpperCase()), ...(defaultUri ? { defaultUri } : {}), filters: { [format.toUpperCase()]: [extension] } });
  if (!target) return;
  const encoder = new TextEncoder();
  const written: vscode.Uri[] = [];
  if (format === 'json') {
    await vscode.workspace.fs.writeFile(target, encoder.encode(JSON.stringify(report, null, 2) + '\n'));
    written.push(target);
  } else if (format === 'markdown') {
    await vscode.workspace.fs.writeFile(target, encoder.encode(reportMarkdown(report)));
    written.push(target);
  } else if (format === 'csv') {
    await vscode.workspace.fs.writeFile(target, encoder.encode(neuronsCsv(report)));
    written.push(target);
  } else if (format === 'html') {
    // The same self-contained page (inline SVG charts, no scripts) the CLI writes.
    await vscode.workspace.fs.writeFile(target, encoder.encode(renderHtml(report)));
    written.push(target);
  } else {
    const charts = panel ? await panel.captureCharts() : [];
    if (charts.length === 0) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: no chart is visible to export; open the report first.'));
      return;
    }
    const base = target.path.replace(/\.png$/i, '');
    for (const chart of charts) {
      const uri = target.with({ path: `${base}-${chart.name}.png` });
      const bytes = Buffer.from(chart.dataUrl.slice(chart.dataUrl.indexOf(',') + 1), 'base64');
      await vscode.workspace.fs.writeFile(uri, bytes);
      written.push(uri);
    }
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: exported {0}', written.map((uri) => baseName(uri.path)).join(', ')));
}

export function webviewMessageHandler(deps: () => CommandDeps): (message: WebviewToHost, panel: ReportPanel) => Promise<void> {
  return async (message, panel) => {
    switch (message.type) {
      case 'analyze':
        await vscode.commands.executeCommand('flatnessLens.analyzeModel', vscode.Uri.parse(message.modelUri));
        return;
      case 'predict':
        await vscode.commands.executeCommand('flatnessLens.predictGeneralization', vscode.Uri.parse(message.modelUri));
        return;
      case 'changeTrainingData':
        await vscode.commands.executeCommand('flatnessLens.chooseTrainingData', vscode.Uri.parse(message.modelUri), { reanalyze: true });
        return;
      case 'export':
        await exportState(panel.state, message.format, panel);
        return;
      case 'cancel':
        deps().analysis.cancelAll();
        return;
      case 'openFile':
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.parse(message.uri));
        return;
      case 'saveFlattest':
        await saveFlattest(panel.state, message.modelUri);
        return;
      case 'openReport': {
        // A name clicked in a comparison: its latest report, else an analysis with the data already associated.
        const latest = deps().store.latestFor(message.modelUri);
        if (latest) await vscode.commands.executeCommand('flatnessLens.openStoredReport', latest.id);
        else await vscode.commands.executeCommand('flatnessLens.analyzeModel', vscode.Uri.parse(message.modelUri));
        return;
      }
      case 'ready':
      case 'chartImages':
      case 'dismissRerun':
        // The panel itself answers these.
        return;
    }
  };
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { analysis, associations, panels, store, log } = deps;
  // A failing command tells the user (and the log) instead of rejecting into the host's log.
  const register = (id: (typeof COMMAND_IDS)[number], handler: (...args: never[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await (handler as (...args: unknown[]) => unknown)(...args);
      } catch (error) {
        reportFailure(log, COMMAND_ACTIONS[id], error);
        return undefined;
      }
    });

  const analyzeUri = async (uri: vscode.Uri | undefined): Promise<void> => {
    if (!uri) return;
    await analysis.analyze(uri);
  };

  return [
    register('flatnessLens.analyzeModel', async (uri?: vscode.Uri) => {
      await analyzeUri(uri instanceof vscode.Uri ? uri : await pickModel('Model to analyze'));
    }),
    register('flatnessLens.analyzeActiveFile', async (uri?: vscode.Uri) => {
      const target = uri instanceof vscode.Uri ? uri : activeModelUri();
      if (!target || !isModelFile(target.path)) {
        void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: the active editor is not a model file (.safetensors, .npz, .h5, .keras, .pt, .pth, .onnx or TF.js model.json).'));
        return;
      }
      await analyzeUri(target);
    }),
    register('flatnessLens.chooseTrainingData', async (uri?: vscode.Uri, options?: { reanalyze?: boolean }) => {
      const model = uri instanceof vscode.Uri ? uri : activeModelUri() ?? (await pickModel('Model whose training data to choose'));
      if (!model) return;
      const association = await associations.choose(model, { askTestData: true });
      if (association && (options?.reanalyze || store.latestFor(model.toString()))) await analysis.analyze(model, { association });
    }),
    register('flatnessLens.compareModels', async (first?: vscode.Uri, selected?: vscode.Uri[]) => {
      let models = Array.isArray(selected) && selected.length > 1 ? selected : undefined;
      if (!models) {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: true, openLabel: vscode.l10n.t('Compare'), title: vscode.l10n.t('Models to compare (same training data)'), filters: modelFilter() });
        models = picked;
      }
      if (!models || models.length === 0) return;
      if (first instanceof vscode.Uri && !models.some((m) => m.toString() === first.toString())) models.unshift(first);
      // Test data is asked for (held-out files beside the training data first): it gives the measured loss and Kendall tau.
      const association = await associations.resolveWithTestData(models[0]!);
      if (!association) return;
      // Every compared model keeps this data: opening one from the comparison never asks again.
      await associations.setAll(models, association);
      // One model has nothing to rank against: analyze it with its prediction instead.
      if (models.length === 1) await analysis.analyze(models[0]!, { association, predict: true });
      else {
        const outcome = await analysis.compare(models, association);
        const shown = panels.find(COMPARISON_KEY)?.state;
        if (outcome.comparison && shown?.kind === 'ranking' && shown.comparison === outcome.comparison) {
          await deps.comparisons?.add(shown.comparison, shown.models, shown.dataLabel);
        }
      }
    }),
    register('flatnessLens.predictGeneralization', async (uri?: vscode.Uri) => {
      // The model: the argument (explorer, editor title), the active model file, the open report's model, else ask.
      const active = activeModelUri();
      const shown = panels.active?.state;
      const fromReport = shown && shown.kind === 'report' ? vscode.Uri.parse(shown.context.modelUri) : undefined;
      const target = uri instanceof vscode.Uri ? uri : active && isModelFile(active.path) ? active : fromReport ?? (await pickModel('Model whose generalization to predict'));
      if (!target) return;
      await analysis.analyze(target, { predict: true });
    }),
    register('flatnessLens.openExample', async () => {
      const folder = exampleFolder(deps.extensionUri);
      const association = {
        trainingData: vscode.Uri.joinPath(folder, 'train.npz'),
        testData: vscode.Uri.joinPath(folder, 'test.npz'),
        source: 'example' as const,
      };
      const models = [vscode.Uri.joinPath(folder, 'generalizing.safetensors'), vscode.Uri.joinPath(folder, 'memorizing.safetensors')];
      // Remembered, so that Re-analyze on the example never asks for the data it already shows.
      await associations.setAll(models, association);
      await compare(models, association);
    }),
    register('flatnessLens.exportReport', async (format?: ExportFormat) => {
      const panel = panels.active;
      if (!panel) {
        void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: open a report before exporting it.'));
        return;
      }
      const chosen = format ?? (await vscode.window.showQuickPick(
        [
          { label: 'JSON', description: vscode.l10n.t('the report document (same as the CLI writes)'), format: 'json' as const },
          { label: 'HTML', description: vscode.l10n.t('a static page with the charts (the same as the CLI writes)'), format: 'html' as const },
          { label: 'Markdown', format: 'markdown' as const },
          { label: 'CSV', description: vscode.l10n.t('one row per hidden neuron'), format: 'csv' as const },
          { label: 'PNG', description: vscode.l10n.t('one image per chart'), format: 'png' as const },
        ],
        { title: vscode.l10n.t('Export report as') },
      ))?.format;
      if (chosen) await exportState(panel.state, chosen, panel);
    }),
    register('flatnessLens.cancelAnalysis', () => {
      const count = analysis.cancelAll();
      if (count === 0) void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: no analysis is running.'));
    }),
    register('flatnessLens.selectBackend', async () => {
      const current = vscode.workspace.getConfiguration(SECTION).get<string>('backend', 'auto');
      const choice = await vscode.window.showQuickPick(
        [
          { label: 'auto', description: vscode.l10n.t('the fastest that loads: a GPU through WebGPU, tfjs-node-gpu, tfjs-node, onnxruntime, wasm, cpu') },
          { label: 'webgpu', description: vscode.l10n.t('the GPU through WebGPU (platform .vsix; Vulkan on Linux); forced, even a software adapter') },
          { label: 'tensorflow-gpu', description: vscode.l10n.t('native TensorFlow with CUDA (needs @tensorflow/tfjs-node-gpu)') },
          { label: 'tensorflow', description: vscode.l10n.t('native TensorFlow (needs @tensorflow/tfjs-node)') },
          { label: 'onnxruntime', description: vscode.l10n.t('native multi-threaded CPU kernels of ONNX Runtime (shipped for linux-x64)') },
          { label: 'wasm', description: vscode.l10n.t('WebAssembly with SIMD (bundled)') },
          { label: 'cpu', description: vscode.l10n.t('plain JavaScript (bundled, slowest)') },
        ].map((item) => ({ ...item, picked: item.label === current, detail: item.label === current ? vscode.l10n.t('current') : undefined })),
        { title: vscode.l10n.t('Compute backend for analyses') },
      );
      if (!choice) return;
      await vscode.workspace.getConfiguration(SECTION).update('backend', choice.label, vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: compute backend set to {0}.', choice.label));
    }),
    register('flatnessLens.showLog', () => log.show()),
    register('flatnessLens.openStoredReport', async (id?: string) => {
      if (typeof id !== 'string') return;
      const loaded = await store.load(id);
      if (loaded.error !== undefined) {
        log.warn(`could not open a stored report: ${loaded.error}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('Flatness Lens: {0}.', loaded.error));
        return;
      }
      panels.show({ kind: 'report', report: loaded.report, context: loaded.context });
    }),
    register('flatnessLens.refreshModels', () => vscode.commands.executeCommand('flatnessLens.internal.refreshModels')),
    register('flatnessLens.clearReports', () => clearReportsConfirmed(store, deps.comparisons)),
  ];

  async function compare(models: vscode.Uri[], association: DataAssociation | undefined): Promise<void> {
    const results: { report: Report; context: ReportContext }[] = [];
    // Running the example again keeps the previous comparison on screen under a progress strip.
    const shown = panels.find(COMPARISON_KEY)?.finished;
    const previous = shown ? (withoutRerun(shown) as typeof shown) : undefined;
    const progressPanel = previous ? panels.show({ ...previous, rerun: { status: 'running', message: vscode.l10n.t('Analyzing {0} models again', models.length) } }) : undefined;
    for (const model of models) {
      const outcome = await analysis.analyze(model, { ...(association ? { association } : {}), showPanel: models.length === 1, ...(progressPanel ? { progressPanel } : {}) });
      if (outcome.error && previous && (outcome.error.code === 'cancelled' || models.length > 1)) {
        panels.show(afterFailedRerun(previous, outcome.error, vscode.l10n.t('The new comparison cancelled; this is the previous result.')), false);
        return;
      }
      if (outcome.error?.code === 'cancelled') return;
      if (outcome.report && outcome.context) results.push({ report: outcome.report, context: outcome.context });
    }
    if (results.length > 1) panels.show({ kind: 'comparison', reports: results });
    else if (results.length === 1) panels.show({ kind: 'report', report: results[0]!.report, context: results[0]!.context });
  }
}
