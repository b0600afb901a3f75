/**
 * "Track Training Folder...": watches a folder of checkpoints, analyzes each new checkpoint in
 * the worker as it appears (debounced until the file stops changing), and draws the run in a
 * trajectory panel; the side panel's Training Runs view lists the runs with their latest verdict
 * and a Stop Watching action.
 */
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import type { AnalysisRequest } from '../shared/protocol';
import { type TrajectoryRunView, trajectoryPointFromReport } from '../shared/trajectory';
import { stepFromFileName, isCheckpointName } from '../engine/trajectory/checkpointFiles';
import type { DataAssociation, DataAssociations } from './dataAssociation';
import type { WorkerClient } from './workerClient';
import { type ReportPanels, keyOf } from './reportPanel';
import type { Log } from './log';
import { TrainingRun, type TrainingRunSnapshot } from './trainingRun';
import { readSettings } from './settings';
import { baseName } from './modelFiles';
import { labelOf } from './localFiles';
import { verdictIcon } from './views';
import { reportFailure } from './failures';

/** How often a watched folder is looked at besides the file-system events (they can be late or missing on some file systems). */
export const POLL_MS = 1000;

export const TRAINING_VIEW_ID = 'flatnessLens.training';

function panelKey(run: WatchedRun): string {
  return keyOf({ kind: 'trajectory', run: run.view() });
}

class WatchedRun implements vscode.Disposable {
  readonly run: TrainingRun;
  private readonly watcher: vscode.FileSystemWatcher;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly running = new Set<number>();
  snapshot: TrainingRunSnapshot = { points: [], pending: [], failures: [] };
  watching = true;

