/**
 * End to end, issue 17 item 4 and issue 13: what users touch, in a real VS Code (code-server
 * 4.100.3) with the packaged .vsix. Choose Training Data... (remembered: the analysis that follows
 * asks nothing), export of the report in every format it offers (JSON, HTML, Markdown, CSV, PNG of
 * each chart: the written files exist and parse), a setting change that the next report reflects
 * (the optional sections), Predict generalization, a hostile model file (the error is shown and the
 * host keeps working), Compare Models... on an explorer multi-selection with the comparison's
 * exports, and the model view. Last, every view in the light, dark and high-contrast themes:
 * screenshots into docs/screenshots/ with FLATNESS_SCREENSHOTS=1 (else test-artifacts/screenshots/).
 * Run by scripts/e2e.sh (same environment as vscode.e2e.ts: FLATNESS_VSIX, CODE_SERVER).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import {
  ARTIFACTS, EXAMPLE, SCREENSHOTS, SKIP_WITHOUT_CODE_SERVER, type ThemeName, type Workbench,
  acceptQuickPick, acceptSaveDialog, explorerMenu, findFrame, openWorkbench, readJson, runCommand, setTheme, waitUntil, webviewThemeClass,
} from './codeServer';

const MODEL = 'memorizing.safetensors';
const REPORT = 'body[data-view="report"] [data-testid="verdict"]';
const RANKING = 'body[data-view="ranking"] [data-testid="ranking-table"]';

/** A safetensors file whose header promises tensors its 100 data bytes do not hold. */
function hostileSafetensors(): Buffer {
  const header = JSON.stringify({
    'hidden.weight': { dtype: 'F32', shape: [64, 10], data_offsets: [0, 2560] },
    'output.weight': { dtype: 'F32', shape: [1, 64], data_offsets: [2560, 2816] },
  });
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, Buffer.from(header), Buffer.alloc(100)]);
}

/** The webview frame showing a finished report of `model` (a hidden webview is destroyed and rebuilt: find it again). */
async function reportFrame(page: Page, timeoutMs = 180_000): Promise<Frame> {
  return findFrame(page, REPORT, timeoutMs, /R = /);
}

async function showTab(page: Page, title: string): Promise<void> {
  await page.locator('.tabs-container .tab', { hasText: title }).first().click();
}

/** Clicks a webview button until `then` resolves (a click while the webview is re-rendering can be lost). */
async function clickUntil(frame: Frame, label: string, then: () => Promise<unknown>, tries = 4): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await frame.locator('vscode-button', { hasText: label }).first().click();
    try {
      await then();
      return;
    } catch (error) {
      if (attempt >= tries) throw error;
    }
  }
}

function isPng(path: string): boolean {
  const bytes = readFileSync(path);
  // Signature, then the IHDR chunk with a non-zero width and height.
  return bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && bytes.toString('latin1', 12, 16) === 'IHDR'
    && bytes.readUInt32BE(16) > 0 && bytes.readUInt32BE(20) > 0;
}

