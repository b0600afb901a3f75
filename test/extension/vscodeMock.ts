/**
 * A small stand-in for the `vscode` module: enough API surface for the extension host code,
 * with knobs (mock.*) the tests set to answer quick picks and dialogs and to inspect what the
 * extension showed. setup.ts points `require('vscode')` here.
 */
import { EventEmitter as NodeEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';

export class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(path: string): Uri {
    return new Uri('file', nodePath.posix.normalize(path));
  }
  static parse(text: string): Uri {
    const match = /^([a-z][a-z0-9+.-]*):\/\/[^/]*(\/.*)?$/i.exec(text);
    if (!match) return new Uri('file', text);
    return new Uri(match[1]!, decodeURIComponent(match[2] ?? '/'));
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, nodePath.posix.join(base.path, ...segments));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { path?: string; scheme?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
  toJSON(): string {
    return this.toString();
  }
}

export class Disposable {
  constructor(private readonly callback: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.callback();
  }
}

export class EventEmitter<T> {
  private readonly emitter = new NodeEmitter();
  readonly event = (listener: (value: T) => void): Disposable => {
    this.emitter.on('e', listener);
    return new Disposable(() => this.emitter.off('e', listener));
  };
  fire(value: T): void {
    this.emitter.emit('e', value);
  }
  dispose(): void {
    this.emitter.removeAllListeners();
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.emitter.event,
  };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

export class ThemeIcon {
  constructor(readonly id: string, readonly color?: ThemeColor) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export class MarkdownString {
  constructor(readonly value: string) {}
}
export enum TreeItemCollapsibleState { None = 0, Collapsed = 1, Expanded = 2 }
export class TreeItem {
  description?: string;
  tooltip?: unknown;
  iconPath?: unknown;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  resourceUri?: Uri;
  id?: string;
  constructor(readonly label: string, readonly collapsibleState: TreeItemCollapsibleState) {}
}
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1 }
export enum ConfigurationTarget { Global = 1, Workspace = 2, WorkspaceFolder = 3 }
export class FileSystemError extends Error {}
export class TabInputText { constructor(readonly uri: Uri) {} }
export class TabInputCustom { constructor(readonly uri: Uri, readonly viewType: string) {} }

export class MockWebview {
  html = '';
  options: unknown = {};
  cspSource = 'https://mock.vscode-cdn.net';
  readonly posted: unknown[] = [];
  private readonly receive = new EventEmitter<unknown>();
  readonly onDidReceiveMessage = this.receive.event;
  asWebviewUri(uri: Uri): Uri {
    return uri.with({ scheme: 'https' });
  }
  async postMessage(message: unknown): Promise<boolean> {
    this.posted.push(message);
    return true;
  }
  /** The test plays the webview: a message from it to the host. */
  fromWebview(message: unknown): void {
    this.receive.fire(message);
  }
}

export class MockWebviewPanel {
  readonly webview = new MockWebview();
  iconPath: unknown;
  active = true;
  disposed = false;
  private readonly disposeEmitter = new EventEmitter<void>();
  private readonly viewState = new EventEmitter<{ webviewPanel: MockWebviewPanel }>();
  readonly onDidDispose = this.disposeEmitter.event;
  readonly onDidChangeViewState = this.viewState.event;
  constructor(readonly viewType: string, public title: string, readonly options: Record<string, unknown>) {}
  reveal(): void {}
  dispose(): void {
    this.disposed = true;
    this.disposeEmitter.fire();
  }
}

type QuickPickItem = { label: string; description?: string; [key: string]: unknown };

export const mock = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  config: new Map<string, unknown>(),
  messages: [] as { level: 'info' | 'warning' | 'error'; text: string }[],
  panels: [] as MockWebviewPanel[],
  treeProviders: new Map<string, unknown>(),
  serializers: new Map<string, unknown>(),
  customEditors: new Map<string, unknown>(),
  /** Answers showQuickPick: gets the items, returns the chosen one (or undefined). */
  quickPick: (items: QuickPickItem[], _options: unknown): QuickPickItem | undefined => items[0],
  quickPickCalls: [] as { items: QuickPickItem[]; options: unknown }[],
  openDialog: (): Uri[] | undefined => undefined,
  saveDialog: (): Uri | undefined => undefined,
  workspaceFiles: [] as Uri[],
  workspaceRoot: '/',
  /** Called with each progress token so a test can cancel the notification. */
  onProgress: (_token: CancellationTokenSource) => {},
  progressReports: [] as { message?: string; increment?: number }[],
  progressTitles: [] as string[],
  watchers: [] as { glob: string; create: EventEmitter<Uri>; change: EventEmitter<Uri>; remove: EventEmitter<Uri> }[],
  statusBarTexts: [] as string[],
  /** Lines written to the extension's LogOutputChannel, with their level. */
  log: [] as { level: 'trace' | 'debug' | 'info' | 'warn' | 'error'; text: string }[],
  reset(): void {
    this.log.length = 0;
    this.commands.clear();
    this.config.clear();
    this.messages.length = 0;
    this.panels.length = 0;
    this.treeProviders.clear();
    this.serializers.clear();
    this.customEditors.clear();
    this.quickPick = (items) => items[0];
    this.quickPickCalls.length = 0;
    this.openDialog = () => undefined;
    this.saveDialog = () => undefined;
    this.workspaceFiles = [];
    this.onProgress = () => {};
    this.progressReports.length = 0;
    this.progressTitles.length = 0;
    this.statusBarTexts.length = 0;
    this.watchers.length = 0;
  },
};

function message(level: 'info' | 'warning' | 'error') {
  return async (text: string, ..._items: string[]): Promise<string | undefined> => {
    mock.messages.push({ level, text });
    return undefined;
  };
}

export const window = {
  createOutputChannel: (_name: string, options?: { log: true }) => {
    if (!options?.log) return { appendLine: (_line: string) => {}, show: () => {}, dispose: () => {} };
    const write = (level: (typeof mock.log)[number]['level']) => (text: string) => mock.log.push({ level, text });
    return { trace: write('trace'), debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), appendLine: write('info'), show: () => {}, dispose: () => {} };
  },
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  async showQuickPick(items: QuickPickItem[] | Promise<QuickPickItem[]>, options?: unknown) {
    const resolved = await items;
    mock.quickPickCalls.push({ items: resolved, options });
    return mock.quickPick(resolved, options);
  },
  async showOpenDialog() {
    return mock.openDialog();
  },
  async showSaveDialog() {
    return mock.saveDialog();
  },
  async withProgress<T>(options: { title?: string }, task: (progress: { report(value: { message?: string; increment?: number }): void }, token: CancellationTokenSource['token']) => Promise<T>): Promise<T> {
    const source = new CancellationTokenSource();
    mock.progressTitles.push(options.title ?? '');
    mock.onProgress(source);
    return task({ report: (value) => mock.progressReports.push(value) }, source.token);
  },
  createStatusBarItem: () => {
    const item = {
      name: '', tooltip: '', command: '', _text: '',
      get text() { return this._text; },
      set text(value: string) { this._text = value; mock.statusBarTexts.push(value); },
      show: () => {}, hide: () => {}, dispose: () => {},
    };
    return item;
  },
  createWebviewPanel(viewType: string, title: string, _column: unknown, options: Record<string, unknown>) {
    const panel = new MockWebviewPanel(viewType, title, options);
    mock.panels.push(panel);
    return panel;
  },
  registerTreeDataProvider(id: string, provider: unknown) {
    mock.treeProviders.set(id, provider);
    return new Disposable(() => mock.treeProviders.delete(id));
  },
  registerWebviewPanelSerializer(id: string, serializer: unknown) {
    mock.serializers.set(id, serializer);
    return new Disposable(() => mock.serializers.delete(id));
  },
  registerCustomEditorProvider(id: string, provider: unknown) {
    mock.customEditors.set(id, provider);
    return new Disposable(() => mock.customEditors.delete(id));
  },
  tabGroups: { activeTabGroup: { activeTab: undefined as { input: unknown } | undefined } },
  activeTextEditor: undefined as { document: { uri: Uri } } | undefined,
};

