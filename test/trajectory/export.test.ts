import '../extension/setup';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { trajectoryExportText } from '../../src/extension/trajectoryExport';
import { analyzeTrajectory } from '../../src/engine/trajectory/run';
import { isTrajectoryRunView, type TrajectoryRunView } from '../../src/shared/trajectory';
import { isViewState, persistedViewState, isPersistedViewState } from '../../src/shared/protocol';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');

describe('a training run panel', () => {
  test('its state survives the webview round trip, and exports as JSON, CSV, Markdown and HTML', async () => {
    const report = await analyzeTrajectory({
      checkpoints: [path.join(example, 'checkpoints', 'step_00750.pt'), path.join(example, 'checkpoints', 'step_09000.pt')],
      dataPath: path.join(example, 'train.npz'), backend: 'wasm',
    });
    const run: TrajectoryRunView = {
      folderUri: 'file:///run', folderLabel: 'run', dataLabel: 'train.npz', watching: true,
      points: report.points, uris: report.points.map((p) => `file://${p.path}`), pending: [], failures: [],
    };
    const state = { kind: 'trajectory' as const, run };
    const saved = JSON.parse(JSON.stringify(persistedViewState(state))) as unknown;
    assert.ok(isPersistedViewState(saved), 'what the webview saves is restored after a reload');
    assert.ok(isViewState({ kind: 'trajectory', run: { ...run, points: [{ path: 1 }] } }) === false, 'a malformed run is refused');
    assert.ok(isTrajectoryRunView(run));

    const json = JSON.parse(trajectoryExportText(run, 'json')) as TrajectoryRunView;
    assert.equal(json.points[1]!.ratio, report.points[1]!.ratio);
    const csv = trajectoryExportText(run, 'csv').trim().split('\n');
    assert.equal(csv.length, 3);
    const markdown = trajectoryExportText(run, 'markdown');
    assert.match(markdown, /\| 9000 \| step_09000\.pt \|/);
    const html = trajectoryExportText(run, 'html');
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /Flatness over training: run/);
    assert.equal((html.match(/<svg/g) ?? []).length, 3, 'flatness, ratio and loss charts');
  });
});
