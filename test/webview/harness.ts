/**
 * Serves the real webview page (renderWebviewHtml, the same CSP as in VS Code) over loopback
 * HTTP with a stub acquireVsCodeApi and theme variables, and drives it with Debian's chromium.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { makeNonce, renderWebviewHtml } from '../../src/extension/webviewHtml';
import { requireChromium } from '../helpers/chromium';
import type { HostToWebview, ViewState } from '../../src/shared/protocol';

export const ROOT = join(__dirname, '..', '..');
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export type ThemeName = 'light' | 'dark' | 'high-contrast';

/** The subset of VS Code's theme variables the webview and @vscode-elements use. */
export const THEMES: Record<ThemeName, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#717171',
      '--vscode-charts-foreground': '#616161', '--vscode-charts-lines': 'rgba(97,97,97,0.3)', '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-green': '#388a34', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#e51400', '--vscode-charts-yellow': '#bf8803', '--vscode-charts-purple': '#652d90', '--vscode-textLink-foreground': '#005fb8',
      '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b', '--vscode-focusBorder': '#005fb8', '--vscode-widget-border': '#e5e5e5',
      '--vscode-editorWidget-background': '#f8f8f8', '--vscode-errorForeground': '#e51400', '--vscode-testing-iconPassed': '#73c991',
      '--vscode-editorWarning-foreground': '#bf8803', '--vscode-disabledForeground': 'rgba(97,97,97,0.5)',
      '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-charts-foreground': '#cccccc', '--vscode-charts-lines': 'rgba(204,204,204,0.3)', '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#cca700', '--vscode-charts-purple': '#b180d7', '--vscode-textLink-foreground': '#4daafc',
      '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc', '--vscode-focusBorder': '#0078d4', '--vscode-widget-border': '#313131',
      '--vscode-editorWidget-background': '#202020', '--vscode-errorForeground': '#f85149', '--vscode-testing-iconPassed': '#73c991',
      '--vscode-editorWarning-foreground': '#cca700', '--vscode-disabledForeground': 'rgba(204,204,204,0.5)',
      '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-foreground': '#ffffff', '--vscode-editor-background': '#000000', '--vscode-descriptionForeground': '#ffffff',
      '--vscode-charts-foreground': '#ffffff', '--vscode-charts-lines': 'rgba(255,255,255,0.5)', '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-green': '#89d185', '--vscode-charts-orange': '#d18616', '--vscode-charts-red': '#f14c4c', '--vscode-charts-yellow': '#ffd700', '--vscode-charts-purple': '#b180d7', '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff', '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000', '--vscode-button-secondaryForeground': '#ffffff', '--vscode-focusBorder': '#f38518',
      '--vscode-contrastBorder': '#6fc3df', '--vscode-widget-border': '#6fc3df', '--vscode-editorWidget-background': '#0c141f',
      '--vscode-errorForeground': '#f48771', '--vscode-testing-iconPassed': '#73c991', '--vscode-editorWarning-foreground': '#ffd700',
      '--vscode-disabledForeground': '#a5a5a5', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px', '--vscode-editor-font-family': 'monospace',
    },
  },
};

/** Builds dist/webview.js (and the codicons) with the project's build script. */
export function buildWebview(): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--only=webview'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`webview build failed:\n${result.stdout}\n${result.stderr}`);
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.html': 'text/html', '.svg': 'image/svg+xml' };

export interface Harness {
  origin: string;
  context: BrowserContext;
  close(): Promise<void>;
}

function themeCss(): string {
  return Object.values(THEMES).map((theme) => `body.${theme.bodyClass} {\n${Object.entries(theme.vars).map(([k, v]) => `  ${k}: ${v};`).join('\n')}\n}`).join('\n');
}

/** The page as VS Code would serve it, plus one nonce'd script standing in for acquireVsCodeApi. */
export function pageHtml(origin: string, savedState: unknown, theme: ThemeName): string {
  const nonce = makeNonce();
  const html = renderWebviewHtml({
    cspSource: origin,
    nonce,
    scriptUri: `${origin}/dist/webview.js`,
    styleUri: `${origin}/media/report.css`,
    codiconUri: `${origin}/dist/codicons/codicon.css`,
    title: 'test',
  });
  const stub = `<link rel="stylesheet" href="${origin}/theme.css" nonce="${nonce}">
<script nonce="${nonce}">
window.__posted = []; window.__csp = []; window.__state = ${JSON.stringify(savedState ?? null)};
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });
</script>
`;
  return html.replace('<body>', `<body class="${THEMES[theme].bodyClass}">`).replace(`<script nonce="${nonce}" src=`, `${stub}<script nonce="${nonce}" src=`);
}

const savedStates = new Map<string, unknown>();

export async function startHarness(): Promise<Harness> {
  let origin = '';
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname === '/theme.css') {
      response.writeHead(200, { 'content-type': 'text/css' }).end(themeCss());
      return;
    }
    if (url.pathname === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (url.pathname === '/page') {
      const saved = savedStates.get(url.searchParams.get('state') ?? '') ?? null;
      const theme = (url.searchParams.get('theme') ?? 'dark') as ThemeName;
      response.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml(origin, saved, theme in THEMES ? theme : 'dark'));
      return;
    }
    const path = normalize(join(ROOT, url.pathname));
    const allowed = [join(ROOT, 'dist'), join(ROOT, 'media')].some((dir) => path.startsWith(dir + '/'));
    if (!allowed || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'flatness-chromium-'));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, { executablePath: requireChromium(), args: CHROMIUM_ARGS, headless: true, viewport: { width: 1100, height: 900 } });
  return {
    origin,
    context,
    async close() {
      await context.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface PageProblems {
  console: string[];
  csp: () => Promise<string[]>;
}

/** Opens the webview page in a theme and collects console errors and CSP violations. */
export async function openPage(harness: Harness, theme: ThemeName, savedStateKey = ''): Promise<{ page: Page; problems: PageProblems }> {
  const page = await harness.context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  await page.goto(`${harness.origin}/page?theme=${theme}&state=${encodeURIComponent(savedStateKey)}`);
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  return {
    page,
    problems: {
      console: consoleErrors,
      csp: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    },
  };
}

export function rememberState(key: string, state: unknown): void {
  savedStates.set(key, state);
}

/** Sends the webview a host message (as VS Code's postMessage would) and waits until it has drawn it. */
export async function postToWebview(page: Page, message: HostToWebview): Promise<void> {
  const before = await page.evaluate(() => Number(document.body.dataset.rendered ?? '0'));
  await page.evaluate((m) => window.postMessage(m, '*'), message);
  await page.waitForFunction((n) => Number(document.body.dataset.rendered ?? '0') > n, before);
}

/** Shows a view state and waits until the webview has drawn it. */
export function show(page: Page, state: ViewState): Promise<void> {
  return postToWebview(page, { type: 'show', state });
}

/** Number of canvas pixels that are not transparent: the chart was really drawn (-1: no such chart). */
export function paintedPixels(page: Page, chart: string): Promise<number> {
  return page.evaluate((name) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`canvas[data-chart="${name}"]`);
    if (!canvas) return -1;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  }, chart);
}
