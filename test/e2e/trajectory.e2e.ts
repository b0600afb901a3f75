/**
 * End to end, issue 15: in code-server, "Track Training Folder..." on a folder of checkpoints
 * (explorer context menu), the training and test data picked in the quick picks, the trajectory
 * panel drawn; then a checkpoint copied into the folder appears on the chart within seconds; the
 * Training Runs view shows the run and stops watching it.
 * Run by scripts/e2e.sh (same environment as vscode.e2e.ts: FLATNESS_VSIX, CODE_SERVER).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { requireChromium } from '../helpers/chromium';

const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const EXAMPLE = join(ROOT, 'examples', 'multi-index');
const CODE_SERVER = process.env.CODE_SERVER ?? join(ROOT, '.code-server/node_modules/.bin/code-server');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** "Within a few seconds": the settle time (1 s), the poll (1 s) and one core analysis, with room for a loaded machine. */
const APPEARS_WITHIN_MS = 15_000;

function newestVsix(): string {
  if (process.env.FLATNESS_VSIX) return process.env.FLATNESS_VSIX;
  const candidates = readdirSync(ROOT).filter((f) => /^flatness-lens-.*\.vsix$/.test(f)).map((f) => join(ROOT, f));
  candidates.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!candidates[0]) throw new Error('no .vsix found: run npm run package first');
  return candidates[0];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer at ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The frame (webviews are nested iframes) whose selector's text matches, polled until the deadline. */
async function findFrame(page: Page, selector: string, timeoutMs: number, textPattern?: RegExp): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      try {
        const locator = frame.locator(selector);
        if ((await locator.count()) > 0) {
          if (!textPattern) return frame;
          if ((await locator.allTextContents()).some((text) => textPattern.test(text))) return frame;
        }
      } catch {
        // frame detached while we looked
      }
    }
    if (Date.now() > deadline) throw new Error(`no frame with ${selector}${textPattern ? ` matching ${textPattern}` : ''} within ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
}

describe('Track Training Folder in code-server', { skip: existsSync(CODE_SERVER) ? false : `code-server is not installed at ${CODE_SERVER}: run scripts/e2e.sh` }, () => {
  let server: ChildProcess | undefined;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let run: string;
  const serverLog: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    base = mkdtempSync(join(tmpdir(), 'flatness-e2e-trajectory-'));
    const userData = join(base, 'user-data');
    const extensions = join(base, 'extensions');
    const workspace = join(base, 'workspace');
    run = join(workspace, 'run');
    mkdirSync(join(userData, 'User'), { recursive: true });
    mkdirSync(run, { recursive: true });
    for (const file of ['train.npz', 'test.npz']) copyFileSync(join(EXAMPLE, file), join(workspace, file));
    for (const file of ['step_00000.pt', 'step_00750.pt']) copyFileSync(join(EXAMPLE, 'checkpoints', file), join(run, file));
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off',
      'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false, 'workbench.tips.enabled': false,
      'workbench.enableExperiments': false, 'update.mode': 'none', 'window.commandCenter': false, 'chat.commandCenter.enabled': false,
      'workbench.colorTheme': 'Default Dark Modern',
    }, null, 2));
    const install = spawnSync(CODE_SERVER, ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', newestVsix()], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(install.status, 0, `installing the .vsix failed:\n${install.stdout}\n${install.stderr}`);
    const port = await freePort();
    server = spawn(CODE_SERVER, [
      '--auth', 'none', '--disable-workspace-trust', '--disable-telemetry', '--disable-update-check',
      '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userData, '--extensions-dir', extensions, '--ignore-last-opened', workspace,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (d: Buffer) => serverLog.push(d.toString()));
    server.stderr?.on('data', (d: Buffer) => serverLog.push(d.toString()));
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    context = await chromium.launchPersistentContext(join(base, 'chromium'), { executablePath: requireChromium(), args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 950 } });
    page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'train.npz' }).waitFor({ timeout: 90_000 });
  });

  after(async () => {
    try {
      if (page) await page.screenshot({ path: join(ARTIFACTS, 'e2e-trajectory-final.png') });
    } catch {
      // the browser may already be gone
    }
    await context?.close();
    server?.kill();
    if (process.env.FLATNESS_E2E_KEEP !== '1' && base) rmSync(base, { recursive: true, force: true });
    if (process.env.FLATNESS_E2E_VERBOSE === '1') console.log(serverLog.join(''));
  });

  it('watches a folder of checkpoints and draws the run', async () => {
    // Right after start-up the menu may open before the extension's contributions are registered: retry.
    const folder = page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^run$/ }).first();
    const item = page.locator('.context-view .action-item', { hasText: 'Track Training Folder...' }).first();
    const deadline = Date.now() + 120_000;
    for (;;) {
      await folder.click({ button: 'right' });
      try {
        await item.waitFor({ timeout: 5000 });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await page.keyboard.press('Escape');
        await page.waitForTimeout(2000);
      }
    }
    await item.click();
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
