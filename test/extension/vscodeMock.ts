/**
 * A small stand-in for the `vscode` module: enough API surface for the extension host code,
 * with knobs (mock.*) the tests set to answer quick picks and dialogs and to inspect what the
 * extension showed. setup.ts points `require('vscode')` here.
 *
 * Typed against @types/vscode: classes `implements` the real interfaces (or the part they
 * provide), namespaces are checked with `satisfies`, so a member whose signature differs from
 * VS Code's fails the type-check. Where a stand-in object cannot be the real one (a webview
 * panel), only the members it provides are checked, and it is returned under the real type.
 */
import { EventEmitter as NodeEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import type * as vscode from 'vscode';

/** Every member an enum of VS Code has, with the same numeric value. */
type SameEnum<Mock, Real> = { [K in keyof Real]: K extends keyof Mock ? (`${Mock[K] & number}` extends `${Real[K] & number}` ? true : false) : false };
type AllTrue<T> = T[keyof T] extends true ? true : never;
function sameEnum<Mock, Real>(check: AllTrue<SameEnum<Mock, Real>>): void {
  void check;
}

export class Uri implements vscode.Uri {
  readonly authority = '';
  readonly query = '';
  readonly fragment = '';
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(path: string): Uri {
    return new Uri('file', nodePath.posix.normalize(path));
  }
  static parse(value: string, _strict?: boolean): Uri {
    const match = /^([a-z][a-z0-9+.-]*):\/\/[^/]*(\/.*)?$/i.exec(value);
    if (!match) return new Uri('file', value);
    return new Uri(match[1]!, decodeURIComponent(match[2] ?? '/'));
  }
  static joinPath(base: vscode.Uri, ...pathSegments: string[]): Uri {
    return new Uri(base.scheme, nodePath.posix.join(base.path, ...pathSegments));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { scheme?: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(change.scheme ?? this.scheme, change.path ?? this.path);
  }
  toString(_skipEncoding?: boolean): string {
    return `${this.scheme}://${this.path}`;
  }
  toJSON(): string {
    return this.toString();
  }
}
void (Uri satisfies Pick<typeof vscode.Uri, 'file' | 'parse' | 'joinPath'>);

export class Disposable implements vscode.Disposable {
  constructor(private readonly callOnDispose: () => void) {}
  static from(...disposableLikes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => disposableLikes.forEach((item) => item.dispose()));
  }
  dispose(): void {
    this.callOnDispose();
  }
}
void (Disposable satisfies Pick<typeof vscode.Disposable, 'from'>);

export class EventEmitter<T> implements vscode.EventEmitter<T> {
  private readonly emitter = new NodeEmitter();
  readonly event: vscode.Event<T> = (listener, thisArgs?, disposables?) => {
    const bound = (value: T) => listener.call(thisArgs, value);
    this.emitter.on('e', bound);
    const disposable = new Disposable(() => this.emitter.off('e', bound));
    disposables?.push(disposable);
    return disposable;
  };
  fire(data: T): void {
    this.emitter.emit('e', data);
  }
  dispose(): void {
    this.emitter.removeAllListeners();
  }
}

export class CancellationTokenSource implements vscode.CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token: vscode.CancellationToken = {
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

export class ThemeColor implements vscode.ThemeColor {
  constructor(readonly id: string) {}
}
export class ThemeIcon implements vscode.ThemeIcon {
  constructor(readonly id: string, readonly color?: ThemeColor) {}
}
export class MarkdownString implements Pick<vscode.MarkdownString, 'value'> {
  constructor(public value: string = '') {}
}
export class RelativePattern implements vscode.RelativePattern {
  baseUri: Uri;
  base: string;
  constructor(base: vscode.WorkspaceFolder | vscode.Uri | string, public pattern: string) {
    this.baseUri = typeof base === 'string' ? Uri.file(base) : 'uri' in base ? Uri.file(base.uri.path) : Uri.file(base.path);
    this.base = this.baseUri.fsPath;
  }
}
export enum TreeItemCollapsibleState { None = 0, Collapsed = 1, Expanded = 2 }
export class TreeItem implements Pick<vscode.TreeItem, 'label' | 'description' | 'tooltip' | 'iconPath' | 'contextValue' | 'command' | 'resourceUri' | 'id' | 'collapsibleState'> {
  description?: string;
  tooltip?: string | vscode.MarkdownString;
  iconPath?: vscode.TreeItem['iconPath'];
  contextValue?: string;
  command?: vscode.Command;
  resourceUri?: vscode.Uri;
  id?: string;
  constructor(readonly label: string, readonly collapsibleState?: TreeItemCollapsibleState) {}
}
export enum ProgressLocation { SourceControl = 1, Window = 10, Notification = 15 }
export enum StatusBarAlignment { Left = 1, Right = 2 }
export enum ViewColumn { Active = -1, Beside = -2, One = 1, Two = 2, Three = 3, Four = 4, Five = 5, Six = 6, Seven = 7, Eight = 8, Nine = 9 }
export enum ConfigurationTarget { Global = 1, Workspace = 2, WorkspaceFolder = 3 }
export enum FileType { Unknown = 0, File = 1, Directory = 2, SymbolicLink = 64 }
sameEnum<typeof TreeItemCollapsibleState, typeof vscode.TreeItemCollapsibleState>(true);
sameEnum<typeof ProgressLocation, typeof vscode.ProgressLocation>(true);
sameEnum<typeof StatusBarAlignment, typeof vscode.StatusBarAlignment>(true);
sameEnum<typeof ViewColumn, typeof vscode.ViewColumn>(true);
sameEnum<typeof ConfigurationTarget, typeof vscode.ConfigurationTarget>(true);
sameEnum<typeof FileType, typeof vscode.FileType>(true);

export class FileSystemError extends Error implements vscode.FileSystemError {
  constructor(messageOrUri?: string | vscode.Uri, readonly code: string = 'Unknown') {
    super(typeof messageOrUri === 'string' ? messageOrUri : messageOrUri?.toString());
  }
  static FileNotFound(messageOrUri?: string | vscode.Uri): FileSystemError {
    return new FileSystemError(messageOrUri, 'FileNotFound');
  }
  static FileExists(messageOrUri?: string | vscode.Uri): FileSystemError {
    return new FileSystemError(messageOrUri, 'FileExists');
  }
  static FileNotADirectory(messageOrUri?: string | vscode.Uri): FileSystemError {
    return new FileSystemError(messageOrUri, 'FileNotADirectory');
  }
  static FileIsADirectory(messageOrUri?: string | vscode.Uri): FileSystemError {
    return new FileSystemError(messageOrUri, 'FileIsADirectory');
  }
  static NoPermissions(messageOrUri?: string | vscode.Uri): FileSystemError {
    return new FileSystemError(messageOrUri, 'NoPermissions');
  }
  static Unavailable(messageOrUri?: string | vscode.Uri): FileSystemError {
    return new FileSystemError(messageOrUri, 'Unavailable');
  }
}
void (FileSystemError satisfies Omit<typeof vscode.FileSystemError, 'prototype'>);

/** A Node error from the file system as VS Code reports it: a FileSystemError with its code. */
function fileSystemError(error: unknown, uri: vscode.Uri): FileSystemError {
  const code = (error as NodeJS.ErrnoException).code;
  const message = `${(error as Error).message} (${uri.toString()})`;
  if (code === 'ENOENT') return FileSystemError.FileNotFound(message);
  if (code === 'EEXIST') return FileSystemError.FileExists(message);
  if (code === 'ENOTDIR') return FileSystemError.FileNotADirectory(message);
  if (code === 'EISDIR') return FileSystemError.FileIsADirectory(message);
  if (code === 'EACCES' || code === 'EPERM') return FileSystemError.NoPermissions(message);
  return new FileSystemError(message);
}

export class TabInputText implements vscode.TabInputText { constructor(readonly uri: Uri) {} }
export class TabInputCustom implements vscode.TabInputCustom { constructor(readonly uri: Uri, readonly viewType: string) {} }

export class MockWebview implements Pick<vscode.Webview, 'html' | 'options' | 'cspSource' | 'onDidReceiveMessage' | 'asWebviewUri' | 'postMessage'> {
  html = '';
  options: vscode.WebviewOptions = {};
  cspSource = 'https://mock.vscode-cdn.net';
  readonly posted: unknown[] = [];
  private readonly receive = new EventEmitter<unknown>();
  readonly onDidReceiveMessage = this.receive.event;
  asWebviewUri(localResource: vscode.Uri): Uri {
    return Uri.file(localResource.path).with({ scheme: 'https' });
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

type PanelOptions = vscode.WebviewPanelOptions & vscode.WebviewOptions;

export class MockWebviewPanel implements Pick<vscode.WebviewPanel, 'viewType' | 'title' | 'iconPath' | 'options' | 'active' | 'visible' | 'onDidDispose' | 'reveal' | 'dispose'> {
  readonly webview = new MockWebview();
  iconPath: vscode.WebviewPanel['iconPath'];
  active = true;
  visible = true;
  disposed = false;
  private readonly disposeEmitter = new EventEmitter<void>();
  private readonly viewState = new EventEmitter<{ webviewPanel: MockWebviewPanel }>();
  readonly onDidDispose = this.disposeEmitter.event;
  readonly onDidChangeViewState = this.viewState.event;
  constructor(readonly viewType: string, public title: string, readonly options: PanelOptions) {}
  reveal(_viewColumn?: vscode.ViewColumn, _preserveFocus?: boolean): void {}
  dispose(): void {
    this.disposed = true;
    this.disposeEmitter.fire();
  }
}

type QuickPickItem = vscode.QuickPickItem & { [key: string]: unknown };
type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const mock = {
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  config: new Map<string, unknown>(),
  messages: [] as { level: 'info' | 'warning' | 'error'; text: string }[],
  panels: [] as MockWebviewPanel[],
  treeProviders: new Map<string, unknown>(),
  serializers: new Map<string, unknown>(),
  customEditors: new Map<string, unknown>(),
  /** Answers showQuickPick: gets the items, returns the chosen one (or undefined). */
  quickPick: (items: readonly QuickPickItem[], _options: unknown): QuickPickItem | undefined => items[0],
  quickPickCalls: [] as { items: readonly QuickPickItem[]; options: unknown }[],
  openDialog: (): Uri[] | undefined => undefined,
  saveDialog: (): Uri | undefined => undefined,
  workspaceFiles: [] as Uri[],
  workspaceRoot: '/',
  /** Called with each progress token so a test can cancel the notification. */
  onProgress: (_token: CancellationTokenSource) => {},
  progressReports: [] as { message?: string; increment?: number }[],
  progressTitles: [] as string[],
  watchers: [] as { glob: string; create: EventEmitter<vscode.Uri>; change: EventEmitter<vscode.Uri>; remove: EventEmitter<vscode.Uri> }[],
  statusBarTexts: [] as string[],
  /** Lines written to the extension's LogOutputChannel, with their level. */
  log: [] as { level: LogLevel; text: string }[],
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

function isList(value: readonly unknown[] | Record<string, unknown>): value is readonly unknown[] {
  return Array.isArray(value);
}

/** VS Code's formatting of l10n.t: {0}, {1}... (or {name}) replaced by the arguments, unknown ones kept. */
function format(message: string, args: readonly unknown[] | Record<string, unknown>): string {
  const values: Record<string, unknown> = isList(args) ? Object.fromEntries(args.map((value, index) => [String(index), value])) : args;
  return message.replace(/\{([^}]+)\}/g, (match, key: string) => (key in values ? String(values[key]) : match));
}

export const l10n = {
  t(...params: [message: string, ...args: (string | number | boolean)[]] | [message: string, args: Record<string, unknown>] | [options: { message: string; args?: (string | number | boolean)[] | Record<string, unknown>; comment: string | string[] }]): string {
    const [first, ...rest] = params;
    if (typeof first !== 'string') return format(first.message, first.args ?? []);
    const only = rest[0];
    return format(first, rest.length === 1 && typeof only === 'object' && only !== null ? only : (rest as (string | number | boolean)[]));
  },
  bundle: undefined,
  uri: undefined,
} satisfies typeof vscode.l10n;

function message(level: 'info' | 'warning' | 'error') {
  return async <T>(text: string, ..._optionsAndItems: unknown[]): Promise<T | undefined> => {
    mock.messages.push({ level, text });
    return undefined;
  };
}

function outputChannel(name: string): vscode.OutputChannel {
  return { name, append: () => {}, appendLine: () => {}, replace: () => {}, clear: () => {}, show: () => {}, hide: () => {}, dispose: () => {} };
}

function logOutputChannel(name: string): vscode.LogOutputChannel {
  const write = (level: LogLevel) => (text: string | Error) => { mock.log.push({ level, text: text instanceof Error ? text.message : text }); };
  const levels = new EventEmitter<vscode.LogLevel>();
  return {
    ...outputChannel(name), logLevel: 2, onDidChangeLogLevel: levels.event,
    trace: write('trace'), debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), appendLine: write('info'),
  };
}

function createOutputChannel(name: string, languageId?: string): vscode.OutputChannel;
function createOutputChannel(name: string, options: { log: true }): vscode.LogOutputChannel;
function createOutputChannel(name: string, options?: string | { log: true }): vscode.OutputChannel | vscode.LogOutputChannel {
  return typeof options === 'object' && options.log ? logOutputChannel(name) : outputChannel(name);
}

function showQuickPick(items: readonly string[] | Thenable<readonly string[]>, options: vscode.QuickPickOptions & { canPickMany: true }, token?: vscode.CancellationToken): Thenable<string[] | undefined>;
function showQuickPick(items: readonly string[] | Thenable<readonly string[]>, options?: vscode.QuickPickOptions, token?: vscode.CancellationToken): Thenable<string | undefined>;
function showQuickPick<T extends vscode.QuickPickItem>(items: readonly T[] | Thenable<readonly T[]>, options: vscode.QuickPickOptions & { canPickMany: true }, token?: vscode.CancellationToken): Thenable<T[] | undefined>;
function showQuickPick<T extends vscode.QuickPickItem>(items: readonly T[] | Thenable<readonly T[]>, options?: vscode.QuickPickOptions, token?: vscode.CancellationToken): Thenable<T | undefined>;
function showQuickPick(items: readonly (string | vscode.QuickPickItem)[] | Thenable<readonly (string | vscode.QuickPickItem)[]>, options?: vscode.QuickPickOptions, _token?: vscode.CancellationToken): Thenable<unknown> {
  return pick(items, options);
}
async function pick(items: readonly (string | vscode.QuickPickItem)[] | Thenable<readonly (string | vscode.QuickPickItem)[]>, options?: vscode.QuickPickOptions): Promise<unknown> {
  if (options?.canPickMany) throw new Error('the mock answers single-choice quick picks only');
  const resolved = (await items).map((item) => (typeof item === 'string' ? { label: item } : item)) as QuickPickItem[];
  mock.quickPickCalls.push({ items: resolved, options });
  const chosen = mock.quickPick(resolved, options);
  return (await items).some((item) => typeof item === 'string') ? chosen?.label : chosen;
}

function createStatusBarItem(id: string, alignment?: vscode.StatusBarAlignment, priority?: number): vscode.StatusBarItem;
function createStatusBarItem(alignment?: vscode.StatusBarAlignment, priority?: number): vscode.StatusBarItem;
function createStatusBarItem(first?: string | vscode.StatusBarAlignment, second?: vscode.StatusBarAlignment | number, third?: number): vscode.StatusBarItem {
  let text = '';
  return {
    id: typeof first === 'string' ? first : 'flatness-lens.status',
    alignment: (typeof first === 'string' ? second : first) ?? StatusBarAlignment.Left,
    priority: typeof first === 'string' ? third : second,
    name: undefined, tooltip: undefined, color: undefined, backgroundColor: undefined, command: undefined, accessibilityInformation: undefined,
    get text() { return text; },
    set text(value: string) { text = value; mock.statusBarTexts.push(value); },
    show: () => {}, hide: () => {}, dispose: () => {},
  };
}

function setStatusBarMessage(text: string, hideAfterTimeout: number): vscode.Disposable;
function setStatusBarMessage(text: string, hideWhenDone: Thenable<unknown>): vscode.Disposable;
function setStatusBarMessage(text: string): vscode.Disposable;
function setStatusBarMessage(text: string, _hide?: number | Thenable<unknown>): vscode.Disposable {
  mock.statusBarTexts.push(text);
  return new Disposable(() => {});
}

export const window = {
  createOutputChannel,
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  showQuickPick,
  async showOpenDialog(_options?: vscode.OpenDialogOptions) {
    return mock.openDialog();
  },
  async showSaveDialog(_options?: vscode.SaveDialogOptions) {
    return mock.saveDialog();
  },
  async withProgress<R>(options: vscode.ProgressOptions, task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>): Promise<R> {
    const source = new CancellationTokenSource();
    mock.progressTitles.push(options.title ?? '');
    mock.onProgress(source);
    return task({ report: (value) => mock.progressReports.push(value) }, source.token);
  },
  createStatusBarItem,
  setStatusBarMessage,
  createWebviewPanel(viewType: string, title: string, _showOptions: vscode.ViewColumn | { readonly viewColumn: vscode.ViewColumn; readonly preserveFocus?: boolean }, options?: PanelOptions): vscode.WebviewPanel {
    const panel = new MockWebviewPanel(viewType, title, options ?? {});
    mock.panels.push(panel);
    // The stand-in provides the members checked by its `implements` clause, and the webview's.
    return panel as unknown as vscode.WebviewPanel;
  },
  registerTreeDataProvider<T>(viewId: string, treeDataProvider: vscode.TreeDataProvider<T>) {
    mock.treeProviders.set(viewId, treeDataProvider);
    return new Disposable(() => mock.treeProviders.delete(viewId));
  },
  registerWebviewPanelSerializer(viewType: string, serializer: vscode.WebviewPanelSerializer) {
    mock.serializers.set(viewType, serializer);
    return new Disposable(() => mock.serializers.delete(viewType));
  },
  registerCustomEditorProvider(viewType: string, provider: vscode.CustomTextEditorProvider | vscode.CustomReadonlyEditorProvider | vscode.CustomEditorProvider) {
    mock.customEditors.set(viewType, provider);
    return new Disposable(() => mock.customEditors.delete(viewType));
  },
  tabGroups: { activeTabGroup: { activeTab: undefined as { input: unknown } | undefined } },
  activeTextEditor: undefined as { document: { uri: vscode.Uri } } | undefined,
} satisfies Partial<Record<keyof typeof vscode.window, unknown>> & Partial<Omit<typeof vscode.window, 'tabGroups' | 'activeTextEditor'>>;

function globText(pattern: vscode.GlobPattern): string {
  return typeof pattern === 'string' ? pattern : `${pattern.baseUri.path}/${pattern.pattern}`;
}

export const workspace = {
  get workspaceFolders(): vscode.WorkspaceFolder[] {
    return [{ uri: Uri.file(mock.workspaceRoot), name: 'root', index: 0 }];
  },
  getConfiguration(section?: string, _scope?: vscode.ConfigurationScope | null): vscode.WorkspaceConfiguration {
    const full = (key: string) => (section ? `${section}.${key}` : key);
    function get<T>(key: string): T | undefined;
    function get<T>(key: string, defaultValue: T): T;
    function get<T>(key: string, defaultValue?: T): T | undefined {
      return (mock.config.has(full(key)) ? mock.config.get(full(key)) : defaultValue) as T | undefined;
    }
    return {
      get,
      has: (key: string) => mock.config.has(full(key)),
      inspect: () => undefined,
      async update(key: string, value: unknown) {
        mock.config.set(full(key), value);
      },
    };
  },
  async findFiles(include: vscode.GlobPattern, _exclude?: vscode.GlobPattern | null, _maxResults?: number, _token?: vscode.CancellationToken): Promise<Uri[]> {
    const text = globText(include);
    const extensions = /\{([^}]*)\}/.exec(text)?.[1]?.split(',').map((e) => e.replace(/^\*\*\/\*?/, '')) ?? [text.replace(/^\*\*\/\*?/, '')];
    return mock.workspaceFiles.filter((uri) => extensions.some((ext) => uri.path.endsWith(ext.startsWith('.') || ext.includes('.') ? ext : `.${ext}`)));
  },
  asRelativePath(pathOrUri: string | vscode.Uri, _includeWorkspaceFolder?: boolean): string {
    const path = typeof pathOrUri === 'string' ? pathOrUri : pathOrUri.path;
    return path.startsWith(mock.workspaceRoot + '/') ? path.slice(mock.workspaceRoot.length + 1) : path;
  },
  // The real workspace.fs: errors are FileSystemErrors with VS Code's codes; writeFile creates
  // missing parent folders (VS Code's file service does, as createDirectory does with mkdirp
  // semantics); delete refuses a non-empty folder unless `recursive` is set.
  fs: {
    async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
      try {
        const stat = fs.lstatSync(uri.fsPath);
        const link = stat.isSymbolicLink();
        const target = link ? fs.statSync(uri.fsPath) : stat;
        const type = (target.isDirectory() ? FileType.Directory : target.isFile() ? FileType.File : FileType.Unknown) | (link ? FileType.SymbolicLink : 0);
        return { type, ctime: stat.ctimeMs, mtime: stat.mtimeMs, size: stat.size };
      } catch (error) {
        throw fileSystemError(error, uri);
      }
    },
    async readFile(uri: vscode.Uri): Promise<Uint8Array> {
      try {
        return new Uint8Array(fs.readFileSync(uri.fsPath));
      } catch (error) {
        throw fileSystemError(error, uri);
      }
    },
    async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
      try {
        fs.mkdirSync(nodePath.dirname(uri.fsPath), { recursive: true });
        fs.writeFileSync(uri.fsPath, content);
      } catch (error) {
        throw fileSystemError(error, uri);
      }
    },
    async createDirectory(uri: vscode.Uri): Promise<void> {
      try {
        fs.mkdirSync(uri.fsPath, { recursive: true });
      } catch (error) {
        throw fileSystemError(error, uri);
      }
    },
    async delete(uri: vscode.Uri, options?: { recursive?: boolean; useTrash?: boolean }): Promise<void> {
      try {
        fs.rmSync(uri.fsPath, { recursive: options?.recursive ?? false });
      } catch (error) {
        throw fileSystemError(error, uri);
      }
    },
  } satisfies Partial<vscode.FileSystem>,
  createFileSystemWatcher(globPattern: vscode.GlobPattern, _ignoreCreate?: boolean, _ignoreChange?: boolean, _ignoreDelete?: boolean) {
    const create = new EventEmitter<vscode.Uri>();
    const change = new EventEmitter<vscode.Uri>();
    const remove = new EventEmitter<vscode.Uri>();
    mock.watchers.push({ glob: globText(globPattern), create, change, remove });
    return {
      ignoreCreateEvents: false, ignoreChangeEvents: false, ignoreDeleteEvents: false,
      onDidCreate: create.event, onDidChange: change.event, onDidDelete: remove.event, dispose: () => {},
    } satisfies vscode.FileSystemWatcher;
  },
  onDidChangeConfiguration: ((_listener, _thisArgs?, _disposables?) => new Disposable(() => {})) satisfies vscode.Event<vscode.ConfigurationChangeEvent>,
} satisfies Partial<Omit<typeof vscode.workspace, 'fs'>> & { fs: Partial<vscode.FileSystem> };

