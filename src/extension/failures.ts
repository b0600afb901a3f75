/**
 * Errors as the user sees them: a failure in the user's input (a file that cannot be read) is
 * `bad-input`, the worker's errors keep their code, anything else thrown in the host is a bug
 * (`internal`). Every action the user started ends in a message, never in a silent rejection.
 */
import * as vscode from 'vscode';
import type { WireError, WebviewToHost } from '../shared/protocol';
import { WorkerError } from './workerClient';
import type { Log } from './log';

export function toWire(error: unknown): WireError {
  if (error instanceof WorkerError) return error.wire;
  if (error instanceof vscode.FileSystemError) return { code: 'bad-input', message: error.message };
  if (error instanceof Error) return { code: 'internal', message: `internal error: ${error.message}` };
  return { code: 'internal', message: `internal error: ${String(error)}` };
}

/** Logs a failed action (with the stack of a host bug) and tells the user, offering the log. */
export function reportFailure(log: Log, action: string, error: unknown): WireError {
  const wire = toWire(error);
  log.error(`could not ${action}: ${wire.message}`);
  if (wire.code === 'internal' && error instanceof Error && error.stack) log.debug(error.stack);
  const showLog = vscode.l10n.t('Show Log');
  Promise.resolve(vscode.window.showErrorMessage(vscode.l10n.t('Flatness Lens: could not {0}: {1}', action, wire.message), showLog)).then((choice) => {
    if (choice === showLog) log.show();
  }, () => undefined);
  return wire;
}

/** What a webview button asked for, in words ("could not <action>"). */
export function actionOf(message: WebviewToHost): string {
  switch (message.type) {
    case 'analyze':
      return 're-analyze the model';
    case 'predict':
      return 'predict the generalization';
    case 'changeTrainingData':
      return 'change the training data';
    case 'export':
      return `export the report as ${message.format.toUpperCase()}`;
    case 'cancel':
      return 'cancel the analysis';
    case 'openFile':
      return 'open the file';
    case 'openReport':
      return "open the model's report";
    case 'saveFlattest':
      return 'save the flattest network';
    case 'dismissRerun':
      return 'dismiss the notice';
    case 'ready':
    case 'chartImages':
      return 'update the report panel';
  }
}
