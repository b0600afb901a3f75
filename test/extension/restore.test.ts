/**
 * Window reload: the real webview (dist/webview.js in chromium, the extension's CSP) is shown
 * what the host really sent, and the state it saves with setState is handed to the panel
 * serializer of a freshly activated host, as VS Code does after a reload. Also the re-run strip
 * the webview draws above a finished result.
 */
import './setup';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { extensionContext, mock, MockWebviewPanel, Uri } from './vscodeMock';
import { activate } from '../../src/extension/extension';
import { lastShown, reportPanel } from './panels';
import type { CommandDeps } from '../../src/extension/commands';
import { isPersistedViewState, type ViewState } from '../../src/shared/protocol';
import type { ComparisonReport } from '../../src/shared/report';
import { buildWebview, openPage, postToWebview, rememberState, startHarness, type Harness } from '../webview/harness';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'multi-index');

type Serializer = { deserializeWebviewPanel(panel: unknown, state: unknown): Promise<void> };

let subscriptions: { dispose(): unknown }[] = [];
let deps: CommandDeps;

function activateHost(workspace: string): void {
  subscriptions = [];
  const storage = mkdtempSync(join(tmpdir(), 'flatness-storage-'));
  deps = activate(extensionContext(ROOT, storage, subscriptions)).deps;
  mock.workspaceRoot = workspace;
  mock.workspaceFiles = readdirSync(workspace).map((file) => Uri.file(join(workspace, file)));
}

function deactivateHost(): void {
  for (const item of subscriptions) item.dispose();
  subscriptions = [];
}


/** What the webview saved with setState. */
function savedState(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { __state: unknown }).__state);
}

function posted(page: Page): Promise<{ type: string }[]> {
  return page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted);
}

/** A reload: a new host, and VS Code handing the saved state to the registered serializer. */
async function reloadWith(workspace: string, saved: unknown): Promise<MockWebviewPanel> {
  deactivateHost();
  mock.reset();
  activateHost(workspace);
  const serializer = mock.serializers.get('flatnessLens.report') as Serializer;
  assert.ok(serializer, 'the host registered the report serializer');
  const restored = new MockWebviewPanel('flatnessLens.report', 'old title', {});
  await serializer.deserializeWebviewPanel(restored, saved);
  assert.match(restored.webview.html, /Content-Security-Policy/);
  restored.webview.fromWebview({ type: 'ready' });
  return restored;
}

