/**
 * Report webview panels: one per model (a comparison gets its own), restored after a window
 * reload by a WebviewPanelSerializer from the state the webview saved with setState.
 * No retainContextWhenHidden: the webview re-renders from its saved state when shown again.
 */
import * as vscode from 'vscode';
import type { ChartImage, HostToWebview, ViewState, WebviewToHost } from '../shared/protocol';
import { isWebviewToHost } from '../shared/protocol';
import { makeNonce, renderWebviewHtml } from './webviewHtml';

export const REPORT_VIEW_TYPE = 'flatnessLens.report';

export interface WebviewMessageHandler {
  (message: WebviewToHost, panel: ReportPanel): void | Promise<void>;
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const asUri = (...segments: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...segments)).toString();
  return renderWebviewHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: asUri('dist', 'webview.js'),
    styleUri: asUri('media', 'report.css'),
    codiconUri: asUri('dist', 'codicons', 'codicon.css'),
    title,
  });
}

function titleOf(state: ViewState): string {
  switch (state.kind) {
    case 'report':
      return `Flatness: ${state.context.modelLabel.split('/').pop()}`;
    case 'comparison':
      return 'Flatness: comparison';
    case 'ranking':
      return `Flatness: ${state.models.length} models ranked`;
    case 'error':
    case 'progress':
      return `Flatness: ${state.context?.modelLabel.split('/').pop() ?? 'analysis'}`;
    case 'summary':
      return 'Flatness: model';
  }
}

export function keyOf(state: ViewState): string {
  switch (state.kind) {
    case 'report':
    case 'error':
    case 'progress':
      return state.context?.modelUri ?? 'analysis';
    case 'comparison':
    case 'ranking':
      return 'comparison';
    case 'summary':
      return state.modelUri;
  }
}

export class ReportPanel {
  state: ViewState;
  private nextCapture = 1;
  private readonly captures = new Map<number, (images: ChartImage[]) => void>();

  constructor(readonly panel: vscode.WebviewPanel, state: ViewState, private readonly onDispose: (panel: ReportPanel) => void, handler: WebviewMessageHandler) {
    this.state = state;
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      if (!isWebviewToHost(raw)) return;
      if (raw.type === 'ready') {
        this.post({ type: 'show', state: this.state });
        return;
      }
      if (raw.type === 'chartImages') {
        this.captures.get(raw.requestId)?.(raw.images);
        this.captures.delete(raw.requestId);
        return;
      }
      void handler(raw, this);
    });
    panel.onDidDispose(() => {
      for (const resolve of this.captures.values()) resolve([]);
      this.onDispose(this);
    });
  }

  show(state: ViewState): void {
    this.state = state;
    this.panel.title = titleOf(state);
    this.post({ type: 'show', state });
  }

  post(message: HostToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  /** PNG images of the charts as the webview draws them now. */
  captureCharts(timeoutMs = 5000): Promise<ChartImage[]> {
    const requestId = this.nextCapture++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.captures.delete(requestId);
        resolve([]);
      }, timeoutMs);
      this.captures.set(requestId, (images) => {
        clearTimeout(timer);
        resolve(images);
      });
      this.post({ type: 'captureCharts', requestId });
    });
  }
}

export class ReportPanels implements vscode.WebviewPanelSerializer<ViewState>, vscode.Disposable {
  private readonly panels = new Map<string, ReportPanel>();
  private lastActive: ReportPanel | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly handler: WebviewMessageHandler) {}

  /** The panel the user looked at last (for Export Report). */
  get active(): ReportPanel | undefined {
    return this.lastActive;
  }

  find(key: string): ReportPanel | undefined {
    return this.panels.get(key);
  }

  show(state: ViewState, reveal = true): ReportPanel {
    const key = keyOf(state);
    const existing = this.panels.get(key);
    if (existing) {
      existing.show(state);
      if (reveal) existing.panel.reveal(undefined, true);
      this.lastActive = existing;
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, titleOf(state), { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, webviewOptions(this.extensionUri));
    return this.adopt(panel, state);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: ViewState | undefined): Promise<void> {
    const state: ViewState = saved && typeof saved === 'object' && 'kind' in saved
      ? saved
      : { kind: 'error', error: { code: 'internal', message: 'This report could not be restored; run the analysis again.' }, context: null };
    panel.webview.options = webviewOptions(this.extensionUri);
    this.adopt(panel, state);
  }

  private adopt(panel: vscode.WebviewPanel, state: ViewState): ReportPanel {
    const key = keyOf(state);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'flatness.svg');
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, titleOf(state));
    const wrapper = new ReportPanel(panel, state, (closed) => {
      if (this.panels.get(key) === closed) this.panels.delete(key);
      if (this.lastActive === closed) this.lastActive = undefined;
    }, this.handler);
    panel.onDidChangeViewState((event) => {
      if (event.webviewPanel.active) this.lastActive = wrapper;
    });
    this.panels.set(key, wrapper);
    this.lastActive = wrapper;
    return wrapper;
  }

  dispose(): void {
    for (const panel of [...this.panels.values()]) panel.panel.dispose();
    this.panels.clear();
  }
}
