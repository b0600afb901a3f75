/**
 * Which training (and optional test) data belongs to which model: read from a sidecar
 * `<model>.flatness.json` when there is one, else remembered in workspace state after the user
 * picked it once from a quick pick of candidate files.
 */
import * as vscode from 'vscode';
import { SIDECAR_SUFFIX, baseName, isDataCandidate, rankDataCandidates } from './modelFiles';

export interface DataAssociation {
  trainingData: vscode.Uri;
  testData?: vscode.Uri;
  targets?: vscode.Uri;
  activation?: string;
  source: 'picked' | 'sidecar' | 'example';
}

/** The sidecar file format; paths are relative to the model's folder (or absolute). */
export interface SidecarFile {
  trainingData: string;
  testData?: string;
  targets?: string;
  activation?: string;
}

interface StoredAssociation {
  trainingData: string;
  testData?: string;
}

export const STATE_KEY = 'flatnessLens.dataAssociations';

export function parseSidecar(text: string): SidecarFile | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.trainingData !== 'string' || record.trainingData.length === 0) return null;
  const optional = (key: string): string | undefined => (typeof record[key] === 'string' && (record[key] as string).length > 0 ? (record[key] as string) : undefined);
  const sidecar: SidecarFile = { trainingData: record.trainingData };
  const testData = optional('testData');
  const targets = optional('targets');
  const activation = optional('activation');
  if (testData) sidecar.testData = testData;
  if (targets) sidecar.targets = targets;
  if (activation) sidecar.activation = activation;
  return sidecar;
}

function resolveRelative(model: vscode.Uri, relative: string): vscode.Uri {
  if (relative.startsWith('/') || /^[A-Za-z]:[\\/]/.test(relative)) return model.with({ path: relative.replace(/\\/g, '/') });
  return vscode.Uri.joinPath(model, '..', relative);
}

export class DataAssociations {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  /** The association for a model, or undefined if none is known yet. */
  async get(model: vscode.Uri): Promise<DataAssociation | undefined> {
    const sidecar = await this.readSidecar(model);
    if (sidecar) return sidecar;
    const stored = this.all()[model.toString()];
    if (!stored) return undefined;
    return {
      trainingData: vscode.Uri.parse(stored.trainingData),
      ...(stored.testData ? { testData: vscode.Uri.parse(stored.testData) } : {}),
      source: 'picked',
    };
  }

  async set(model: vscode.Uri, trainingData: vscode.Uri, testData?: vscode.Uri): Promise<void> {
    const all = this.all();
    all[model.toString()] = { trainingData: trainingData.toString(), ...(testData ? { testData: testData.toString() } : {}) };
    await this.state.update(STATE_KEY, all);
    this.changed.fire(model);
  }

  /** The known association, or asks the user once. */
  async resolve(model: vscode.Uri): Promise<DataAssociation | undefined> {
    return (await this.get(model)) ?? (await this.choose(model, { askTestData: false }));
  }

  /** Quick pick of candidate data files; remembers the choice. */
  async choose(model: vscode.Uri, options: { askTestData: boolean }): Promise<DataAssociation | undefined> {
    const training = await this.pick(model, `Training data for ${baseName(model.path)}`, undefined);
    if (!training) return undefined;
    let test: vscode.Uri | undefined;
    if (options.askTestData) {
      test = await this.pick(model, `Test data for ${baseName(model.path)} (optional: measured test loss)`, training, true);
    }
    await this.set(model, training, test);
    return { trainingData: training, ...(test ? { testData: test } : {}), source: 'picked' };
  }

  private async pick(model: vscode.Uri, title: string, exclude: vscode.Uri | undefined, optional = false): Promise<vscode.Uri | undefined> {
    const found = await vscode.workspace.findFiles('**/*.{npz,npy,csv,json}', '**/{node_modules,.git}/**', 500);
    const byString = new Map(found.filter((uri) => isDataCandidate(uri.path)).map((uri) => [uri.toString(), uri]));
    if (exclude) byString.delete(exclude.toString());
    const ranked = rankDataCandidates(model.toString(), [...byString.keys()]);
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri; action?: 'browse' | 'none' };
    const items: Item[] = ranked.map((key) => {
      const uri = byString.get(key)!;
      return { label: baseName(uri.path), description: vscode.workspace.asRelativePath(uri, false), uri };
    });
    if (optional) items.unshift({ label: 'No test data', action: 'none' });
    items.push({ label: '$(folder-opened) Browse...', action: 'browse' });
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder: 'inputs X and targets y: .npz, .npy, .csv or .json', ignoreFocusOut: true });
    if (!choice || choice.action === 'none') return undefined;
    if (choice.action === 'browse') {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Use as data', filters: { Data: ['npz', 'npy', 'csv', 'json'] } });
      return picked?.[0];
    }
    return choice.uri;
  }

  private all(): Record<string, StoredAssociation> {
    return { ...(this.state.get<Record<string, StoredAssociation>>(STATE_KEY) ?? {}) };
  }

  private async readSidecar(model: vscode.Uri): Promise<DataAssociation | undefined> {
    const uri = model.with({ path: model.path + SIDECAR_SUFFIX });
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch {
      return undefined;
    }
    const sidecar = parseSidecar(new TextDecoder().decode(bytes));
    if (!sidecar) {
      void vscode.window.showWarningMessage(`${baseName(uri.path)} is not a valid Flatness Lens sidecar (it needs a "trainingData" path); ignoring it.`);
      return undefined;
    }
    return {
      trainingData: resolveRelative(model, sidecar.trainingData),
      ...(sidecar.testData ? { testData: resolveRelative(model, sidecar.testData) } : {}),
      ...(sidecar.targets ? { targets: resolveRelative(model, sidecar.targets) } : {}),
      ...(sidecar.activation ? { activation: sidecar.activation } : {}),
      source: 'sidecar',
    };
  }

  dispose(): void {
    this.changed.dispose();
  }
}
