/**
 * The side panel: Models (model files in the workspace with their last verdict) and Reports (one
 * row per model and data with its time and prediction, older runs beneath it, and past comparisons).
 */
import * as vscode from 'vscode';
import type { ReportVerdict } from '../shared/report';
import { formatNumber } from '../shared/format';
import { baseName } from './modelFiles';
import type { ReportStore, StoredReport } from './reportStore';
import type { ComparisonHistory, StoredComparison } from './comparisonHistory';

export type ModelStatus = 'not analyzed' | 'analyzing' | 'analyzed' | 'failed' | 'changed since analysis';

/** A status as the user reads it (the ModelStatus values are internal names). */
export function statusText(status: ModelStatus): string {
  switch (status) {
    case 'not analyzed': return vscode.l10n.t('not analyzed');
    case 'analyzing': return vscode.l10n.t('analyzing');
    case 'analyzed': return vscode.l10n.t('analyzed');
    case 'failed': return vscode.l10n.t('failed');
    case 'changed since analysis': return vscode.l10n.t('changed since analysis');
  }
}

export function verdictIcon(level: ReportVerdict['level'] | undefined, status: ModelStatus): vscode.ThemeIcon {
  if (status === 'analyzing') return new vscode.ThemeIcon('sync~spin');
  if (status === 'failed') return new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed'));
  switch (level) {
    case 'flat':
      return new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed'));
    case 'in-between':
      return new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    case 'sharp':
      return new vscode.ThemeIcon('flame', new vscode.ThemeColor('testing.iconFailed'));
    case 'not-applicable':
      return new vscode.ThemeIcon('circle-slash');
    default:
      return new vscode.ThemeIcon('circle-outline');
  }
}

