/**
 * Read-only custom editor for model files: the model summary with tensor statistics (read by the
 * worker, which never executes code from the file), the data associated with the model, and an
 * Analyze button (disabled, with the reason, for files it cannot analyze; data files are named as data).
 */
import * as vscode from 'vscode';
import type { AssociatedData, ViewState } from '../shared/protocol';
import { isWebviewToHost } from '../shared/protocol';
import { webviewHtml, webviewOptions } from './reportPanel';
import type { WorkerClient } from './workerClient';
import { labelOf, withLocalFiles } from './localFiles';
import { toWire } from './analysisService';
import type { DataAssociations } from './dataAssociation';

export const MODEL_EDITOR_VIEW_TYPE = 'flatnessLens.modelSummary';
/** The same editor offered (not default) for files that are usually something else: TF.js model.json, .npz, .h5. */
export const MODEL_EDITOR_OPTION_VIEW_TYPE = 'flatnessLens.modelSummaryOption';

export class ModelSummaryEditor implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly extensionUri: vscode.Uri, private readonly worker: WorkerClient, private readonly associations?: DataAssociations) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  private async associatedData(model: vscode.Uri): Promise<AssociatedData | null> {
    const association = await this.associations?.get(model);
    if (!association) return null;
    return { trainingLabel: labelOf(association.trainingData), testLabel: association.testData ? labelOf(association.testData) : null, source: association.source };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    panel.webview.options = webviewOptions(this.extensionUri);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'Model summary');
    const modelUri = document.uri.toString();
    let state: ViewState = { kind: 'summary', summary: null, error: null, modelUri, data: null };
    const post = (): void => void panel.webview.postMessage({ type: 'show', state });
    const subscriptions = [
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        if (!isWebviewToHost(raw)) return;
        if (raw.type === 'ready') post();
        if (raw.type === 'analyze') void vscode.commands.executeCommand('flatnessLens.analyzeModel', document.uri);
        if (raw.type === 'changeTrainingData') void vscode.commands.executeCommand('flatnessLens.chooseTrainingData', document.uri);
      }),
      // The associated data shown stays current when the user chooses other data.
      ...(this.associations ? [this.associations.onDidChange(async (changed) => {
        if (changed.toString() !== modelUri || state.kind !== 'summary') return;
        state = { ...state, data: await this.associatedData(document.uri) };
        post();
      })] : []),
    ];
    panel.onDidDispose(() => subscriptions.forEach((subscription) => subscription.dispose()));
    const data = await this.associatedData(document.uri).catch(() => null);
    try {
      const summary = await withLocalFiles(async (files) => this.worker.describe(await files.pathOf(document.uri)));
      state = { kind: 'summary', summary, error: null, modelUri, data };
    } catch (error) {
      state = { kind: 'summary', summary: null, error: toWire(error), modelUri, data };
    }
    post();
  }
}