describe('restore after a window reload from the state the webview saves', () => {
  let harness: Harness;
  let workspace: string;

  before(async () => {
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs'), '--only=worker'], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    buildWebview();
    harness = await startHarness();
  });

  after(async () => {
    await harness?.close();
  });

  beforeEach(() => {
    mock.reset();
    workspace = mkdtempSync(join(tmpdir(), 'flatness-ws-'));
    for (const file of readdirSync(EXAMPLE, { withFileTypes: true })) if (file.isFile()) copyFileSync(join(EXAMPLE, file.name), join(workspace, file.name));
    activateHost(workspace);
  });

  afterEach(() => deactivateHost());

  it('a report comes back with its verdict, in the host and in the reloaded webview', async () => {
    await mock.commands.get('flatnessLens.analyzeModel')!(Uri.file(join(workspace, 'memorizing.safetensors')));
    const shown = lastShown(reportPanel());
    assert.equal(shown.kind, 'report');
    const headline = (shown as Extract<ViewState, { kind: 'report' }>).report.verdict.headline;

    const { page } = await openPage(harness, 'dark');
    await postToWebview(page, { type: 'show', state: shown });
    const saved = await savedState(page);
    await page.close();
    assert.ok(isPersistedViewState(saved), `the webview saves the protocol's PersistedViewState: ${JSON.stringify(saved).slice(0, 120)}`);

    const restored = await reloadWith(workspace, saved);
    const state = lastShown(restored);
    assert.equal(state.kind, 'report');
    assert.equal((state as Extract<ViewState, { kind: 'report' }>).report.verdict.headline, headline);
    assert.equal(restored.title, 'Flatness: memorizing.safetensors');
    assert.ok(mock.log.some((line) => line.level === 'info' && /restored a report panel/.test(line.text)));
    assert.ok(!mock.log.some((line) => line.level === 'warn' || line.level === 'error'), 'nothing went wrong');

    // The reloaded webview draws the verdict from its saved state before the host answers.
    rememberState('restore-report', saved);
    const second = await openPage(harness, 'dark', 'restore-report');
    assert.equal(await second.page.textContent('[data-testid="verdict"]'), headline);
    await second.page.close();

    // The restored panel is the model's panel: analysing the model again reuses it.
    restored.webview.fromWebview({ type: 'analyze', modelUri: (state as Extract<ViewState, { kind: 'report' }>).context.modelUri });
    await waitFor(() => lastShown(restored).kind === 'report' && mock.panels.length === 0 && deps.store.list().length === 1);
  });

  it('a comparison (Open Example) comes back with both verdicts', async () => {
    await mock.commands.get('flatnessLens.openExample')!();
    reportPanel().webview.fromWebview({ type: 'ready' });
    const shown = lastShown(reportPanel());
    assert.equal(shown.kind, 'comparison');
    const { page } = await openPage(harness, 'dark');
    await postToWebview(page, { type: 'show', state: shown });
    const verdicts = await page.locator('[data-testid="comparison-verdict"]').allTextContents();
    const saved = await savedState(page);
    await page.close();
    assert.equal(verdicts.length, 2);

    const restored = await reloadWith(workspace, saved);
    const state = lastShown(restored);
    assert.equal(state.kind, 'comparison');
    assert.deepEqual((state as Extract<ViewState, { kind: 'comparison' }>).reports.map((r) => r.report.verdict.headline), verdicts);
    assert.equal(restored.title, 'Flatness: comparison');
  });

  it('a ranking (Compare Models) comes back', async () => {
    const comparison = JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'comparison-report.json'), 'utf8')) as ComparisonReport;
    const models = comparison.models.map((row) => ({ path: row.path, modelUri: Uri.file(join(ROOT, row.path)).toString(), modelLabel: row.path.split('/').pop()! }));
    const ranking: ViewState = { kind: 'ranking', comparison, models, dataLabel: 'train.npz (test: test.npz)' };
    const { page } = await openPage(harness, 'dark');
    await postToWebview(page, { type: 'show', state: ranking });
    const saved = await savedState(page);
    await page.close();
    const restored = await reloadWith(workspace, saved);
    assert.deepEqual(lastShown(restored), ranking);
    assert.equal(restored.title, 'Flatness: 2 models ranked');
  });

  it('a panel reloaded during an analysis offers to run it again; a re-run in progress is saved as its finished result', async () => {
    const context = { modelUri: Uri.file(join(workspace, 'generalizing.safetensors')).toString(), modelLabel: 'generalizing.safetensors', dataLabel: 'train.npz', dataSource: 'picked' as const };
    const { page } = await openPage(harness, 'dark');
    await postToWebview(page, { type: 'show', state: { kind: 'progress', message: 'Analysing generalizing.safetensors', context } });
    const duringFirstRun = await savedState(page);
    const restored = await reloadWith(workspace, duringFirstRun);
    const state = lastShown(restored);
    assert.equal(state.kind, 'error');
    assert.equal((state as Extract<ViewState, { kind: 'error' }>).error.code, 'cancelled');
    assert.deepEqual((state as Extract<ViewState, { kind: 'error' }>).context, context, 'Try again knows the model');

    // Try again analyses in the restored panel, the model's panel.
    await mock.commands.get('flatnessLens.analyzeModel')!(Uri.file(join(workspace, 'generalizing.safetensors')));
    assert.equal(mock.panels.length, 0, 'no new panel');
    const report = lastShown(restored) as Extract<ViewState, { kind: 'report' }>;
    assert.equal(report.kind, 'report');
    await postToWebview(page, { type: 'show', state: { ...report, rerun: { status: 'running', message: 'Analysing again' } } });
    const duringRerun = await savedState(page);
    await page.close();
    assert.ok(isPersistedViewState(duringRerun));
    assert.equal(duringRerun.state.kind, 'report');
    assert.equal((duringRerun.state as Extract<ViewState, { kind: 'report' }>).rerun, undefined, 'the running strip is not saved');
  });

  it('a saved state it cannot use becomes an internal error in the panel and a warning in the log', async () => {
    for (const saved of [undefined, { state: { kind: 'report' } }, { kind: 'report' }, { version: 1, state: { kind: 'nonsense' } }]) {
      const restored = await reloadWith(workspace, saved);
      const state = lastShown(restored);
      assert.equal(state.kind, 'error', JSON.stringify(saved));
      assert.equal((state as Extract<ViewState, { kind: 'error' }>).error.code, 'internal');
      assert.ok(mock.log.some((line) => line.level === 'warn' && /could not restore a report panel/.test(line.text)));
    }
  });
});

