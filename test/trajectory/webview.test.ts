/**
 * The training run panel in a real browser (the webview harness: Debian's chromium under the
 * extension's CSP), in three themes: charts drawn, table, live updates, a click opens the file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TrajectoryRunView } from '../../src/shared/trajectory';
import { analyzeTrajectory } from '../../src/engine/trajectory/run';
import { buildWebview, openPage, paintedPixels, ROOT, show, startHarness, type Harness, type ThemeName } from '../webview/harness';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const example = join(ROOT, 'examples', 'multi-index');



describe('training run panel in chromium', () => {
  let harness: Harness;
  let run: TrajectoryRunView;

  before(async () => {
    buildWebview();
    harness = await startHarness();
    const report = await analyzeTrajectory({
      checkpoints: [join(example, 'checkpoints')], dataPath: join(example, 'train.npz'), testDataPath: join(example, 'test.npz'), backend: 'wasm',
    });
    run = {
      folderUri: 'file:///work/run', folderLabel: 'checkpoints', dataLabel: 'train.npz (test: test.npz)', watching: true,
      points: report.points, uris: report.points.map((p) => `file://${p.path}`), pending: [], failures: [],
    };
  });

  after(async () => {
    await harness?.close();
  });

  for (const theme of ['light', 'dark', 'high-contrast'] as ThemeName[]) {
    it(`draws the run in the ${theme} theme without console errors or CSP violations`, async () => {
      const { page, problems } = await openPage(harness, theme);
      await show(page, { kind: 'trajectory', run });
      assert.equal(await page.textContent('[data-testid="verdict"]'), `step_09000.pt: ${run.points[12]!.verdict.headline}`);
      assert.equal(await page.textContent('[data-testid="trajectory-count"]'), '13');
      assert.equal(await page.locator('[data-testid="trajectory-table"] tbody tr').count(), 13);
      assert.equal(await page.getAttribute('canvas[data-chart="trajectory-flatness"]', 'data-points'), String(3 * 13));
      assert.equal(await page.getAttribute('canvas[data-chart="trajectory-loss"]', 'data-points'), String(2 * 13), 'training and test loss');
      for (const chart of ['trajectory-flatness', 'trajectory-ratio', 'trajectory-loss']) {
        assert.ok(await paintedPixels(page, chart) > 500, `${chart} drawn`);
      }
      await page.screenshot({ path: join(ARTIFACTS, `webview-trajectory-${theme}.png`), fullPage: true });
      assert.deepEqual(await problems.csp(), [], 'CSP violations');
      assert.deepEqual(problems.console, [], 'console errors');
      await page.close();
    });
  }

  it('updates as checkpoints arrive, says when it stopped, and opens a checkpoint on click', async () => {
    const { page } = await openPage(harness, 'dark');
    await show(page, { kind: 'trajectory', run: { ...run, points: [], uris: [], pending: ['step_00000.pt'] } });
    assert.equal(await page.textContent('[data-testid="verdict"]'), 'Waiting for checkpoints');
    assert.match(await page.textContent('[data-testid="trajectory-status"]') ?? '', /analyzing 1 new checkpoint/);
    await show(page, { kind: 'trajectory', run: { ...run, points: run.points.slice(0, 2), uris: run.uris.slice(0, 2) } });
    assert.equal(await page.textContent('[data-testid="trajectory-count"]'), '2');
    await show(page, { kind: 'trajectory', run: { ...run, watching: false } });
    assert.match(await page.textContent('[data-testid="trajectory-status"]') ?? '', /^Stopped watching checkpoints/);
    await page.locator('[data-testid="trajectory-table"] a', { hasText: 'step_04500.pt' }).click();
    const posted = await page.evaluate(() => (window as unknown as { __posted: Array<{ type: string; uri?: string }> }).__posted);
    assert.ok(posted.some((m) => m.type === 'openFile' && m.uri === run.uris[6]), 'openFile with the checkpoint URI');
    await page.close();
  });
});