describe('Flatness Lens actions in code-server', { skip: SKIP_WITHOUT_CODE_SERVER }, () => {
  let workbench: Workbench;
  let page: Page;
  let workspace: string;
  let hostileFolder: string;
  let verdict = '';

  before(async () => {
    hostileFolder = mkdtempSync(join(tmpdir(), 'flatness-hostile-'));
    writeFileSync(join(hostileFolder, 'truncated.safetensors'), hostileSafetensors());
    const files: Record<string, string> = { 'truncated.safetensors': join(hostileFolder, 'truncated.safetensors') };
    for (const file of ['train.npz', 'test.npz', 'generalizing.safetensors', 'memorizing.safetensors']) files[file] = join(EXAMPLE, file);
    workbench = await openWorkbench({ name: 'flatness-e2e-actions', files, readyWhenExplorerShows: 'truncated.safetensors' });
    page = workbench.page;
    workspace = workbench.workspace;
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await workbench?.close('e2e-actions-final.png');
    if (hostileFolder) rmSync(hostileFolder, { recursive: true, force: true });
  });

  const explorerRow = (name: string) => page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  const dataQuestion = () => page.locator('.quick-input-widget:visible .quick-input-title', { hasText: /^(Training|Test) data for / }).first();
  /** Takes the first candidate (train.npz, then test.npz beside it) of each data question while one shows. */
  const answerDataQuestions = async (): Promise<void> => {
    for (;;) {
      const title = dataQuestion();
      if (!(await title.waitFor({ timeout: 5_000 }).then(() => true, () => false))) return;
      const text = (await title.textContent()) ?? '';
      await acceptQuickPick(page, /^(Training|Test) data for /, /^(train|test)\.npz/);
      // Gone before the next question is looked for (Enter twice on one question would skip the next).
      await page.waitForFunction((t) => ![...document.querySelectorAll<HTMLElement>('.quick-input-widget')].some((w) => w.style.display !== 'none' && w.querySelector('.quick-input-title')?.textContent === t), text, { timeout: 10_000 });
    }
  };

  it('Choose Training Data... is remembered: the analysis that follows asks for nothing', async () => {
    await explorerMenu(page, explorerRow(MODEL), 'Choose Training Data...', () => acceptQuickPick(page, /^Training data for memorizing\.safetensors/, /train\.npz/, 20_000));
    await acceptQuickPick(page, /^Test data for memorizing\.safetensors/, /test\.npz/);
    await page.locator('.quick-input-widget').first().waitFor({ state: 'hidden', timeout: 30_000 });
    // No report existed, so choosing only remembers. Analyze Model... now goes straight to the report:
    // a question would block the analysis and the report would never show.
    await explorerMenu(page, explorerRow(MODEL), 'Analyze Model...', () => findFrame(page, 'body[data-view]', 20_000));
    const frame = await reportFrame(page);
    verdict = (await frame.locator('[data-testid="verdict"]').first().textContent()) ?? '';
    assert.match(verdict, /R = \d/);
    assert.match((await frame.locator('[data-testid="training-data"]').first().textContent()) ?? '', /^train\.npz\b/);
    assert.equal(await page.locator('.quick-input-widget:visible').count(), 0, 'no quick pick is open');
  });

  it('exports the report as JSON, HTML, Markdown, CSV and PNG: the written files exist and parse', async () => {
    const stem = 'memorizing.flatness';
    for (const [label, file] of [['JSON', `${stem}.json`], ['HTML', `${stem}.html`], ['Markdown', `${stem}.md`], ['CSV', `${stem}.csv`]] as const) {
      const frame = await reportFrame(page, 60_000);
      await clickUntil(frame, label, () => acceptSaveDialog(page, file, 15_000));
      await waitUntil(`${file} to be written`, () => existsSync(join(workspace, file)), 30_000);
    }
    const json = readJson(join(workspace, `${stem}.json`)) as { verdict: { headline: string }; test?: { loss: number }; neurons?: unknown[]; model: { path: string } };
    assert.equal(json.verdict.headline, verdict, 'the JSON is the report shown');
    assert.ok(json.test && Number.isFinite(json.test.loss), 'the remembered test data was used');
    const html = readFileSync(join(workspace, `${stem}.html`), 'utf8');
    assert.match(html, /^<!doctype html>/i);
    assert.ok(html.includes(verdict), 'the HTML page carries the verdict');
    assert.match(html, /<svg\b/, 'with its charts');
    assert.ok(readFileSync(join(workspace, `${stem}.md`), 'utf8').includes(verdict), 'the Markdown carries the verdict');
    const csv = readFileSync(join(workspace, `${stem}.csv`), 'utf8').trim().split(/\r?\n/);
    assert.match(csv[0]!, /^neuron,a_block,b_block,c_block,normalized/);
    assert.equal(csv.length, 1 + 64, 'one row per hidden neuron');
    assert.ok(csv.slice(1).every((row) => row.split(',').length === csv[0]!.split(',').length), 'every row has every column');

    const before = new Set(readdirSync(workspace));
    const frame = await reportFrame(page, 60_000);
    await clickUntil(frame, 'PNG', () => acceptSaveDialog(page, `${stem}.png`, 15_000));
    const pngs = (): string[] => readdirSync(workspace).filter((f) => !before.has(f) && /^memorizing\.flatness-.+\.png$/.test(f));
    await waitUntil('the chart images to be written', () => pngs().length > 0, 30_000);
    // One image per chart; all of them are written before the "exported" notification.
    await page.locator('.notifications-toasts .notification-toast', { hasText: /exported memorizing\.flatness-/ }).first().waitFor({ timeout: 30_000 });
    assert.ok(pngs().length >= 2, `one PNG per chart: ${pngs().join(', ')}`);
    for (const file of pngs()) assert.ok(isPng(join(workspace, file)), `${file} is a PNG with a size`);
  });

  it('a setting change takes effect: the optional sections turned on appear in the next report', async () => {
    assert.equal(await (await reportFrame(page, 60_000)).locator('[data-section-key="spectrum"]').count(), 0, 'no spectrum by default');
    // The theme changes in the same save: once the workbench shows it, the settings were applied.
    await setTheme(workbench, 'light', { 'flatnessLens.sections.spectrum': true, 'flatnessLens.sections.sharpness': true, 'flatnessLens.sections.landscape': true });
    await showTab(page, 'Flatness: memorizing.safetensors');
    const before = await reportFrame(page, 60_000);
    await clickUntil(before, 'Re-analyze', () => findFrame(page, '[data-testid="rerun-banner"], body[data-view="report"] [data-section-key="spectrum"]', 30_000));
    const frame = await findFrame(page, 'body[data-view="report"] [data-section-key="landscape"]', 180_000);
    for (const key of ['spectrum', 'sharpness', 'landscape']) {
      assert.equal(await frame.locator(`[data-section-key="${key}"]`).count(), 1, `the ${key} section is drawn`);
      assert.equal(await frame.locator(`[data-section-key="${key}"][data-unrendered]`).count(), 0, `the ${key} section has its renderer`);
    }
    assert.equal(await frame.locator('[data-testid="verdict"]').first().textContent(), verdict, 'the same verdict');
    await setTheme(workbench, 'dark');
  });

  it('Predict generalization adds the prediction, with its interval, and the flattest interpolator found', async () => {
    const frame = await reportFrame(page, 60_000);
    await clickUntil(frame, 'Predict generalization', () => findFrame(page, '[data-testid="rerun-banner"][data-status="running"]', 30_000));
    const predicted = await findFrame(page, 'body[data-view="report"] [data-testid="prediction-verdict"]', 300_000);
    const text = (await predicted.locator('[data-testid="prediction"]').first().textContent()) ?? '';
    assert.match(text, /\d/, 'a predicted test loss');
    assert.match(text, /interval/i, 'with its interval');
    assert.equal(await predicted.locator('[data-testid="flattest"]').count(), 1, 'the flattest interpolator section');
    assert.equal(await predicted.locator('[data-section-key="spectrum"]').count(), 1, 'the sections setting still holds');
  });

  it('a hostile model file: the error names the file and the problem, and the host keeps working', async () => {
    // The file has no data yet: the training data question comes first, then the test data.
    await explorerMenu(page, explorerRow('truncated.safetensors'), 'Analyze Model...', () => dataQuestion().waitFor({ timeout: 20_000 }));
    await answerDataQuestions();
    const frame = await findFrame(page, '[role="alert"] [data-testid="error-message"]', 120_000, /truncated/);
    const message = (await frame.locator('[data-testid="error-message"]').first().textContent()) ?? '';
    assert.match(message, /data_offsets .* run past the end of the file/, message);
    assert.match((await frame.locator('[role="alert"]').first().textContent()) ?? '', /truncated\.safetensors/, 'the file is named');
    await page.screenshot({ path: join(ARTIFACTS, 'e2e-hostile-model.png') });
    // The host survived: the memorizing report is still there and answers.
    await showTab(page, 'Flatness: memorizing.safetensors');
    const report = await reportFrame(page, 60_000);
    assert.equal(await report.locator('[data-testid="verdict"]').first().textContent(), verdict);
  });

  it('Compare Models... on two selected files ranks them with test loss and Kendall tau, and exports HTML, Markdown, CSV and JSON', async () => {
    await runCommand(page, 'View: Show Explorer');
    // generalizing.safetensors has no data yet: its training and test data are asked for (the first model's).
    await explorerMenu(page, explorerRow(MODEL), 'Compare Models...', () => Promise.any([dataQuestion().waitFor({ timeout: 20_000 }), findFrame(page, 'body[data-view="ranking"], body[data-view="progress"]', 20_000)]), async () => {
      await explorerRow('generalizing.safetensors').click();
      await explorerRow(MODEL).click({ modifiers: ['Control'] });
    });
    await answerDataQuestions();
    const frame = await findFrame(page, RANKING, 300_000);
    const models = await frame.locator('[data-testid="ranking-model"]').allTextContents();
    assert.deepEqual([...models].sort(), ['generalizing.safetensors', 'memorizing.safetensors']);
    assert.equal(await frame.locator('[data-testid="measured-test-loss"]').count(), 2, 'a measured test loss per model');
    assert.equal(await frame.locator('[data-testid="kendall"]').count(), 1, 'Kendall tau against the measured loss');
    for (const [label, file] of [['HTML', 'comparison.flatness.html'], ['Markdown', 'comparison.flatness.md'], ['CSV', 'comparison.flatness.csv'], ['JSON', 'comparison.flatness.json']] as const) {
      const ranking = await findFrame(page, RANKING, 60_000);
      await clickUntil(ranking, label, () => acceptSaveDialog(page, file, 15_000));
      await waitUntil(`${file} to be written`, () => existsSync(join(workspace, file)), 30_000);
    }
    const comparison = readJson(join(workspace, 'comparison.flatness.json')) as { models: { path: string }[] };
    assert.equal(comparison.models.length, 2);
    assert.match(readFileSync(join(workspace, 'comparison.flatness.html'), 'utf8'), /^<!doctype html>/i);
    const markdown = readFileSync(join(workspace, 'comparison.flatness.md'), 'utf8');
    assert.ok(markdown.includes('generalizing.safetensors') && markdown.includes('memorizing.safetensors'));
    const csv = readFileSync(join(workspace, 'comparison.flatness.csv'), 'utf8').trim().split(/\r?\n/);
    assert.match(csv[0]!, /^rank,model,interpolates,predicted_test_loss/);
    assert.equal(csv.length, 3, 'a header and a row per model');
    const measured = csv[0]!.split(',').indexOf('measured_test_loss');
    assert.ok(csv.slice(1).every((row) => Number.isFinite(Number(row.split(',')[measured]))), 'the measured test loss is in the CSV');
  });

  it('every view in the light, dark and high-contrast themes (the documentation screenshots)', async () => {
    await runCommand(page, 'View: Show Explorer');
    await explorerRow('generalizing.safetensors').dblclick();
    await findFrame(page, '.summary-view [data-testid="architecture"]', 120_000);
    // Room for the tallest section inside the webview (an element screenshot is cut by the
    // viewport), no side bar narrowing the tables, and no notification over the views.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'View: Close Primary Side Bar');
    await page.setViewportSize({ width: 1400, height: 2600 });
    const shots: string[] = [];
    for (const theme of ['light', 'high-contrast', 'dark'] as ThemeName[]) {
      await setTheme(workbench, theme);
      const themed = (selector: string) => `body.${webviewThemeClass(theme)} ${selector}`;
      /** An element of the webview showing `inFrame`; the webview may render again (theme, restore) mid-shot: find it again. */
      const shoot = async (inFrame: string, selector: string, name: string): Promise<void> => {
        const file = join(SCREENSHOTS, `${name}-${theme}.png`);
        for (let attempt = 1; ; attempt++) {
          const frame = await findFrame(page, themed(inFrame), 60_000);
          try {
            await frame.locator(selector).first().screenshot({ path: file, timeout: 15_000 });
            break;
          } catch (error) {
            if (attempt >= 4) throw error;
          }
        }
        shots.push(file);
      };

      await showTab(page, 'Flatness: memorizing.safetensors');
      const report = '[data-testid="prediction-verdict"]';
      await shoot(report, '.report > header', 'report-verdict');
      for (const key of ['spectrum', 'sharpness', 'landscape']) await shoot(report, `[data-section-key="${key}"]`, `section-${key}`);
      await shoot(report, '[aria-labelledby="orbit-title"]', 'section-orbit');
      await shoot(report, '[aria-labelledby="neurons-title"]', 'section-neurons');
      await shoot(report, '[data-testid="prediction"]', 'section-prediction');
      await shoot(report, '[data-testid="flattest"]', 'section-flattest');

      await showTab(page, 'Flatness: 2 models ranked');
      await shoot('[data-testid="ranking-table"]', 'article', 'comparison');

      await showTab(page, 'generalizing.safetensors');
      await shoot('.summary-view [data-testid="architecture"]', '.summary-view', 'model-view');
    }
    assert.equal(shots.length, 3 * 10);
    assert.ok(shots.every(isPng));
  });
});
