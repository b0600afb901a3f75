/**
 * The pieces every end-to-end test shares: a code-server (VS Code 1.100) with the packaged
 * .vsix installed into a fresh profile, a workspace, headless chromium on it, and helpers to
 * find webview frames and run palette commands.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';
import { requireChromium } from '../helpers/chromium';

export const ROOT = join(__dirname, '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const EXAMPLE = join(ROOT, 'examples', 'multi-index');
export const CODE_SERVER = process.env.CODE_SERVER ?? join(ROOT, '.code-server/node_modules/.bin/code-server');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The `skip` option of an end-to-end suite: a reason when code-server is not installed. */
export const SKIP_WITHOUT_CODE_SERVER: string | false = existsSync(CODE_SERVER) ? false : `code-server is not installed at ${CODE_SERVER}: run scripts/e2e.sh`;

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

const recentPageProblems: string[] = [];
let timeoutShots = 0;

function recordPageProblem(file: string, line: string): void {
  appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
  recentPageProblems.push(line.slice(0, 300));
  if (recentPageProblems.length > 5) recentPageProblems.shift();
}

/** The extension host's logs of a profile, concatenated (code-server keeps them under user-data/logs). */
function copyExtensionHostLogs(userData: string, target: string): void {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/exthost|Flatness/i.test(path) && entry.name.endsWith('.log')) found.push(`== ${path}\n${readFileSync(path, 'utf8')}`);
    }
  };
  try {
    walk(join(userData, 'logs'));
  } catch {
    // no logs written
  }
  writeFileSync(target, found.join('\n'));
}

/** Polls every frame (webviews are iframes inside iframes) until one has the selector (with matching text). */
export async function findFrame(page: Page, selector: string, timeoutMs: number, textPattern?: RegExp): Promise<Frame> {
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
    if (Date.now() > deadline) {
      const shot = `e2e-timeout-${++timeoutShots}.png`;
      await page.screenshot({ path: join(ARTIFACTS, shot) }).catch(() => undefined);
      const views = await Promise.all(page.frames().map((frame) => frame.evaluate(() => `${document.body?.dataset.view ?? '-'}: ${document.body?.innerText.slice(0, 200) ?? ''}`).catch(() => '')));
      const webviewFrames = page.frames().filter((frame) => frame.url().includes('webview')).map((frame) => `${frame.url().replace(/^.*\/webview\//, '').slice(0, 80)}${frame.isDetached() ? ' (detached)' : ''}`);
      appendFileSync(join(ARTIFACTS, 'e2e-frames.log'), `${new Date().toISOString()} waiting for ${selector}: ${webviewFrames.join(' | ')}\n`);
      throw new Error(`no frame with ${selector}${textPattern ? ` matching ${textPattern}` : ''} within ${timeoutMs} ms (screenshot ${shot}; ${webviewFrames.length} webview frames; views: ${views.filter((v) => v && !v.startsWith('-')).join(' | ')}; last page errors: ${recentPageProblems.join(' | ') || 'none'})`);
    }
    await page.waitForTimeout(250);
  }
}

/**
 * Runs a command from the palette. Retries: right after start-up the palette may open before
 * the extension's contributions are registered, or a notification may steal the first keys.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${title}`);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      await row.waitFor({ timeout: 10_000 });
      await row.click();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1000);
    }
  }
}

export interface WorkbenchOptions {
  /** Prefix of the temporary folder. */
  name: string;
  /** Workspace-relative path -> file to copy there. */
  files: Record<string, string>;
  /** A file name the explorer shows once the workbench is ready. */
  readyWhenExplorerShows: string;
}

export interface Workbench {
  page: Page;
  workspace: string;
  /**
   * Merges entries into the user settings as a user would: pasted into the settings.json editor
   * and saved (a write to the file from outside is not picked up by a running code-server).
   */
  updateSettings(entries: Record<string, unknown>): Promise<void>;
  /** Screenshot into test-artifacts/, then stop the browser and code-server and remove the folder. */
  close(finalScreenshot: string): Promise<void>;
}

