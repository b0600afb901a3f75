/**
 * End to end, issue 15: in code-server, "Track Training Folder..." on a folder of checkpoints
 * (explorer context menu), the training and test data picked in the quick picks, the trajectory
 * panel drawn; then a checkpoint copied into the folder appears on the chart within seconds; the
 * Training Runs view shows the run and stops watching it.
 * Run by scripts/e2e.sh (same environment as vscode.e2e.ts: FLATNESS_VSIX, CODE_SERVER).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, EXAMPLE, SCREENSHOTS, SKIP_WITHOUT_CODE_SERVER, explorerMenu, findFrame, openWorkbench, type Workbench } from './codeServer';

/** "Within a few seconds": the settle time (1 s), the poll (1 s) and one core analysis, with room for a loaded machine. */
const APPEARS_WITHIN_MS = 15_000;

describe('Track Training Folder in code-server', { skip: SKIP_WITHOUT_CODE_SERVER }, () => {
  let workbench: Workbench;
  let page: Page;
  let run: string;

  before(async () => {
    const files: Record<string, string> = { 'train.npz': join(EXAMPLE, 'train.npz'), 'test.npz': join(EXAMPLE, 'test.npz') };
    for (const file of ['step_00000.pt', 'step_00750.pt']) files[`run/${file}`] = join(EXAMPLE, 'checkpoints', file);
    workbench = await openWorkbench({ name: 'flatness-e2e-trajectory', files, readyWhenExplorerShows: 'train.npz' });
    page = workbench.page;
    run = join(workbench.workspace, 'run');
  });

  after(async () => {
    await workbench?.close('e2e-trajectory-final.png');
  });

  it('watches a folder of checkpoints and draws the run', async () => {
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^run$/ }).first();
    const pick = page.locator('.quick-input-list .monaco-list-row').first();
    await explorerMenu(page, folder, 'Track Training Folder...', () => pick.waitFor({ timeout: 10_000 }));
    // Training data, then the optional test data (the file beside it named test first).
    for (const expected of [/train\.npz/, /test\.npz/]) {
      const first = page.locator('.quick-input-list .monaco-list-row').first();
      await page.waitForFunction((pattern) => new RegExp(pattern).test(document.querySelector('.quick-input-list .monaco-list-row')?.textContent ?? ''), expected.source, { timeout: 30_000 });
      assert.match(await first.textContent() ?? '', expected);
      await page.keyboard.press('Enter');
    }
    const frame = await findFrame(page, 'body[data-view="trajectory"] [data-testid="trajectory-count"]', 120_000, /^2$/);
    const ratios = await frame.locator('[data-testid="trajectory-ratio"]').allTextContents();
    assert.equal(ratios.length, 2);
    assert.ok(ratios.every((r) => Number(r) > 10), `both early checkpoints are far from the flattest: ${ratios.join(', ')}`);
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-trajectory-start.png') });
  });

  it('a checkpoint copied into the watched folder appears on the chart within a few seconds', async () => {
    const started = Date.now();
    copyFileSync(join(EXAMPLE, 'checkpoints', 'step_09000.pt'), join(run, 'step_09000.pt'));
    const frame = await findFrame(page, 'body[data-view="trajectory"] [data-testid="trajectory-count"]', APPEARS_WITHIN_MS, /^3$/);
    const elapsed = Date.now() - started;
    console.log(`# the copied checkpoint appeared after ${elapsed} ms`);
    const latest = (await frame.locator('[data-testid="trajectory-latest-ratio"]').textContent()) ?? '';
    assert.ok(Math.abs(Number(latest) - 1.21) < 0.01, `the latest checkpoint is of the flattest order: R = ${latest}`);
    const points = await frame.locator('canvas[data-chart="trajectory-flatness"]').getAttribute('data-points');
    assert.equal(Number(points), 9, 'raw trace, F_sym and F_LB at 3 checkpoints');
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-trajectory-live.png') });
    await page.screenshot({ path: join(SCREENSHOTS, 'trajectory-dark.png') }); // docs/trajectory.md's
  });

  it('the Training Runs view shows the run with its latest ratio, and stops watching it', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Flatness Lens"], .activitybar .action-item[aria-label^="Flatness Lens"]').first().click();
    const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Training Runs' }) });
    const row = pane.locator('.monaco-list-row', { hasText: 'run' }).first();
    await row.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-list-row')].some((r) => /3 checkpoints · R = 1\.21 · watching/.test(r.textContent ?? '')), undefined, { timeout: 30_000 });
    await row.hover();
    await row.locator('.action-label[aria-label="Stop Watching"]').click();
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-list-row')].some((r) => /3 checkpoints · R = 1\.21 · stopped/.test(r.textContent ?? '')), undefined, { timeout: 30_000 });
    await findFrame(page, 'body[data-view="trajectory"] [data-testid="trajectory-status"]', 30_000, /^Stopped watching/);
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-trajectory-stopped.png') });
    // Stopped means stopped: a new checkpoint is not analysed.
    copyFileSync(join(EXAMPLE, 'checkpoints', 'step_04500.pt'), join(run, 'step_04500.pt'));
    await page.waitForTimeout(4000);
    const frame = await findFrame(page, 'body[data-view="trajectory"] [data-testid="trajectory-count"]', 10_000);
    assert.equal(await frame.locator('[data-testid="trajectory-count"]').textContent(), '3');
  });
});
