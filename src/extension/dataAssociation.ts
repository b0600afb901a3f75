/**
 * Which training (and optional test) data belongs to which model: read from a sidecar
 * `<model>.flatness.json` when there is one, else remembered in workspace state after the user
 * picked it once from a quick pick of candidate files. Files named like test, val or holdout
 * beside the training data are offered first as its test data; the answer (also "none") is
 * remembered, so a re-run never asks again.
 */
import * as vscode from 'vscode';
import { SIDECAR_SUFFIX, baseName, isDataCandidate, isTestDataName, rankDataCandidates, rankTestCandidates } from './modelFiles';

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
  /** The user answered the test-data question (possibly with "no test data"). */
  testAsked?: boolean;
  source?: 'picked' | 'example';
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

function sameFolder(a: string, b: string): boolean {
  return a.slice(0, a.length - baseName(a).length) === b.slice(0, b.length - baseName(b).length);
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
      source: stored.source ?? 'picked',
    };
  }

  async set(model: vscode.Uri, trainingData: vscode.Uri, testData?: vscode.Uri, source: 'picked' | 'example' = 'picked'): Promise<void> {
    const all = this.all();
    all[model.toString()] = { trainingData: trainingData.toString(), ...(testData ? { testData: testData.toString() } : {}), testAsked: true, source };
    await this.state.update(STATE_KEY, all);
    this.changed.fire(model);
  }

  /** Remembers one association for several models (Compare Models, the bundled example). */
  async setAll(models: readonly vscode.Uri[], association: DataAssociation): Promise<void> {
    const all = this.all();
    for (const model of models) {
      if (association.source === 'sidecar' && (await this.readSidecar(model, false))) continue;
      all[model.toString()] = {
        trainingData: association.trainingData.toString(),
        ...(association.testData ? { testData: association.testData.toString() } : {}),
        testAsked: true,
        source: association.source === 'example' ? 'example' : 'picked',
      };
    }
    await this.state.update(STATE_KEY, all);
    for (const model of models) this.changed.fire(model);
  }

  /** The known association, or asks the user once (training data, then test data with the likely files first). */
  async resolve(model: vscode.Uri): Promise<DataAssociation | undefined> {
    return (await this.get(model)) ?? (await this.choose(model, { askTestData: true }));
  }

  /**
   * The association with its test data settled: when none is known yet and the user was never
   * asked, asks for it once (files named test/val/holdout beside the training data first).
   */
  async resolveWithTestData(model: vscode.Uri): Promise<DataAssociation | undefined> {
    const known = await this.get(model);
    if (!known) return this.choose(model, { askTestData: true });
    if (known.testData || known.source === 'sidecar' || this.all()[model.toString()]?.testAsked) return known;
    const test = await this.pickTestData(model, known.trainingData);
    if (test === 'cancelled') return known;
    await this.set(model, known.trainingData, test, known.source === 'example' ? 'example' : 'picked');
    return { ...known, ...(test ? { testData: test } : {}) };
  }

  /** Quick pick of candidate data files; remembers the choice. */
  async choose(model: vscode.Uri, options: { askTestData: boolean }): Promise<DataAssociation | undefined> {
    const training = await this.pick(model, `Training data for ${baseName(model.path)}`, undefined);
    if (!training) return undefined;
    let test: vscode.Uri | undefined;
    if (options.askTestData) {
      const answer = await this.pickTestData(model, training);
      test = answer === 'cancelled' ? undefined : answer;
    }
    await this.set(model, training, test);
    return { trainingData: training, ...(test ? { testData: test } : {}), source: 'picked' };
  }

  /** The test-data question: likely files beside the training data first, then "No test data", then the rest. */
  async pickTestData(model: vscode.Uri, training: vscode.Uri): Promise<vscode.Uri | undefined | 'cancelled'> {
    const candidates = await this.candidates(training);
    const ranked = rankTestCandidates(training.toString(), [...candidates.keys()]);
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri; action?: 'browse' | 'none' };
    const item = (key: string, found: boolean): Item => {
      const uri = candidates.get(key)!;
      return { label: baseName(uri.path), description: vscode.workspace.asRelativePath(uri, false), ...(found ? { detail: vscode.l10n.t('beside the training data') } : {}), uri };
    };
    const beside = ranked.filter((key) => isTestDataName(key) && sameFolder(key, training.toString()));
    const rest = ranked.filter((key) => !beside.includes(key));
    const items: Item[] = [...beside.map((key) => item(key, true)), { label: vscode.l10n.t('No test data'), description: vscode.l10n.t('no measured test loss'), action: 'none' }, ...rest.map((key) => item(key, false)),
      { label: `$(folder-opened) ${vscode.l10n.t('Browse...')}`, action: 'browse' }];
    const choice = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Test data for {0} (optional: measured test loss and Kendall tau)', baseName(model.path)),
      placeHolder: vscode.l10n.t('held-out inputs X and targets y from the same distribution as the training data'),
      ignoreFocusOut: true,
    });
    if (!choice) return 'cancelled';
    if (choice.action === 'none') return undefined;
    if (choice.action === 'browse') {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Use as test data'), filters: { [vscode.l10n.t('Data')]: ['npz', 'npy', 'csv', 'json'] } });
      return picked?.[0] ?? 'cancelled';
    }
    return choice.uri;
  }

  private async candidates(exclude: vscode.Uri | undefined): Promise<Map<string, vscode.Uri>> {
    const found = await vscode.workspace.findFiles('**/*.{npz,npy,csv,json}', '**/{node_modules,.git}/**', 500);
    const byString = new Map(found.filter((uri) => isDataCandidate(uri.path)).map((uri) => [uri.toString(), uri]));
    if (exclude) byString.delete(exclude.toString());
    return byString;
  }

  private async pick(model: vscode.Uri, title: string, exclude: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
    const byString = await this.candidates(exclude);
    const ranked = rankDataCandidates(model.toString(), [...byString.keys()]);
    type Item = vscode.QuickPickItem & { uri?: vscode.Uri; action?: 'browse' };
    const items: Item[] = ranked.map((key) => {
      const uri = byString.get(key)!;
      return { label: baseName(uri.path), description: vscode.workspace.asRelativePath(uri, false), uri };
    });
    items.push({ label: `$(folder-opened) ${vscode.l10n.t('Browse...')}`, action: 'browse' });
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('inputs X and targets y: .npz, .npy, .csv or .json'), ignoreFocusOut: true });
    if (!choice) return undefined;
    if (choice.action === 'browse') {
      const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: vscode.l10n.t('Use as data'), filters: { [vscode.l10n.t('Data')]: ['npz', 'npy', 'csv', 'json'] } });
      return picked?.[0];
    }
    return choice.uri;
  }

  private all(): Record<string, StoredAssociation> {
    return { ...(this.state.get<Record<string, StoredAssociation>>(STATE_KEY) ?? {}) };
  }

  private async readSidecar(model: vscode.Uri, warn = true): Promise<DataAssociation | undefined> {
    const uri = model.with({ path: model.path + SIDECAR_SUFFIX });
    let bytes: Uint8Array;
    try {
      bytes = await vscode.workspace.fs.readFile(uri);
    } catch {
      return undefined;
    }
    const sidecar = parseSidecar(new TextDecoder().decode(bytes));
    if (!sidecar) {
      if (!warn) return undefined;
      void vscode.window.showWarningMessage(vscode.l10n.t('{0} is not a valid Flatness Lens sidecar (it needs a "trainingData" path); ignoring it.', baseName(uri.path)));
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