/** Installs the .vsix into a fresh profile, starts code-server on a workspace and opens it in chromium. */
export async function openWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  mkdirSync(ARTIFACTS, { recursive: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const base = mkdtempSync(join(tmpdir(), `${options.name}-`));
  const userData = join(base, 'user-data');
  const extensions = join(base, 'extensions');
  const workspace = join(base, 'workspace');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(workspace, { recursive: true });
  for (const [target, source] of Object.entries(options.files)) {
    mkdirSync(dirname(join(workspace, target)), { recursive: true });
    copyFileSync(source, join(workspace, target));
  }
  const settingsFile = join(userData, 'User', 'settings.json');
  let settings: Record<string, unknown> = {
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'update.mode': 'none',
    'window.commandCenter': false,
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
  };
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));

  const vsix = newestVsix();
  const install = spawnSync(CODE_SERVER, ['--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(install.status, 0, `installing ${vsix} failed:\n${install.stdout}\n${install.stderr}`);
  assert.match(install.stdout + install.stderr, /successfully installed/i);

  const port = await freePort();
  const serverLog: string[] = [];
  const server: ChildProcess = spawn(CODE_SERVER, [
    '--auth', 'none', '--disable-workspace-trust', '--disable-telemetry', '--disable-update-check',
    '--bind-addr', `127.0.0.1:${port}`, '--user-data-dir', userData, '--extensions-dir', extensions, '--ignore-last-opened', workspace,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (d: Buffer) => serverLog.push(d.toString()));
  server.stderr?.on('data', (d: Buffer) => serverLog.push(d.toString()));
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);

  const context: BrowserContext = await chromium.launchPersistentContext(join(base, 'chromium'), { executablePath: requireChromium(), args: CHROMIUM_ARGS, headless: true, viewport: { width: 1400, height: 950 }, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  // The page's errors and the extension host's log go into failure messages and test-artifacts/:
  // a CI log then says why a view never showed.
  const consoleLog = join(ARTIFACTS, `${options.name}-console.log`);
  writeFileSync(consoleLog, '');
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') recordPageProblem(consoleLog, `${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => recordPageProblem(consoleLog, `pageerror: ${error.message}`));
  context.on('requestfailed', (request) => recordPageProblem(consoleLog, `request failed: ${request.url().slice(0, 160)} (${request.failure()?.errorText ?? '?'})`));
  context.on('response', (response) => {
    if (response.status() >= 400) recordPageProblem(consoleLog, `HTTP ${response.status()}: ${response.url().slice(0, 160)}`);
  });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`, { timeout: 120_000 }); // the first load can exceed 30 s on a busy machine
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  // The explorer lists the workspace once the file service is up.
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: options.readyWhenExplorerShows }).waitFor({ timeout: 90_000 });

  return {
    page,
    workspace,
    async updateSettings(entries: Record<string, unknown>): Promise<void> {
      settings = { ...settings, ...entries };
      const text = JSON.stringify(settings, null, 2);
      try {
        await runCommand(page, 'Preferences: Open User Settings (JSON)');
        await page.locator('.tabs-container .tab.active', { hasText: 'settings.json' }).waitFor({ timeout: 30_000 });
        const lines = page.locator('.editor-instance .monaco-editor .view-lines').first();
        await lines.waitFor({ timeout: 30_000 });
        await lines.click();
        await page.keyboard.press('ControlOrMeta+A');
        // Pasted, not typed: typing, the editor would close brackets and quotes and indent by itself.
        await page.evaluate((value) => navigator.clipboard.writeText(value), text);
        await page.keyboard.press('ControlOrMeta+V');
        await page.keyboard.press('ControlOrMeta+S');
        await waitUntil('settings.json to be saved from the editor', () => {
          try {
            return JSON.stringify(JSON.parse(readFileSync(settingsFile, 'utf8'))) === JSON.stringify(settings);
          } catch {
            return false;
          }
        }, 30_000);
        await runCommand(page, 'View: Close Editor');
      } catch (error) {
        await page.screenshot({ path: join(ARTIFACTS, 'e2e-settings.png') }).catch(() => undefined);
        throw error;
      }
    },
    async close(finalScreenshot: string): Promise<void> {
      try {
        await page.screenshot({ path: join(ARTIFACTS, finalScreenshot) });
      } catch {
        // the browser may already be gone
      }
      await context.close();
      server.kill();
      copyExtensionHostLogs(userData, join(ARTIFACTS, `${options.name}-exthost.log`));
      writeFileSync(join(ARTIFACTS, `${options.name}-server.log`), serverLog.join(''));
      if (process.env.FLATNESS_E2E_KEEP !== '1') rmSync(base, { recursive: true, force: true });
      if (process.env.FLATNESS_E2E_VERBOSE === '1') console.log(serverLog.join(''));
    },
  };
}

/** Polls a condition (a file written, a count reached) until it holds; never a fixed sleep. */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Opens the explorer's context menu on a row and clicks an item, until `opened` resolves (the quick
 * pick or view the item leads to shows). A click that lands while the workbench is still busy
 * right after start-up can be lost, or the menu may open before the extension's contributions are
 * registered: each try closes whatever is open and right-clicks again (after `select`, if given).
 */
export async function explorerMenu(page: Page, row: Locator, itemText: string, opened: () => Promise<unknown>, select?: () => Promise<void>, timeoutMs = 120_000): Promise<void> {
  const item = page.locator('.context-view .action-item', { hasText: itemText }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('Escape');
    // Escape also clears the explorer's selection: a multi-selection is made again on each try.
    if (select) await select();
    await row.click({ button: 'right' });
    try {
      await item.waitFor({ timeout: 20_000 });
      await clickMenuItem(item);
      await opened();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/**
 * Clicks an item of an open context menu. The workbench's menu can drop a click (the item stays
 * highlighted and the menu open, seen in CI); Enter on the still-open item then takes it. The key
 * goes to the item itself, so it never lands in whatever the click opened.
 */
export async function clickMenuItem(item: Locator): Promise<void> {
  await item.click();
  await item.page().waitForTimeout(750);
  if (!(await item.isVisible())) return;
  console.log(`# a click on the menu item "${(await item.textContent())?.trim()}" was lost: Enter takes it`);
  await item.locator('.action-menu-item').first().press('Enter', { timeout: 2000 }).catch(() => undefined);
}

/** The quick pick's first row once it shows `title` and its first row matches `first`; then Enter takes it. */
export async function acceptQuickPick(page: Page, title: RegExp, first: RegExp, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(([titleSource, firstSource]) => {
    const widget = [...document.querySelectorAll<HTMLElement>('.quick-input-widget')].find((w) => w.style.display !== 'none');
    return !!widget && new RegExp(titleSource!).test(widget.querySelector('.quick-input-title')?.textContent ?? '')
      && new RegExp(firstSource!).test(widget.querySelector('.quick-input-list .monaco-list-row')?.textContent ?? '');
  }, [title.source, first.source], { timeout: timeoutMs });
  await page.keyboard.press('Enter');
}

/**
 * The save dialog of the web workbench is a quick input holding the target path: waits until it
 * offers `fileName` (in the workspace, as the extension proposes) and accepts it with Enter.
 */
export async function acceptSaveDialog(page: Page, fileName: string, timeoutMs = 30_000): Promise<void> {
  const input = page.locator('.quick-input-widget:visible .quick-input-box input');
  await page.waitForFunction((name) => {
    const widget = [...document.querySelectorAll<HTMLElement>('.quick-input-widget')].find((w) => w.style.display !== 'none');
    return (widget?.querySelector('input')?.value ?? '').endsWith(`/${name}`);
  }, fileName, { timeout: timeoutMs });
  await input.press('Enter');
}

export type ThemeName = 'light' | 'dark' | 'high-contrast';
const THEMES: Record<ThemeName, { setting: string; workbench: string; webview: string }> = {
  'light': { setting: 'Default Light Modern', workbench: 'vs', webview: 'vscode-light' },
  'dark': { setting: 'Default Dark Modern', workbench: 'vs-dark', webview: 'vscode-dark' },
  'high-contrast': { setting: 'Default High Contrast', workbench: 'hc-black', webview: 'vscode-high-contrast' },
};

/** Switches the color theme in the user settings (with other entries, if given) and waits until the workbench shows it. */
export async function setTheme(workbench: Workbench, theme: ThemeName, entries: Record<string, unknown> = {}): Promise<void> {
  await workbench.updateSettings({ ...entries, 'workbench.colorTheme': THEMES[theme].setting });
  await workbench.page.waitForFunction((cls) => document.querySelector('.monaco-workbench')?.classList.contains(cls) ?? false, THEMES[theme].workbench, { timeout: 60_000 });
}

/** The webview body class of a theme (vscode-light, vscode-dark, vscode-high-contrast). */
export function webviewThemeClass(theme: ThemeName): string {
  return THEMES[theme].webview;
}

/**
 * Where screenshots for the documentation go: docs/screenshots/ with FLATNESS_SCREENSHOTS=1 (how the
 * committed ones are made), else test-artifacts/screenshots/ so a CI run never rewrites tracked files.
 */
export const SCREENSHOTS = process.env.FLATNESS_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'screenshots') : join(ARTIFACTS, 'screenshots');

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}
