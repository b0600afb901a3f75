/**
 * Report webview panels: one per model (a comparison gets its own), restored after a window
 * reload by a WebviewPanelSerializer from the state the webview saved with setState.
 * No retainContextWhenHidden: the webview re-renders from its saved state when shown again.
 */
import * as vscode from 'vscode';
import type { ChartImage, FinishedViewState, HostToWebview, ViewState, WebviewToHost } from '../shared/protocol';
import { isFinished, isPersistedViewState, isWebviewToHost } from '../shared/protocol';
import { makeNonce, renderWebviewHtml } from './webviewHtml';
import { actionOf, reportFailure } from './failures';
import type { Log } from './log';

export const REPORT_VIEW_TYPE = 'flatnessLens.report';
/** Every webview panel type the extension restores after a reload (each needs an onWebviewPanel activation event). */
export const PANEL_VIEW_TYPES = [REPORT_VIEW_TYPE] as const;

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
      return vscode.l10n.t('Flatness: {0}', state.context.modelLabel.split('/').pop() ?? '');
    case 'comparison':
      return vscode.l10n.t('Flatness: comparison');
    case 'ranking':
      return vscode.l10n.t('Flatness: {0} models ranked', state.models.length);
    case 'error':
    case 'progress':
      return vscode.l10n.t('Flatness: {0}', state.context?.modelLabel.split('/').pop() ?? vscode.l10n.t('analysis'));
    case 'summary':
      return vscode.l10n.t('Flatness: model');
    case 'trajectory':
      return vscode.l10n.t('Flatness: {0} (training)', state.run.folderLabel.split('/').pop() ?? '');
  }
}

/** Comparisons and rankings share one panel. */
export const COMPARISON_KEY = 'comparison';

export function keyOf(state: ViewState): string {
  switch (state.kind) {
    case 'report':
    case 'error':
    case 'progress':
      return state.context?.modelUri ?? 'analysis';
    case 'comparison':
    case 'ranking':
      return COMPARISON_KEY;
    case 'summary':
      return state.modelUri;
    case 'trajectory':
      return `trajectory:${state.run.folderUri}`;
  }
}

export class ReportPanel {
  state: ViewState;
  disposed = false;
  private nextCapture = 1;
  private readonly captures = new Map<number, (images: ChartImage[]) => void>();

  constructor(readonly panel: vscode.WebviewPanel, state: ViewState, private readonly onDispose: (panel: ReportPanel) => void, handler: WebviewMessageHandler, log: Log) {
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
      if (raw.type === 'dismissRerun') {
        this.state = withoutRerun(this.state);
        return;
      }
      // Every button's action ends in a result or a message to the user, never a silent rejection.
      Promise.resolve()
        .then(() => handler(raw, this))
        .catch((error: unknown) => reportFailure(log, actionOf(raw), error));
    });
    panel.onDidDispose(() => {
      this.disposed = true;
      for (const resolve of this.captures.values()) resolve([]);
      this.onDispose(this);
    });
  }

  /** The finished result this panel shows (under any re-run notice), if it shows one. */
  get finished(): FinishedViewState | undefined {
    return isFinished(this.state) ? this.state : undefined;
  }

  show(state: ViewState): void {
    this.state = state;
    if (this.disposed) return;
    this.panel.title = titleOf(state);
    this.post({ type: 'show', state });
  }

  post(message: HostToWebview): void {
    if (this.disposed) return;
    // A panel closed while the message was on its way: nothing to show it to.
    Promise.resolve(this.panel.webview.postMessage(message)).then(undefined, () => undefined);
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

/** The state without its re-run notice. */
export function withoutRerun(state: ViewState): ViewState {
  if (!isFinished(state) || !state.rerun) return state;
  const { rerun: _rerun, ...rest } = state;
  return rest as ViewState;
}

/**
 * What a restored panel shows for the state its webview saved: the saved view, or (for an
 * analysis the reload interrupted) a note to run it again; null when nothing usable was saved.
 */
export function restoredState(saved: unknown): ViewState | null {
  if (!isPersistedViewState(saved)) return null;
  const state = saved.state;
  if (state.kind === 'progress') {
    return { kind: 'error', error: { code: 'cancelled', message: vscode.l10n.t('The window was reloaded while this analysis ran; run it again.') }, context: state.context };
  }
  return state;
}

export class ReportPanels implements vscode.WebviewPanelSerializer<unknown>, vscode.Disposable {
  private readonly panels = new Map<string, ReportPanel>();
  private lastActive: ReportPanel | undefined;

  constructor(private readonly extensionUri: vscode.Uri, private readonly handler: WebviewMessageHandler, private readonly log: Log) {}

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

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    let state = restoredState(saved);
    if (state) {
      this.log.info(`restored a ${state.kind} panel after a window reload (${titleOf(state)})`);
    } else {
      this.log.warn(`could not restore a report panel: its saved state is not a Flatness Lens view (${JSON.stringify(saved)?.slice(0, 200) ?? 'nothing saved'})`);
      state = { kind: 'error', error: { code: 'internal', message: 'This report could not be restored after the reload; run the analysis again (Flatness Lens: Show Log has the details).' }, context: null };
    }
    panel.webview.options = webviewOptions(this.extensionUri);
    this.adopt(panel, state);
  }

  private adopt(panel: vscode.WebviewPanel, state: ViewState): ReportPanel {
    const key = keyOf(state);
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'flatness.svg');
    panel.title = titleOf(state);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, titleOf(state));
    const wrapper = new ReportPanel(panel, state, (closed) => {
      if (this.panels.get(key) === closed) this.panels.delete(key);
      if (this.lastActive === closed) this.lastActive = undefined;
    }, this.handler, this.log);
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
