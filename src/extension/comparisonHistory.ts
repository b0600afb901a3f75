/**
 * Past comparisons (Compare Models) for the Reports view: the ranking states, newest first, in
 * workspace state (a comparison is small: rows and the shared calibration). Bounded.
 */
import * as vscode from 'vscode';
import type { RankedModel } from '../shared/protocol';
import type { ComparisonReport } from '../shared/report';

export interface StoredComparison {
  id: string;
  createdAt: string;
  comparison: ComparisonReport;
  models: RankedModel[];
  dataLabel: string;
}

export const COMPARISONS_KEY = 'flatnessLens.comparisons';
export const MAX_COMPARISONS = 10;

function isStored(value: unknown): value is StoredComparison {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.id === 'string' && typeof entry.createdAt === 'string' && typeof entry.comparison === 'object' && entry.comparison !== null
    && Array.isArray((entry.comparison as Record<string, unknown>).models) && Array.isArray(entry.models) && typeof entry.dataLabel === 'string';
}

export class ComparisonHistory implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  list(): StoredComparison[] {
    const stored = this.state.get<unknown[]>(COMPARISONS_KEY) ?? [];
    return Array.isArray(stored) ? stored.filter(isStored) : [];
  }

  get(id: string): StoredComparison | undefined {
    return this.list().find((entry) => entry.id === id);
  }

  async add(comparison: ComparisonReport, models: RankedModel[], dataLabel: string): Promise<StoredComparison> {
    const entry: StoredComparison = { id: `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, createdAt: comparison.createdAt, comparison, models, dataLabel };
    // The same models on the same data replace their older comparison (no duplicate rows).
    const key = (e: StoredComparison): string => `${e.models.map((m) => m.modelUri).sort().join('|')}#${e.dataLabel}`;
    await this.state.update(COMPARISONS_KEY, [entry, ...this.list().filter((e) => key(e) !== key(entry))].slice(0, MAX_COMPARISONS));
    this.changed.fire();
    return entry;
  }

  async clear(): Promise<void> {
    await this.state.update(COMPARISONS_KEY, []);
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
