/**
 * End to end in a real VS Code (code-server 4.100.3 = VS Code 1.100.3) driven by Debian's
 * chromium: install the packaged .vsix, open a workspace holding the example, run
 * "Flatness Lens: Open Example" from the command palette, then "Analyze Model..." from the
 * explorer's context menu on a model, pick its training data in the quick pick, and read the
 * verdict and a number from the report webview (nested iframes).
 *
 * Run with `npm run test:e2e` (scripts/e2e.sh installs what it needs first).
 * Environment: FLATNESS_VSIX (default: the newest flatness-lens-*.vsix in the repository),
 * CODE_SERVER (default: .code-server/node_modules/.bin/code-server).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS, EXAMPLE, SCREENSHOTS, SKIP_WITHOUT_CODE_SERVER, explorerMenu, findFrame, openWorkbench, runCommand, waitUntil, type Workbench } from './codeServer';

describe('Flatness Lens in code-server', { skip: SKIP_WITHOUT_CODE_SERVER }, () => {
  let workbench: Workbench;
  let page: Page;
  /** What the earlier tests saw, to find again after a window reload. */
  let exampleVerdicts: string[] = [];
  let memorizingVerdict = '';

  before(async () => {
    const files: Record<string, string> = {};
    for (const file of ['train.npz', 'test.npz', 'generalizing.safetensors', 'memorizing.safetensors']) files[file] = join(EXAMPLE, file);
    workbench = await openWorkbench({ name: 'flatness-e2e', files, readyWhenExplorerShows: 'memorizing.safetensors' });
    page = workbench.page;
  });

  after(async () => {
    await workbench?.close('e2e-final.png');
  });

  it('Open Example compares the generalizing and the memorizing network', async () => {
    await runCommand(page, 'Flatness Lens: Open Example');
    const frame = await findFrame(page, '[data-testid="comparison-verdict"]', 180_000);
    const verdicts = await frame.locator('[data-testid="comparison-verdict"]').allTextContents();
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-open-example.png') });
    assert.equal(verdicts.length, 2);
    exampleVerdicts = verdicts;
    assert.match(verdicts[0]!, /^Flattest order: R = 1\.\d+$/, 'the generalizing example is of the flattest order');
    assert.doesNotMatch(verdicts[1]!, /^Flattest order/, 'the memorizing example is not');
  });

  it('Analyze Model... from the explorer context menu asks for the training data and shows the report', async () => {
    const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'memorizing.safetensors' });
    // The training-data quick pick: candidates from the workspace, train.npz first.
    const first = page.locator('.quick-input-list .monaco-list-row').first();
    await explorerMenu(page, row, 'Analyze Model...', () => page.waitForFunction(() => /train\.npz/.test(document.querySelector('.quick-input-widget:not([style*="display: none"]) .quick-input-list .monaco-list-row')?.textContent ?? ''), undefined, { timeout: 20_000 }));
    assert.match(await first.textContent() ?? '', /train\.npz/);
    await page.keyboard.press('Enter');
    // Then the optional test data (held-out files beside the training data first): take test.npz.
    const testData = page.locator('.quick-input-widget', { hasText: 'Test data for memorizing.safetensors' });
    if (await testData.waitFor({ timeout: 15_000 }).then(() => true, () => false)) {
      assert.match(await page.locator('.quick-input-list .monaco-list-row').first().textContent() ?? '', /test\.npz/);
      await page.keyboard.press('Enter');
    }
    // The single-report panel (body[data-view="report"]), not the example's comparison panel.
    // A hidden webview is destroyed (no retainContextWhenHidden), so read again if it detaches.
    let verdict = '';
    let ratio = '';
    let data = '';
    let canvases: string | null = null;
    let backend = '';
    for (let attempt = 0; ; attempt++) {
      const frame = await findFrame(page, 'body[data-view="report"] [data-testid="verdict"]', 180_000, /R = /);
      try {
        verdict = (await frame.locator('[data-testid="verdict"]').first().textContent({ timeout: 5000 })) ?? '';
        ratio = (await frame.locator('[data-testid="metric-ratio"]').first().textContent({ timeout: 5000 })) ?? '';
        data = (await frame.locator('[data-testid="training-data"]').first().textContent({ timeout: 5000 })) ?? '';
        canvases = await frame.locator('canvas[data-chart="orbit"]').getAttribute('data-points', { timeout: 5000 });
        backend = (await frame.locator('dl.kv dt:text-is("Backend") + dd').first().textContent({ timeout: 5000 })) ?? '';
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'e2e-analyze-memorizing.png') }); // the README's
    assert.match(verdict, /R = (\d+(\.\d+)?)/);
    memorizingVerdict = verdict;
    const headlineRatio = Number(/R = (\d+(?:\.\d+)?)/.exec(verdict)![1]);
    assert.ok(Number.isFinite(Number(ratio)) && Number(ratio) > 2, `the memorizing network has a large flatness ratio (${ratio})`);
    assert.ok(Math.abs(headlineRatio - Number(ratio)) / Number(ratio) < 0.01, `headline ${headlineRatio} agrees with the ratio card ${ratio}`);
    assert.match(data, /^train\.npz\b/);
    assert.ok(Number(canvases) > 10, 'the orbit chart is drawn');
    // The packaged worker must run the bundled wasm backend, not fall back to cpu (issue 9).
    assert.match(backend, /^wasm \(requested auto\b/, `the installed extension computes on wasm: ${backend}`);
  });

  it('opening a model file shows the read-only model summary editor', async () => {
    await runCommand(page, 'View: Show Explorer');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'generalizing.safetensors' }).dblclick();
    const frame = await findFrame(page, '.summary-view dl', 120_000);
    const text = (await frame.locator('.summary-view').textContent()) ?? '';
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-model-summary.png') });
    assert.match(text, /10-64\(relu\)-1/, 'input dimension 10, 64 hidden neurons, one output');
    assert.match(text, /64 hidden neurons/);
    assert.match(text, /Analyze flatness/);
  });

  it('the side panel lists the models with their last verdict and ratio, and past reports', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Flatness Lens"], .activitybar .action-item[aria-label^="Flatness Lens"]').first().click();
    const models = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Models' }) });
    const memorizing = models.locator('.monaco-list-row', { hasText: 'memorizing.safetensors' });
    await memorizing.waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.monaco-list-row')].some((row) => /memorizing\.safetensors/.test(row.textContent ?? '') && /R = 91\.9/.test(row.textContent ?? '')), undefined, { timeout: 30_000 });
    assert.match(await memorizing.textContent() ?? '', /R = 91\.9/);
    const reports = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Reports' }) });
    await reports.locator('.monaco-list-row').first().waitFor({ timeout: 30_000 });
    assert.ok(await reports.locator('.monaco-list-row').count() >= 3, 'the example (2) and the explorer analysis are listed');
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-side-panel.png') });
  });

  it('a report and a comparison come back after a window reload', async () => {
    assert.ok(memorizingVerdict && exampleVerdicts.length === 2, 'the earlier tests showed a report and a comparison');
    // Leave only the report panels open, the memorizing report active, and no Flatness Lens view
    // visible: after the reload nothing but the restored panel (onWebviewPanel) wakes the extension.
    const modelTab = page.locator('.tabs-container .tab', { hasText: 'generalizing.safetensors' }).first();
    await waitUntil('the model view to be closed', async () => {
      if ((await modelTab.count()) === 0) return true;
      await modelTab.click();
      await runCommand(page, 'View: Close Editor');
      return false;
    }, 60_000);
    await runCommand(page, 'View: Show Explorer');
    await page.locator('.tabs-container .tab', { hasText: 'Flatness: memorizing.safetensors' }).first().click();
    await findFrame(page, 'body[data-view="report"] [data-testid="verdict"]', 60_000, /R = /);

    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    // The reload brings back the editor that was active; a click on its tab is what a user does if
    // it is not (a restored panel is rebuilt by the serializer when it shows, either way).
    const reportTab = page.locator('.tabs-container .tab', { hasText: 'Flatness: memorizing.safetensors' }).first();
    await reportTab.waitFor({ timeout: 90_000 });
    if (!(await reportTab.evaluate((tab) => tab.classList.contains('active')))) await reportTab.click();
    const report = await findFrame(page, 'body[data-view="report"] [data-testid="verdict"]', 120_000, /R = /);
    assert.equal(await report.locator('[data-testid="verdict"]').first().textContent(), memorizingVerdict);
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-reload-report.png') });

    await page.locator('.tabs-container .tab', { hasText: 'Flatness: comparison' }).first().click();
    const comparison = await findFrame(page, 'body[data-view="comparison"] [data-testid="comparison-verdict"]', 120_000);
    assert.deepEqual(await comparison.locator('[data-testid="comparison-verdict"]').allTextContents(), exampleVerdicts);
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-reload-comparison.png') });
    // The restored report is not an error page.
    const texts = await Promise.all(page.frames().map((frame) => frame.locator('[data-testid="error-message"]').allTextContents().catch(() => [])));
    assert.deepEqual(texts.flat(), [], 'no panel shows a restore error');
  });

  it('cancelling a re-run from the notification keeps the previous report and says so as a notice', async () => {
    await page.locator('.tabs-container .tab', { hasText: 'Flatness: memorizing.safetensors' }).first().click();
    const frame = await findFrame(page, 'body[data-view="report"] [data-testid="verdict"]', 60_000, /R = /);
    // Predict Generalization is a re-run long enough (it trains networks) to cancel reliably.
    await frame.locator('vscode-button', { hasText: 'Predict generalization' }).first().click();
    const running = await findFrame(page, '[data-testid="rerun-banner"][data-status="running"]', 60_000);
    assert.equal(await running.locator('[data-testid="verdict"]').first().textContent(), memorizingVerdict, 'the previous report stays visible during the re-run');
    const cancel = page.locator('.notifications-toasts .notification-toast', { hasText: 'predicting generalization' }).locator('.monaco-button', { hasText: 'Cancel' }).first();
    await cancel.waitFor({ timeout: 60_000 });
    await cancel.click();
    const cancelled = await findFrame(page, '[data-testid="rerun-banner"][data-status="cancelled"]', 60_000);
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-rerun-cancelled.png') });
    assert.equal(await cancelled.locator('[data-testid="rerun-banner"]').getAttribute('role'), 'status', 'a notice, not an alert');
    assert.equal(await cancelled.locator('body[data-view="report"] [data-testid="verdict"]').first().textContent(), memorizingVerdict, 'the previous report is kept');
    assert.equal(await cancelled.locator('[role="alert"]').count(), 0, 'no error is shown');
  });
});