export const commands = {
  registerCommand(command: string, callback: (...args: any[]) => unknown, _thisArg?: unknown) {
    if (mock.commands.has(command)) throw new Error(`command ${command} registered twice`);
    mock.commands.set(command, callback);
    return new Disposable(() => mock.commands.delete(command));
  },
  async executeCommand<T = unknown>(command: string, ...rest: unknown[]): Promise<T> {
    const handler = mock.commands.get(command);
    if (!handler) throw new Error(`command ${command} not found`);
    return (await handler(...rest)) as T;
  },
} satisfies Partial<typeof vscode.commands>;

/** An in-memory Memento for workspaceState. */
export class MockMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined;
  get<T>(key: string, defaultValue: T): T;
  get<T>(key: string, defaultValue?: T): T | undefined {
    return (this.values.has(key) ? structuredClone(this.values.get(key)) : defaultValue) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, structuredClone(value));
  }
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
}

/**
 * The parts of vscode.ExtensionContext the extension reads: its folder (the repository), fresh
 * mementos unless given, and storage folders under `storage`.
 */
export function extensionContext(root: string, storage: string, subscriptions: { dispose(): unknown }[], workspaceState: MockMemento = new MockMemento()): never {
  return {
    subscriptions,
    extensionPath: root,
    extensionUri: Uri.file(root),
    workspaceState,
    globalState: new MockMemento(),
    storageUri: Uri.file(`${storage}/workspace`),
    globalStorageUri: Uri.file(`${storage}/global`),
  } as never;
}
