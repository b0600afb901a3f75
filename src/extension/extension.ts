/**
 * Entry point of the Flatness Lens extension. Activation happens only on its commands, views,
 * custom editors and (after a window reload) its restored report panels (onWebviewPanel); nothing
 * heavy runs in the extension host: analyses run in dist/worker.js.
 */
import * as vscode from 'vscode';
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { WorkerClient, type WorkerProcessHandle } from './workerClient';
import { Log } from './log';
import { DataAssociations } from './dataAssociation';
import { ReportStore } from './reportStore';
import { ReportPanels, PANEL_VIEW_TYPES } from './reportPanel';
import { ModelsView, ReportsView } from './views';
import { ComparisonHistory } from './comparisonHistory';
import { AnalysisService } from './analysisService';
import { registerCommands, webviewMessageHandler, type CommandDeps } from './commands';
import { ModelSummaryEditor, MODEL_EDITOR_OPTION_VIEW_TYPE, MODEL_EDITOR_VIEW_TYPE } from './modelEditor';
import { readSettings, SECTION } from './settings';
import { TrainingWatcher, registerTrainingWatcher } from './trainingWatcher';

/** Forks the bundled worker with the memory limit; VS Code's Electron runs it as plain Node. */
export function forkBundledWorker(extensionPath: string) {
  return (options: { memoryLimitMb: number }): WorkerProcessHandle =>
    fork(path.join(extensionPath, 'dist', 'worker.js'), [], {
      execArgv: [`--max-old-space-size=${options.memoryLimitMb}`],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
}

let deps: CommandDeps | undefined;

export function activate(context: vscode.ExtensionContext): { deps: CommandDeps } {
  const log = new Log();
  const worker = new WorkerClient(forkBundledWorker(context.extensionPath), () => ({ memoryLimitMb: readSettings().memoryLimitMb }), (line, level) => log.worker(line, level));
  const associations = new DataAssociations(context.workspaceState);
  // Reports are files in the workspace's storage folder (the global one in an empty window).
  const store = new ReportStore(context.workspaceState, context.storageUri ?? vscode.Uri.joinPath(context.globalStorageUri, 'no-workspace'));
  store.migrate().then((moved) => {
    if (moved > 0) log.info(`moved ${moved} stored reports from workspace state to ${store.folder.toString()}`);
  }, (error: unknown) => log.warn(`could not move the stored reports to files: ${error instanceof Error ? error.message : String(error)}`));
  const panels = new ReportPanels(context.extensionUri, webviewMessageHandler(() => deps!), log);
  const models = new ModelsView(store, () => readSettings().modelGlobs);
  const comparisons = new ComparisonHistory(context.workspaceState);
  const reports = new ReportsView(store, comparisons);
  const analysis = new AnalysisService(worker, associations, store, panels, models, log);
  deps = { extensionUri: context.extensionUri, analysis, associations, panels, store, worker, log, comparisons };

  context.subscriptions.push(
    log, associations, store, comparisons, panels, models, reports, analysis,
    { dispose: () => worker.dispose() },
    ...registerCommands(deps),
    ...registerTrainingWatcher(new TrainingWatcher(worker, associations, panels, log), log),
    vscode.commands.registerCommand('flatnessLens.internal.refreshModels', () => models.refreshWithFeedback()),
    vscode.commands.registerCommand('flatnessLens.internal.openComparison', (id?: string) => {
      const entry = typeof id === 'string' ? comparisons.get(id) : undefined;
      if (entry) panels.show({ kind: 'ranking', comparison: entry.comparison, models: entry.models, dataLabel: entry.dataLabel });
    }),
    vscode.window.registerTreeDataProvider('flatnessLens.models', models),
    vscode.window.registerTreeDataProvider('flatnessLens.reports', reports),
    ...PANEL_VIEW_TYPES.map((viewType) => vscode.window.registerWebviewPanelSerializer(viewType, panels)),
    ...[MODEL_EDITOR_VIEW_TYPE, MODEL_EDITOR_OPTION_VIEW_TYPE].map((viewType) =>
      vscode.window.registerCustomEditorProvider(viewType, new ModelSummaryEditor(context.extensionUri, worker, associations), { supportsMultipleEditorsPerDocument: true })),
    associations.onDidChange(() => models.refresh()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.modelGlobs`)) models.watch();
    }),
  );
  return { deps };
}

export function deactivate(): void {
  deps = undefined;
}