export const workspace = {
  get workspaceFolders() {
    return [{ uri: Uri.file(mock.workspaceRoot), name: 'root', index: 0 }];
  },
  getConfiguration(section: string) {
    return {
      get<T>(key: string, fallback?: T): T {
        const full = `${section}.${key}`;
        return (mock.config.has(full) ? mock.config.get(full) : fallback) as T;
      },
      async update(key: string, value: unknown) {
        mock.config.set(`${section}.${key}`, value);
      },
    };
  },
  async findFiles(include: string): Promise<Uri[]> {
    const extensions = /\{([^}]*)\}/.exec(include)?.[1]?.split(',').map((e) => e.replace(/^\*\*\/\*?/, '')) ?? [include.replace(/^\*\*\/\*?/, '')];
    return mock.workspaceFiles.filter((uri) => extensions.some((ext) => uri.path.endsWith(ext.startsWith('.') || ext.includes('.') ? ext : `.${ext}`)));
  },
  asRelativePath(uri: Uri | string): string {
    const path = typeof uri === 'string' ? uri : uri.path;
    return path.startsWith(mock.workspaceRoot + '/') ? path.slice(mock.workspaceRoot.length + 1) : path;
  },
  fs: {
    async readFile(uri: Uri): Promise<Uint8Array> {
      try {
        return new Uint8Array(fs.readFileSync(uri.fsPath));
      } catch (error) {
        throw new FileSystemError((error as Error).message);
      }
    },
    async writeFile(uri: Uri, bytes: Uint8Array): Promise<void> {
      fs.mkdirSync(nodePath.dirname(uri.fsPath), { recursive: true });
      fs.writeFileSync(uri.fsPath, bytes);
    },
    async createDirectory(uri: Uri): Promise<void> {
      fs.mkdirSync(uri.fsPath, { recursive: true });
    },
    async delete(uri: Uri): Promise<void> {
      try {
        fs.rmSync(uri.fsPath, { recursive: true });
      } catch (error) {
        throw new FileSystemError((error as Error).message);
      }
    },
  },
  createFileSystemWatcher: (glob: string) => {
    const create = new EventEmitter<Uri>();
    const change = new EventEmitter<Uri>();
    const remove = new EventEmitter<Uri>();
    mock.watchers.push({ glob, create, change, remove });
    return { onDidCreate: create.event, onDidChange: change.event, onDidDelete: remove.event, dispose: () => {}, create, change, remove };
  },
  onDidChangeConfiguration: (_listener: unknown) => new Disposable(() => {}),
};

export const commands = {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
    if (mock.commands.has(id)) throw new Error(`command ${id} registered twice`);
    mock.commands.set(id, handler);
    return new Disposable(() => mock.commands.delete(id));
  },
  async executeCommand(id: string, ...args: unknown[]) {
    const handler = mock.commands.get(id);
    if (!handler) throw new Error(`command ${id} not found`);
    return handler(...args);
  },
};

/** An in-memory Memento for workspaceState. */
export class MockMemento {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string, fallback?: T): T | undefined {
    return (this.values.has(key) ? structuredClone(this.values.get(key)) : fallback) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, structuredClone(value));
  }
  keys(): string[] {
    return [...this.values.keys()];
  }
}