  constructor(
    readonly folder: vscode.Uri,
    readonly association: DataAssociation,
    private readonly worker: WorkerClient,
    private readonly log: Log,
    private readonly onChange: (run: WatchedRun) => void,
  ) {
    const exclude = [association.trainingData, association.testData, association.targets]
      .filter((uri): uri is vscode.Uri => uri !== undefined && uri.scheme === 'file').map((uri) => uri.fsPath);
    this.run = new TrainingRun(folder.fsPath, (file) => this.analyze(file), (snapshot) => {
      this.snapshot = snapshot;
      this.onChange(this);
    }, exclude);
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '*'));
    const onEvent = (uri: vscode.Uri) => {
      if (isCheckpointName(baseName(uri.path))) this.run.scan();
    };
    this.watcher.onDidCreate(onEvent);
    this.watcher.onDidChange(onEvent);
    this.timer = setInterval(() => this.run.scan(), POLL_MS);
    this.run.scan();
  }

  get label(): string {
    return labelOf(this.folder);
  }

  get dataLabel(): string {
    const { trainingData, testData } = this.association;
    return labelOf(trainingData) + (testData ? ` (test: ${labelOf(testData)})` : '');
  }

  view(): TrajectoryRunView {
    const points = this.snapshot.points;
    return {
      folderUri: this.folder.toString(),
      folderLabel: this.label,
      dataLabel: this.dataLabel,
      watching: this.watching,
      points,
      uris: points.map((p) => vscode.Uri.file(p.path).toString()),
      pending: this.snapshot.pending,
      failures: this.snapshot.failures,
    };
  }

  private request(file: string): AnalysisRequest {
    const settings = readSettings();
    // The core analysis only: the optional sections cost seconds to minutes per checkpoint.
    const request: AnalysisRequest = {
      modelPath: file,
      dataPath: this.association.trainingData.fsPath,
      loss: settings.loss,
      backend: settings.backend,
      sections: {},
    };
    if (this.association.testData) request.testDataPath = this.association.testData.fsPath;
    if (this.association.targets) request.targetsPath = this.association.targets.fsPath;
    const activation = this.association.activation ?? settings.defaultActivation;
    if (activation) request.activation = activation;
    if (settings.interpolationTolerance !== null) request.interpolationTolerance = settings.interpolationTolerance;
    return request;
  }

  private async analyze(file: string) {
    const modifiedAt = fs.statSync(file).mtime.toISOString();
    const { id, result } = this.worker.analyze(this.request(file));
    this.running.add(id);
    try {
      const report = await result;
      this.log.info(`training run ${this.label}: ${baseName(file)} ${report.verdict.headline}`);
      return trajectoryPointFromReport(report, stepFromFileName(file), modifiedAt);
    } catch (error) {
      this.log.warn(`training run ${this.label}: ${baseName(file)} could not be analyzed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    } finally {
      this.running.delete(id);
    }
  }

  stop(): void {
    if (!this.watching) return;
    this.watching = false;
    clearInterval(this.timer);
    this.watcher.dispose();
    this.run.stop();
    for (const id of this.running) this.worker.cancel(id);
    this.onChange(this);
  }

  dispose(): void {
    this.stop();
  }
}

export class TrainingRunItem extends vscode.TreeItem {
  constructor(readonly watched: WatchedRun) {
    super(baseName(watched.folder.path), vscode.TreeItemCollapsibleState.None);
    const { points, pending } = watched.snapshot;
    const latest = points[points.length - 1];
    this.id = watched.folder.toString();
    this.resourceUri = watched.folder;
    this.iconPath = pending.length ? new vscode.ThemeIcon('sync~spin') : verdictIcon(latest?.verdict.level, 'analyzed');
    const ratio = latest?.ratio;
    this.description = [
      points.length === 1 ? vscode.l10n.t('1 checkpoint') : vscode.l10n.t('{0} checkpoints', points.length),
      ratio !== null && ratio !== undefined ? `R = ${ratio.toPrecision(3)}` : '',
      watched.watching ? vscode.l10n.t('watching') : vscode.l10n.t('stopped'),
    ].filter(Boolean).join(' · ');
    this.tooltip = new vscode.MarkdownString(`**${watched.label}**\n\n${vscode.l10n.t('Training data: {0}', watched.dataLabel)}\n\n${latest ? vscode.l10n.t('Latest ({0}): {1}', baseName(latest.path), latest.verdict.headline) : vscode.l10n.t('No checkpoint analyzed yet')}`);
    this.contextValue = watched.watching ? 'flatnessLens.trainingRun.watching' : 'flatnessLens.trainingRun.stopped';
    this.command = { command: 'flatnessLens.openTrainingRun', title: vscode.l10n.t('Open Training Run'), arguments: [watched.folder.toString()] };
  }
}

export class TrainingWatcher implements vscode.TreeDataProvider<TrainingRunItem>, vscode.Disposable {
  private readonly runs = new Map<string, WatchedRun>();
  private readonly changed = new vscode.EventEmitter<TrainingRunItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly worker: WorkerClient,
    private readonly associations: DataAssociations,
    private readonly panels: ReportPanels,
    private readonly log: Log,
  ) {}

  getTreeItem(element: TrainingRunItem): vscode.TreeItem {
    return element;
  }

  getChildren(): TrainingRunItem[] {
    return [...this.runs.values()].map((run) => new TrainingRunItem(run));
  }

  /** The folders being watched now (for tests and the e2e test). */
  get watchedFolders(): string[] {
    return [...this.runs.values()].filter((run) => run.watching).map((run) => run.folder.toString());
  }

  /** The folder to watch: the one given, the folder of a given or active checkpoint, else asked for. */
  private async folderFor(target: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    const candidate = target ?? vscode.window.activeTextEditor?.document.uri
      ?? (vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined)?.uri;
    if (candidate && candidate.scheme === 'file') {
      try {
        const stat = await vscode.workspace.fs.stat(candidate);
        if (stat.type & vscode.FileType.Directory) return candidate;
        if (target || isCheckpointName(baseName(candidate.path))) return vscode.Uri.joinPath(candidate, '..');
      } catch {
        // not readable: ask
      }
    }
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false,
      openLabel: vscode.l10n.t('Track Training Folder'), title: vscode.l10n.t('Folder where training writes its checkpoints'),
    });
    return picked?.[0];
  }

  async track(target?: vscode.Uri, association?: DataAssociation): Promise<TrajectoryRunView | undefined> {
    const folder = await this.folderFor(target);
    if (!folder) return undefined;
    if (folder.scheme !== 'file') {
      void vscode.window.showErrorMessage(vscode.l10n.t('Flatness Lens: Track Training Folder works on folders on this machine\'s disk.'));
      return undefined;
    }
    const existing = this.runs.get(folder.toString());
    if (existing?.watching) {
      this.show(existing, true);
      return existing.view();
    }
    const data = association ?? (await this.associations.resolve(folder));
    if (!data) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens needs the training data of the run in {0} to analyze its checkpoints.', baseName(folder.path)));
      return undefined;
    }
    if (data.trainingData.scheme !== 'file' || (data.testData && data.testData.scheme !== 'file')) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Flatness Lens: the training and test data of a watched run must be files on this machine\'s disk.'));
      return undefined;
    }
    existing?.dispose();
    const watched = new WatchedRun(folder, data, this.worker, this.log, (run) => {
      // A panel the user closed stays closed: the Training Runs view opens it again.
      if (this.panels.find(panelKey(run))) this.show(run, false);
      this.changed.fire(undefined);
    });
    this.runs.set(folder.toString(), watched);
    this.log.info(`watching ${watched.label} for checkpoints (training data ${watched.dataLabel})`);
    this.show(watched, true);
    this.changed.fire(undefined);
    return watched.view();
  }

  stop(target?: TrainingRunItem | string | vscode.Uri): void {
    const key = target instanceof TrainingRunItem ? target.watched.folder.toString() : target?.toString();
    const runs = key ? [this.runs.get(key)].filter((run): run is WatchedRun => run !== undefined) : [...this.runs.values()];
    for (const run of runs) {
      run.stop();
      this.log.info(`stopped watching ${run.label}`);
    }
    this.changed.fire(undefined);
  }

  open(folderUri: string): void {
    const run = this.runs.get(folderUri);
    if (run) this.show(run, true);
  }

  /** Forget stopped runs. */
  clearStopped(): void {
    for (const [key, run] of this.runs) if (!run.watching) this.runs.delete(key);
    this.changed.fire(undefined);
  }

  private show(run: WatchedRun, reveal: boolean): void {
    this.panels.show({ kind: 'trajectory', run: run.view() }, reveal);
  }

  dispose(): void {
    for (const run of this.runs.values()) run.dispose();
    this.runs.clear();
    this.changed.dispose();
  }
}

function associationArgument(value: unknown): DataAssociation | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { trainingData, testData } = value as { trainingData?: unknown; testData?: unknown };
  const asUri = (v: unknown) => (v instanceof vscode.Uri ? v : typeof v === 'string' ? vscode.Uri.parse(v) : undefined);
  const training = asUri(trainingData);
  if (!training) return undefined;
  const test = asUri(testData);
  return { trainingData: training, ...(test ? { testData: test } : {}), source: 'picked' };
}

/** The training-run commands (contributed in package.json beside commands.ts's COMMAND_IDS). */
export const TRAINING_COMMAND_IDS = ['flatnessLens.trackTrainingFolder', 'flatnessLens.stopWatching', 'flatnessLens.openTrainingRun'] as const;

const TRAINING_COMMAND_ACTIONS: Record<(typeof TRAINING_COMMAND_IDS)[number], string> = {
  'flatnessLens.trackTrainingFolder': 'track the training folder',
  'flatnessLens.stopWatching': 'stop watching the training run',
  'flatnessLens.openTrainingRun': 'open the training run',
};

/** The commands and the view of training runs; a failing command tells the user and the log. */
export function registerTrainingWatcher(watcher: TrainingWatcher, log: Log): vscode.Disposable[] {
  const register = (id: (typeof TRAINING_COMMAND_IDS)[number], handler: (...args: unknown[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        reportFailure(log, TRAINING_COMMAND_ACTIONS[id], error);
        return undefined;
      }
    });
  return [
    vscode.window.registerTreeDataProvider(TRAINING_VIEW_ID, watcher),
    // Scripted use (tests, other extensions): a second argument { trainingData, testData? } of URIs skips the question.
    register('flatnessLens.trackTrainingFolder', (target?: unknown, data?: unknown) =>
      watcher.track(target instanceof vscode.Uri ? target : undefined, associationArgument(data))),
    register('flatnessLens.stopWatching', (target?: unknown) =>
      watcher.stop(target instanceof TrainingRunItem || typeof target === 'string' || target instanceof vscode.Uri ? target : undefined)),
    register('flatnessLens.openTrainingRun', (folderUri?: unknown) => {
      if (typeof folderUri === 'string') watcher.open(folderUri);
    }),
    watcher,
  ];
}
