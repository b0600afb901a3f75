/**
 * Read-only custom editor for binary model files: the model summary (read by the worker, which
 * never executes code from the file) and an Analyze button.
 */
import * as vscode from 'vscode';
import type { ViewState } from '../shared/protocol';
import { isWebviewToHost } from '../shared/protocol';
import { webviewHtml, webviewOptions } from './reportPanel';
import type { WorkerClient } from './workerClient';
import { withLocalFiles } from './localFiles';
import { toWire } from './analysisService';

export const MODEL_EDITOR_VIEW_TYPE = 'flatnessLens.modelSummary';
/** The same editor offered (not default) for files that are usually something else: TF.js model.json, .npz. */
export const MODEL_EDITOR_OPTION_VIEW_TYPE = 'flatnessLens.modelSummaryOption';

export class ModelSummaryEditor implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly extensionUri: vscode.Uri, private readonly worker: WorkerClient) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'Model summary');
    let state: ViewState = { kind: 'summary', summary: null, error: null, modelUri: document.uri.toString() };
    const post = (): void => void panel.webview.postMessage({ type: 'show', state });
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      if (!isWebviewToHost(raw)) return;
      if (raw.type === 'ready') post();
      if (raw.type === 'analyze') void vscode.commands.executeCommand('flatnessLens.analyzeModel', document.uri);
      if (raw.type === 'changeTrainingData') void vscode.commands.executeCommand('flatnessLens.chooseTrainingData', document.uri);
    });
    try {
      const summary = await withLocalFiles(async (files) => this.worker.describe(await files.pathOf(document.uri)));
      state = { kind: 'summary', summary, error: null, modelUri: document.uri.toString() };
    } catch (error) {
      state = { kind: 'summary', summary: null, error: toWire(error), modelUri: document.uri.toString() };
    }
    post();
  }
}