/** "just now", "5 min ago", "3 h ago", else the date: short enough for a tree row. */
export function relativeTime(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (!Number.isFinite(then)) return '';
  const seconds = Math.max(0, (now - then) / 1000);
  if (seconds < 60) return vscode.l10n.t('just now');
  if (seconds < 3600) return vscode.l10n.t('{0} min ago', Math.floor(seconds / 60));
  if (seconds < 86400) return vscode.l10n.t('{0} h ago', Math.floor(seconds / 3600));
  return new Date(then).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/**
 * Names for a list of paths: the file name, qualified by as many parent folders as it takes to
 * tell equal names apart (two model.json files become run-a/model.json and run-b/model.json).
 */
export function qualifiedNames(paths: readonly string[]): string[] {
  const parts = paths.map((path) => path.replace(/\\/g, '/').split('/').filter(Boolean));
  const depth = parts.map(() => 1);
  for (let round = 0; round < 8; round++) {
    const names = parts.map((p, i) => p.slice(-depth[i]!).join('/'));
    let changed = false;
    names.forEach((name, i) => {
      if (names.filter((other) => other === name).length > 1 && depth[i]! < parts[i]!.length) {
        depth[i]! += 1;
        changed = true;
      }
    });
    if (!changed) return names;
  }
  return parts.map((p, i) => p.slice(-depth[i]!).join('/'));
}

export class ModelItem extends vscode.TreeItem {
  constructor(readonly uri: vscode.Uri, status: ModelStatus, latest: StoredReport | undefined, name = baseName(uri.path)) {
    super(name, vscode.TreeItemCollapsibleState.None);
    this.resourceUri = uri;
    this.id = uri.toString();
    this.iconPath = verdictIcon(latest?.level, status);
    const ratio = latest?.ratio;
    const ratioText = ratio !== null && ratio !== undefined ? `R = ${formatNumber(ratio, 3)}` : latest ? vscode.l10n.t('R n/a') : '';
    this.description = [ratioText, predictionText(latest), status === 'analyzed' ? '' : statusText(status)].filter(Boolean).join(' · ');
    this.tooltip = new vscode.MarkdownString(`**${vscode.workspace.asRelativePath(uri, false)}**\n\n${latest ? `${latest.headline} (${relativeTime(latest.createdAt)})` : vscode.l10n.t('Not analyzed yet')}\n\n${vscode.l10n.t('Status: {0}', statusText(status))}`);
    this.contextValue = 'flatnessLens.model';
    this.command = latest
      ? { command: 'flatnessLens.openStoredReport', title: vscode.l10n.t('Open Report'), arguments: [latest.id] }
      : { command: 'flatnessLens.analyzeModel', title: vscode.l10n.t('Analyze'), arguments: [uri] };
  }
}

/** "predicted 0.012" when the report carries a prediction. */
function predictionText(entry: StoredReport | undefined): string {
  const predicted = entry?.predictedTestLoss;
  return predicted === undefined || predicted === null ? '' : vscode.l10n.t('predicted {0}', formatNumber(predicted, 3));
}

export class ModelsView implements vscode.TreeDataProvider<ModelItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly statuses = new Map<string, ModelStatus>();
  private watchers: vscode.FileSystemWatcher[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly store: ReportStore, private readonly globs: () => string[]) {
    this.subscriptions.push(store.onDidChange(() => {
      // "changed since analysis" and "failed" belong to a report: gone with it (Clear Reports).
      for (const [uri, status] of this.statuses) {
        if ((status === 'changed since analysis' || status === 'analyzed') && !this.store.latestFor(uri)) this.statuses.delete(uri);
      }
      this.refresh();
    }));
    this.watch();
  }

  /** Re-creates the file watchers (after the globs setting changed). */
  watch(): void {
    for (const watcher of this.watchers) watcher.dispose();
    this.watchers = this.globs().map((glob) => {
      const watcher = vscode.workspace.createFileSystemWatcher(glob);
      watcher.onDidCreate(() => this.refresh());
      watcher.onDidDelete((uri) => {
        this.statuses.delete(uri.toString());
        this.refresh();
      });
      watcher.onDidChange((uri) => {
        if (this.store.latestFor(uri.toString())) this.statuses.set(uri.toString(), 'changed since analysis');
        this.refresh();
      });
      return watcher;
    });
    this.refresh();
  }

  setStatus(uri: vscode.Uri, status: ModelStatus): void {
    this.statuses.set(uri.toString(), status);
    this.refresh();
  }

  statusOf(uri: vscode.Uri): ModelStatus {
    return this.statuses.get(uri.toString()) ?? (this.store.latestFor(uri.toString()) ? 'analyzed' : 'not analyzed');
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** Refresh Models: searches again with a progress bar on the view, then says what it found. */
  async refreshWithFeedback(): Promise<number> {
    const found = await vscode.window.withProgress({ location: { viewId: 'flatnessLens.models' }, title: vscode.l10n.t('Searching for model files') }, () => this.find());
    this.refresh();
    vscode.window.setStatusBarMessage(found.length === 1 ? vscode.l10n.t('Flatness Lens: 1 model file found') : vscode.l10n.t('Flatness Lens: {0} model files found', found.length), 4000);
    return found.length;
  }

  getTreeItem(element: ModelItem): vscode.TreeItem {
    return element;
  }

  private async find(): Promise<vscode.Uri[]> {
    if (!vscode.workspace.workspaceFolders?.length) return [];
    const globs = this.globs();
    const pattern = globs.length === 1 ? globs[0]! : `{${globs.join(',')}}`;
    const found = await vscode.workspace.findFiles(pattern, '**/{node_modules,.git}/**', 1000);
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  async getChildren(element?: ModelItem): Promise<ModelItem[]> {
    if (element) return [];
    const found = await this.find();
    const names = qualifiedNames(found.map((uri) => vscode.workspace.asRelativePath(uri, false)));
    return found.map((uri, i) => new ModelItem(uri, this.statusOf(uri), this.store.latestFor(uri.toString()), names[i]));
  }

  dispose(): void {
    for (const watcher of this.watchers) watcher.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }
}

export class ReportItem extends vscode.TreeItem {
  constructor(readonly entry: StoredReport, name: string, older: StoredReport[] = []) {
    super(name, older.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = entry.id;
    const ratio = entry.ratio !== null ? `R = ${formatNumber(entry.ratio, 3)}` : '';
    this.description = [ratio, predictionText(entry), relativeTime(entry.createdAt), older.length ? vscode.l10n.t('{0} earlier', older.length) : ''].filter(Boolean).join(' · ');
    this.tooltip = new vscode.MarkdownString(`${vscode.l10n.t('**{0}** on {1}', entry.context.modelLabel, entry.context.dataLabel)}\n\n${entry.headline}\n\n${new Date(entry.createdAt).toLocaleString()}`);
    this.iconPath = verdictIcon(entry.level, 'analyzed');
    this.contextValue = 'flatnessLens.report';
    this.command = { command: 'flatnessLens.openStoredReport', title: vscode.l10n.t('Open Report'), arguments: [entry.id] };
    this.older = older;
  }

  readonly older: StoredReport[];
}

export class ComparisonItem extends vscode.TreeItem {
  constructor(readonly entry: StoredComparison) {
    super(entry.models.map((m) => baseName(m.modelLabel).replace(/\.[^.]+$/, '')).join(' vs '), vscode.TreeItemCollapsibleState.None);
    this.id = entry.id;
    this.description = `${vscode.l10n.t('{0} models', entry.models.length)} · ${relativeTime(entry.createdAt)}`;
    this.tooltip = new vscode.MarkdownString(`${vscode.l10n.t('**Comparison** on {0}', entry.dataLabel)}\n\n${entry.comparison.models.map((row) => `${row.rank}. ${entry.models.find((m) => m.path === row.path)?.modelLabel ?? baseName(row.path)}: ${row.verdict.headline}`).join('\n\n')}`);
    this.iconPath = new vscode.ThemeIcon('diff');
    this.contextValue = 'flatnessLens.comparison';
    this.command = { command: 'flatnessLens.internal.openComparison', title: vscode.l10n.t('Open Comparison'), arguments: [entry.id] };
  }
}

class GroupItem extends vscode.TreeItem {
  constructor(label: string, readonly group: 'comparisons') {
    super(label, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `group:${group}`;
    this.iconPath = new vscode.ThemeIcon('diff-multiple');
  }
}

type ReportsNode = ReportItem | ComparisonItem | GroupItem;

/**
 * One row per model and data (its newest report; earlier runs beneath), then a group of past
 * comparisons. Names are folder-qualified where two models share a file name.
 */
export class ReportsView implements vscode.TreeDataProvider<ReportsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ReportsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly store: ReportStore, private readonly comparisons?: ComparisonHistory) {
    this.subscriptions = [store.onDidChange(() => this.changed.fire(undefined)), ...(comparisons ? [comparisons.onDidChange(() => this.changed.fire(undefined))] : [])];
  }

  getTreeItem(element: ReportsNode): vscode.TreeItem {
    return element;
  }

  getChildren(element?: ReportsNode): ReportsNode[] {
    if (element instanceof ReportItem) {
      return element.older.map((entry) => new ReportItem(entry, new Date(entry.createdAt).toLocaleString()));
    }
    if (element instanceof GroupItem) return (this.comparisons?.list() ?? []).map((entry) => new ComparisonItem(entry));
    if (element) return [];
    const groups = new Map<string, StoredReport[]>();
    for (const entry of this.store.list()) {
      const key = `${entry.context.modelUri}#${entry.context.dataLabel}`;
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    const latest = [...groups.values()];
    const names = qualifiedNames(latest.map((entries) => entries[0]!.context.modelLabel));
    const rows: ReportsNode[] = latest.map((entries, i) => new ReportItem(entries[0]!, names[i]!, entries.slice(1)));
    if (this.comparisons?.list().length) rows.push(new GroupItem(vscode.l10n.t('Comparisons'), 'comparisons'));
    return rows;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }
}

/** Clear Reports: asks first, then empties the reports and the comparisons. */
export async function clearReportsConfirmed(store: ReportStore, comparisons: ComparisonHistory | undefined): Promise<boolean> {
  const count = store.list().length + (comparisons?.list().length ?? 0);
  if (count === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Flatness Lens: there are no stored reports to clear.'));
    return false;
  }
  const clear = vscode.l10n.t('Clear Reports');
  const choice = await vscode.window.showWarningMessage(
    count === 1 ? vscode.l10n.t('Clear 1 stored report or comparison?') : vscode.l10n.t('Clear {0} stored reports and comparisons?', count),
    { modal: true, detail: vscode.l10n.t('The model files and their data associations are kept; only the stored results are removed.') },
    clear,
  );
  if (choice !== clear) return false;
  await store.clear();
  await comparisons?.clear();
  return true;
}
