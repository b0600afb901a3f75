/** The side panel: Models (model files in the workspace with their last verdict) and Reports. */
import * as vscode from 'vscode';
import type { ReportVerdict } from '../shared/report';
import { formatNumber } from './exporters';
import { baseName } from './modelFiles';
import type { ReportStore, StoredReport } from './reportStore';

export type ModelStatus = 'not analysed' | 'analysing' | 'analysed' | 'failed' | 'changed since analysis';

export function verdictIcon(level: ReportVerdict['level'] | undefined, status: ModelStatus): vscode.ThemeIcon {
  if (status === 'analysing') return new vscode.ThemeIcon('sync~spin');
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

export class ModelItem extends vscode.TreeItem {
  constructor(readonly uri: vscode.Uri, status: ModelStatus, latest: StoredReport | undefined) {
    super(baseName(uri.path), vscode.TreeItemCollapsibleState.None);
    this.resourceUri = uri;
    this.id = uri.toString();
    this.iconPath = verdictIcon(latest?.level, status);
    const ratio = latest?.ratio;
    const ratioText = ratio !== null && ratio !== undefined ? `R = ${formatNumber(ratio, 3)}` : latest ? 'R n/a' : '';
    this.description = [ratioText, status === 'analysed' ? '' : status].filter(Boolean).join(' · ');
    this.tooltip = new vscode.MarkdownString(`**${vscode.workspace.asRelativePath(uri, false)}**\n\n${latest ? latest.headline : 'Not analysed yet'}\n\nStatus: ${status}`);
    this.contextValue = 'flatnessLens.model';
    this.command = latest
      ? { command: 'flatnessLens.openStoredReport', title: 'Open report', arguments: [latest.id] }
      : { command: 'flatnessLens.analyzeModel', title: 'Analyze', arguments: [uri] };
  }
}

export class ModelsView implements vscode.TreeDataProvider<ModelItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly statuses = new Map<string, ModelStatus>();
  private watchers: vscode.FileSystemWatcher[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly store: ReportStore, private readonly globs: () => string[]) {
    this.subscriptions.push(store.onDidChange(() => this.refresh()));
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
    return this.statuses.get(uri.toString()) ?? (this.store.latestFor(uri.toString()) ? 'analysed' : 'not analysed');
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(element: ModelItem): vscode.TreeItem {
    return element;
  }

  async getChildren(element?: ModelItem): Promise<ModelItem[]> {
    if (element) return [];
    if (!vscode.workspace.workspaceFolders?.length) return [];
    const pattern = this.globs().length === 1 ? this.globs()[0]! : `{${this.globs().join(',')}}`;
    const found = await vscode.workspace.findFiles(pattern, '**/{node_modules,.git}/**', 1000);
    found.sort((a, b) => a.path.localeCompare(b.path));
    return found.map((uri) => new ModelItem(uri, this.statusOf(uri), this.store.latestFor(uri.toString())));
  }

  dispose(): void {
    for (const watcher of this.watchers) watcher.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }
}

export class ReportItem extends vscode.TreeItem {
  constructor(readonly entry: StoredReport) {
    super(entry.context.modelLabel.split('/').pop() ?? entry.context.modelLabel, vscode.TreeItemCollapsibleState.None);
    this.id = entry.id;
    this.description = `${entry.headline} · ${new Date(entry.createdAt).toLocaleString()}`;
    this.tooltip = `${entry.context.modelLabel} on ${entry.context.dataLabel}\n${entry.headline}`;
    this.iconPath = verdictIcon(entry.level, 'analysed');
    this.contextValue = 'flatnessLens.report';
    this.command = { command: 'flatnessLens.openStoredReport', title: 'Open report', arguments: [entry.id] };
  }
}

export class ReportsView implements vscode.TreeDataProvider<ReportItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ReportItem | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ReportStore) {
    this.subscription = store.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(element: ReportItem): vscode.TreeItem {
    return element;
  }

  getChildren(element?: ReportItem): ReportItem[] {
    if (element) return [];
    return this.store.list().map((entry) => new ReportItem(entry));
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
