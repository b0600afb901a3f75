/** Past analyses of this workspace (the Reports view), kept in workspace state. */
import * as vscode from 'vscode';
import type { Report, ReportVerdict } from '../shared/report';
import type { ReportContext } from '../shared/protocol';

export interface StoredReport {
  id: string;
  context: ReportContext;
  createdAt: string;
  level: ReportVerdict['level'];
  headline: string;
  ratio: number | null;
  report: Report;
}

export const REPORTS_KEY = 'flatnessLens.reports';
export const MAX_REPORTS = 30;

export class ReportStore {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  list(): StoredReport[] {
    return this.state.get<StoredReport[]>(REPORTS_KEY) ?? [];
  }

  get(id: string): StoredReport | undefined {
    return this.list().find((entry) => entry.id === id);
  }

  /** The newest report for a model, if any. */
  latestFor(modelUri: string): StoredReport | undefined {
    return this.list().find((entry) => entry.context.modelUri === modelUri);
  }

  async add(report: Report, context: ReportContext): Promise<StoredReport> {
    const entry: StoredReport = {
      id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      context,
      createdAt: report.createdAt,
      level: report.verdict.level,
      headline: report.verdict.headline,
      ratio: report.flatness.ratio.value,
      report,
    };
    await this.state.update(REPORTS_KEY, [entry, ...this.list()].slice(0, MAX_REPORTS));
    this.changed.fire();
    return entry;
  }

  async clear(): Promise<void> {
    await this.state.update(REPORTS_KEY, []);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
