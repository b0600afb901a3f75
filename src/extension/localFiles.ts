import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import { baseName } from './modelFiles';

/**
 * Gives the worker paths it can open, for one analysis. Files on disk are passed as they are;
 * files from other file systems (virtual or remote providers) are read through
 * vscode.workspace.fs and copied to a temporary folder, which dispose() removes when the
 * analysis ends (whatever way it ends).
 */
export class LocalFiles {
  private folder: Promise<string> | undefined;
  private readonly names = new Set<string>();

  /** The temporary folder, once a file has been copied (for tests and the log). */
  async temporaryFolder(): Promise<string | undefined> {
    return this.folder;
  }

  async pathOf(uri: vscode.Uri): Promise<string> {
    if (uri.scheme === 'file') return uri.fsPath;
    const bytes = await vscode.workspace.fs.readFile(uri);
    this.folder ??= fs.mkdtemp(path.join(os.tmpdir(), 'flatness-lens-'));
    const folder = await this.folder;
    // Two files of one analysis may share a name (model.json in two folders): keep both.
    let name = baseName(uri.path) || 'file';
    for (let n = 2; this.names.has(name); n++) name = `${n}-${baseName(uri.path) || 'file'}`;
    this.names.add(name);
    const target = path.join(folder, name);
    await fs.writeFile(target, bytes);
    return target;
  }

  async dispose(): Promise<void> {
    const folder = this.folder;
    this.folder = undefined;
    this.names.clear();
    if (folder) await fs.rm(await folder, { recursive: true, force: true });
  }
}

/** Runs work with a LocalFiles scope and removes its temporary copies afterwards. */
export async function withLocalFiles<T>(work: (files: LocalFiles) => Promise<T>): Promise<T> {
  const files = new LocalFiles();
  try {
    return await work(files);
  } finally {
    await files.dispose().catch(() => undefined);
  }
}

export function labelOf(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}