describe('the re-run strip above a finished result (real webview)', () => {
  let harness: Harness;
  let report: Extract<ViewState, { kind: 'report' }>;

  before(async () => {
    buildWebview();
    harness = await startHarness();
    const { makeSamples } = await import('../webview/sampleReports');
    const healthy = (await makeSamples()).find((sample) => sample.report)!;
    report = { kind: 'report', report: healthy.report!, context: healthy.context };
  });

  after(async () => {
    await harness?.close();
  });

  it('keeps the report readable under a progress strip, a cancelled notice and a failure', async () => {
    const { page, problems } = await openPage(harness, 'dark');
    await postToWebview(page, { type: 'show', state: { ...report, rerun: { status: 'running', message: 'Analysing again' } } });
    assert.equal(await page.getAttribute('[data-testid="rerun-banner"]', 'data-status'), 'running');
    assert.equal(await page.textContent('[data-testid="verdict"]'), report.report.verdict.headline, 'the previous verdict stays');
    await page.evaluate(() => window.postMessage({ type: 'progress', stage: 'flatness', fraction: 0.5 }, '*'));
    await page.waitForFunction(() => /flatness · 50% overall/.test(document.getElementById('progress-stage')?.textContent ?? ''));
    await page.click('[data-testid="rerun-cancel"]');
    assert.ok((await posted(page)).some((m) => m.type === 'cancel'));

    await postToWebview(page, { type: 'show', state: { ...report, rerun: { status: 'cancelled', message: 'Re-analysis cancelled; this is the previous result.' } } });
    assert.equal(await page.getAttribute('[data-testid="rerun-banner"]', 'role'), 'status', 'a cancelled re-run is a notice, not an alert');
    assert.equal(await page.locator('[role="alert"]').count(), 0);
    assert.equal(await page.textContent('[data-testid="verdict"]'), report.report.verdict.headline);

    await postToWebview(page, { type: 'show', state: { ...report, rerun: { status: 'failed', error: { code: 'bad-input', message: 'broken.npz: not a zip file', file: 'broken.npz' } } } });
    assert.equal(await page.getAttribute('[data-testid="rerun-banner"]', 'role'), 'alert');
    assert.match(await page.textContent('[data-testid="rerun-banner"]') ?? '', /broken\.npz: not a zip file/);
    const order = await page.evaluate(() => {
      const banner = document.querySelector('[data-testid="rerun-banner"]')!;
      const verdict = document.querySelector('[data-testid="verdict"]')!;
      return banner.compareDocumentPosition(verdict) & Node.DOCUMENT_POSITION_FOLLOWING;
    });
    assert.ok(order, 'the error is above the last good report');
    assert.equal(await page.textContent('[data-testid="verdict"]'), report.report.verdict.headline);

    await page.getByText('Dismiss', { exact: true }).click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="rerun-banner"]'));
    assert.ok((await posted(page)).some((m) => m.type === 'dismissRerun'));
    const saved = await savedState(page);
    assert.ok(isPersistedViewState(saved) && saved.state.kind === 'report' && saved.state.rerun === undefined);
    assert.deepEqual(problems.console, []);
    assert.deepEqual(await problems.csp(), []);
    await page.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
