/**
 * The side panel and the comparison exports: folder-qualified names, one Reports row per model
 * and data with its earlier runs beneath, past comparisons listed once, Clear Reports only after
 * confirmation, test data named like test/val/holdout beside the training data offered first.
 */
import './setup';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { clearReportsConfirmed, qualifiedNames, relativeTime, ReportItem, ReportsView } from '../../src/extension/views';
import { ComparisonHistory } from '../../src/extension/comparisonHistory';
import type { ReportStore, StoredReport } from '../../src/extension/reportStore';
import { isTestDataName, rankTestCandidates } from '../../src/extension/modelFiles';
import { comparisonCsv, comparisonMarkdown, COMPARISON_CSV_HEADER } from '../../src/extension/exporters';
import type { ComparisonReport } from '../../src/shared/report';

const ROOT = join(__dirname, '..', '..');
const comparison = (): ComparisonReport => JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'comparison-report.json'), 'utf8')) as ComparisonReport;

/** A workspace-state memento in memory (what VS Code gives the extension). */
function memento(): vscode.Memento {
  const values = new Map<string, unknown>();
  return { get: (key: string) => values.get(key), update: async (key: string, value: unknown) => void values.set(key, value), keys: () => [...values.keys()] } as unknown as vscode.Memento;
}

/** The part of ReportStore the views read: its index and its change event. */
function storeOf(entries: StoredReport[]): ReportStore & { cleared: number } {
  const changed = new vscode.EventEmitter<void>();
  const store = {
    cleared: 0,
    list: () => entries,
    latestFor: (uri: string) => entries.find((e) => e.context.modelUri === uri),
    onDidChange: changed.event,
    clear: async () => {
      store.cleared++;
      entries.splice(0);
      changed.fire();
    },
  };
  return store as unknown as ReportStore & { cleared: number };
}

function entry(id: string, model: string, minutesAgo: number, extra: Partial<StoredReport> = {}): StoredReport {
  return {
    id, createdAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(), level: 'flat', headline: 'Flattest order', ratio: 1.21, file: `${id}.json`,
    context: { modelUri: `file:///w/${model}`, modelLabel: model, dataLabel: 'data/train.npz', dataSource: 'picked' }, ...extra,
  };
}

describe('side panel', () => {
  it('qualifies equal file names by their folders, and only those', () => {
    assert.deepEqual(qualifiedNames(['runs/a/model.json', 'runs/b/model.json', 'examples/generalizing.safetensors']), ['a/model.json', 'b/model.json', 'generalizing.safetensors']);
    assert.deepEqual(qualifiedNames(['x/run/model.json', 'y/run/model.json']), ['x/run/model.json', 'y/run/model.json']);
  });

  it('writes times relative to now', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    assert.equal(relativeTime('2026-11-30T11:59:30Z', now), 'just now');
    assert.equal(relativeTime('2026-11-30T11:35:00Z', now), '25 min ago');
    assert.equal(relativeTime('2026-11-30T09:00:00Z', now), '3 h ago');
  });

  it('lists one row per model and data with time, prediction and earlier runs beneath, names qualified', () => {
    const store = storeOf([
      entry('3', 'runs/a/model.json', 0.2, { predictedTestLoss: 0.0123 }),
      entry('2', 'runs/a/model.json', 30),
      entry('1', 'runs/a/model.json', 90),
      entry('4', 'runs/b/model.json', 5, { level: 'sharp', headline: 'Far from the flattest', ratio: 91.9 }),
    ]);
    const view = new ReportsView(store);
    const rows = view.getChildren() as ReportItem[];
    assert.deepEqual(rows.map((row) => row.label), ['a/model.json', 'b/model.json']);
    assert.equal(rows[0]!.description, 'R = 1.21 · predicted 0.0123 · just now · 2 earlier');
    assert.equal(rows[1]!.description, 'R = 91.9 · 5 min ago');
    assert.deepEqual((view.getChildren(rows[0]) as ReportItem[]).map((row) => row.entry.id), ['2', '1']);
    assert.equal(rows[0]!.command?.arguments?.[0], '3', 'the row opens the newest report');
    view.dispose();
  });

  it('lists past comparisons once each, newest first, and opens them', async () => {
    const history = new ComparisonHistory(memento());
    const c = comparison();
    const models = c.models.map((row) => ({ path: row.path, modelUri: `file:///w/${row.path}`, modelLabel: row.path.split('/').pop()! }));
    await history.add(c, models, 'train.npz');
    await history.add({ ...c, createdAt: new Date().toISOString() }, models, 'train.npz');
    assert.equal(history.list().length, 1, 'the same models on the same data replace their older comparison');
    await history.add(c, models, 'other.npz');
    const view = new ReportsView(storeOf([]), history);
    const [group] = view.getChildren();
    assert.equal(group!.label, 'Comparisons');
    const items = view.getChildren(group);
    assert.deepEqual(items.map((item) => item.label), ['generalizing vs memorizing', 'generalizing vs memorizing']);
    assert.equal(items[0]!.command?.command, 'flatnessLens.internal.openComparison');
    view.dispose();
  });

  it('clears reports and comparisons only after the user confirms', async () => {
    const store = storeOf([entry('1', 'm.safetensors', 1)]);
    const history = new ComparisonHistory(memento());
    await history.add(comparison(), [], 'train.npz');
    const window = vscode.window as unknown as { showWarningMessage: (...args: unknown[]) => Promise<string | undefined> };
    const original = window.showWarningMessage;
    const asked: unknown[][] = [];
    try {
      window.showWarningMessage = async (...args) => {
        asked.push(args);
        return undefined;
      };
      assert.equal(await clearReportsConfirmed(store, history), false);
      assert.equal(store.cleared, 0, 'dismissed: nothing cleared');
      assert.match(String(asked[0]![0]), /Clear 2 stored reports and comparisons\?/);
      assert.deepEqual(asked[0]![1], { modal: true, detail: 'The model files and their data associations are kept; only the stored results are removed.' });
      window.showWarningMessage = async () => 'Clear Reports';
      assert.equal(await clearReportsConfirmed(store, history), true);
      assert.equal(store.cleared, 1);
      assert.equal(history.list().length, 0);
    } finally {
      window.showWarningMessage = original;
    }
  });
});

