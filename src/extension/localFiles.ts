import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import { baseName } from './modelFiles';

/**
 * Gives the worker a path it can open. Files on disk are passed as they are; files from other
 * file systems (virtual or remote providers) are read through vscode.workspace.fs and copied
 * to a temporary folder first.
 */
export async function localPathOf(uri: vscode.Uri): Promise<string> {
  if (uri.scheme === 'file') return uri.fsPath;
  const bytes = await vscode.workspace.fs.readFile(uri);
  const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'flatness-lens-'));
  const target = path.join(folder, baseName(uri.path) || 'file');
  await fs.writeFile(target, bytes);
  return target;
}

export function labelOf(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}
