/**
 * Past analyses (the Reports view): one JSON file per report under the extension's storage
 * folder, and only a small index in the memento. Bounded: adding past MAX_REPORTS drops the
 * oldest entry and deletes its file.
 */
import * as vscode from 'vscode';
import type { Report, ReportVerdict } from '../shared/report';
import type { ReportContext } from '../shared/protocol';

/** One index entry: what the views show without reading the report file. */
export interface StoredReport {
  id: string;
  context: ReportContext;
  createdAt: string;
  level: ReportVerdict['level'];
  headline: string;
  ratio: number | null;
  /** The predicted test loss, when the report has a prediction (the side panel shows it). */
  predictedTestLoss?: number | null;
  /** The report's file name in the store's folder. */
  file: string;
}

export type LoadedReport = { report: Report; context: ReportContext; error?: undefined } | { error: string; report?: undefined };

export const INDEX_KEY = 'flatnessLens.reportIndex';
/** Where earlier versions kept whole reports in the memento; moved to files on first use. */
export const LEGACY_KEY = 'flatnessLens.reports';
export const MAX_REPORTS = 30;

interface ReportFile {
  context: ReportContext;
  report: Report;
}

function isIndexEntry(value: unknown): value is StoredReport {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.id === 'string' && typeof entry.file === 'string' && typeof entry.headline === 'string'
    && typeof entry.context === 'object' && entry.context !== null;
}

function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export class ReportStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** Index updates run one after another: two analyses ending together must not lose an entry. */
  private queue: Promise<unknown> = Promise.resolve();

  /** folder: the extension's storage folder (storageUri, else globalStorageUri); reports go in its reports/. */
  constructor(private readonly state: vscode.Memento, folder: vscode.Uri) {
    this.folder = vscode.Uri.joinPath(folder, 'reports');
  }

  readonly folder: vscode.Uri;

  list(): StoredReport[] {
    const stored = this.state.get<unknown[]>(INDEX_KEY) ?? [];
    return Array.isArray(stored) ? stored.filter(isIndexEntry) : [];
  }

  get(id: string): StoredReport | undefined {
    return this.list().find((entry) => entry.id === id);
  }

  /** The newest report for a model, if any. */
  latestFor(modelUri: string): StoredReport | undefined {
    return this.list().find((entry) => entry.context.modelUri === modelUri);
  }

  fileOf(entry: StoredReport): vscode.Uri {
    return vscode.Uri.joinPath(this.folder, entry.file);
  }

  /** Reads a stored report; a missing or unreadable file drops its entry from the index. */
  async load(id: string): Promise<LoadedReport> {
    const entry = this.get(id);
    if (!entry) return { error: 'this report is no longer stored' };
    try {
      const parsed = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(this.fileOf(entry)))) as Partial<ReportFile>;
      if (!parsed.report || !parsed.context) throw new Error('not a stored report');
      return { report: parsed.report, context: parsed.context };
    } catch (error) {
      await this.update((entries) => entries.filter((e) => e.id !== id));
      return { error: `the stored report ${entry.file} could not be read (${error instanceof Error ? error.message : String(error)}); it was removed from the list` };
    }
  }

  async add(report: Report, context: ReportContext): Promise<StoredReport> {
    const id = newId();
    const entry: StoredReport = {
      id,
      context,
      createdAt: report.createdAt,
      level: report.verdict.level,
      headline: report.verdict.headline,
      ratio: report.flatness.ratio.value,
      ...(report.prediction?.available ? { predictedTestLoss: report.prediction.testLoss } : {}),
      file: `${id}.json`,
    };
    await this.writeFile(entry, { context, report });
    await this.update((entries) => [entry, ...entries]);
    return entry;
  }

  async clear(): Promise<void> {
    await this.update(() => []);
  }

  /**
   * Moves reports an earlier version kept whole in the memento into files (once). Returns how
   * many were moved.
   */
  async migrate(): Promise<number> {
    const legacy = this.state.get<unknown>(LEGACY_KEY);
    if (!Array.isArray(legacy)) return 0;
    const moved: StoredReport[] = [];
    for (const item of legacy.slice(0, MAX_REPORTS)) {
      const old = item as Partial<StoredReport & ReportFile>;
      if (!old.report || !old.context || typeof old.id !== 'string') continue;
      const entry: StoredReport = {
        id: old.id,
        context: old.context,
        createdAt: old.report.createdAt,
        level: old.report.verdict.level,
        headline: old.report.verdict.headline,
        ratio: old.report.flatness.ratio.value,
        file: `${old.id.replace(/[^A-Za-z0-9-]/g, '_')}.json`,
      };
      await this.writeFile(entry, { context: old.context, report: old.report });
      moved.push(entry);
    }
    await this.update((entries) => [...entries, ...moved]);
    await this.state.update(LEGACY_KEY, undefined);
    return moved.length;
  }

  dispose(): void {
    this.changed.dispose();
  }

  private async writeFile(entry: StoredReport, content: ReportFile): Promise<void> {
    await vscode.workspace.fs.createDirectory(this.folder);
    await vscode.workspace.fs.writeFile(this.fileOf(entry), new TextEncoder().encode(JSON.stringify(content)));
  }

  /** Rewrites the index (bounded) and deletes the files of the entries it no longer holds. */
  private update(change: (entries: StoredReport[]) => StoredReport[]): Promise<void> {
    const next = this.queue.then(async () => {
      const before = this.list();
      const after = change(before).slice(0, MAX_REPORTS);
      await this.state.update(INDEX_KEY, after);
      const kept = new Set(after.map((entry) => entry.file));
      for (const entry of before) {
        if (kept.has(entry.file)) continue;
        await vscode.workspace.fs.delete(this.fileOf(entry), { useTrash: false }).then(undefined, () => undefined);
      }
      this.changed.fire();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