describe('test data candidates', () => {
  it('recognises held-out names', () => {
    for (const name of ['test.npz', 'x_test.npy', 'val.csv', 'validation.json', 'holdout.npz', 'heldout_data.npz', 'eval.npz']) assert.ok(isTestDataName(`/d/${name}`), name);
    for (const name of ['train.npz', 'latest.npz', 'contest.csv', 'interval.npz', 'data.npz']) assert.ok(!isTestDataName(`/d/${name}`), name);
  });

  it('offers held-out files beside the training data first', () => {
    const ranked = rankTestCandidates('file:///w/data/train.npz', ['file:///w/other/test.npz', 'file:///w/data/extra.npz', 'file:///w/data/val.npz', 'file:///w/data/train.npz', 'file:///w/data/test.npz']);
    assert.deepEqual(ranked, ['file:///w/data/test.npz', 'file:///w/data/val.npz', 'file:///w/other/test.npz', 'file:///w/data/extra.npz']);
  });
});

describe('comparison exports', () => {
  it('writes one CSV row per model with the unrounded numbers', () => {
    const c = comparison();
    const lines = comparisonCsv(c, (path) => path.split('/').pop()!).trim().split('\n');
    assert.equal(lines[0], COMPARISON_CSV_HEADER.join(','));
    assert.equal(lines.length, 1 + c.models.length);
    const second = lines[2]!.split(',');
    assert.equal(second[1], 'memorizing.safetensors');
    assert.equal(Number(second[6]), c.models[1]!.testLoss, 'measured test loss');
    assert.equal(Number(second[8]), c.models[1]!.ratio);
  });

  it('writes a Markdown table, Kendall tau and the non-interpolators marked', () => {
    const c = comparison();
    c.models[1] = { ...c.models[1]!, interpolates: false };
    const markdown = comparisonMarkdown(c, (path) => path.split('/').pop()!);
    assert.match(markdown, /\| 1 \| generalizing\.safetensors \| /);
    assert.match(markdown, /\| 2 \| memorizing\.safetensors \| n\/a \| n\/a \| 4\.636 \|.*\| no \(off the calibration\) \|/);
    assert.match(markdown, /## Kendall tau against the measured test loss/);
    assert.equal((markdown.match(/^\| (trace|normalized|ratio|pathNorm|topEigenvalue|predictedTestLoss) \|/gm) ?? []).length, Object.keys(c.kendallTau!).length);
  });
});
