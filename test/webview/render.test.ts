/**
 * The report webview in a real browser (Debian's chromium via playwright-core), under the
 * exact CSP of the extension: what a user sees for each report state, in three themes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ViewState } from '../../src/shared/protocol';
import type { ComparisonReport, Report } from '../../src/shared/report';
import { buildWebview, openPage, paintedPixels, rememberState, ROOT, show, startHarness, type Harness, type ThemeName } from './harness';
import { makeSamples, type Sample } from './sampleReports';
import { formatNumber } from '../../src/shared/format';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const THEME_NAMES: ThemeName[] = ['light', 'dark', 'high-contrast'];

function stateOf(sample: Sample): ViewState {
  return sample.report
    ? { kind: 'report', report: sample.report, context: sample.context }
    : { kind: 'error', error: sample.error!, context: sample.context };
}



async function chartPoints(page: Page, chart: string): Promise<number | null> {
  const canvas = page.locator(`canvas[data-chart="${chart}"]`);
  if ((await canvas.count()) === 0) return null;
  const value = await canvas.getAttribute('data-points');
  return value === null ? null : Number(value);
}

describe('report webview in chromium', () => {
  let harness: Harness;
  let samples: Sample[];

  before(async () => {
    buildWebview();
    mkdirSync(ARTIFACTS, { recursive: true });
    samples = await makeSamples();
    harness = await startHarness();
  });

  after(async () => {
    await harness?.close();
  });

  for (const theme of THEME_NAMES) {
    it(`renders every report state in the ${theme} theme without console errors or CSP violations`, async () => {
      const { page, problems } = await openPage(harness, theme);
      for (const sample of samples) {
        await show(page, stateOf(sample));
        const verdict = await page.textContent('[data-testid="verdict"]');
        if (sample.report) {
          const report = sample.report;
          assert.equal(verdict, report.verdict.headline, `${sample.name}: verdict`);
          assert.equal(await page.textContent('[data-testid="metric-trace"]'), formatLike(report.flatness.trace));
          assert.equal(await chartPoints(page, 'neurons'), report.flatness.perNeuron.length, `${sample.name}: one bar per neuron`);
          assert.ok(await paintedPixels(page, 'neurons') > 500, `${sample.name}: neuron chart drawn`);
          const tableRows = await page.locator('.neuron-table tbody tr').count();
          assert.equal(tableRows, Math.min(100, report.flatness.perNeuron.length));
          if (report.flatness.orbit.length > 0) {
            assert.equal(await chartPoints(page, 'orbit'), report.flatness.orbit.length, `${sample.name}: orbit points`);
            assert.ok(await paintedPixels(page, 'orbit') > 500, `${sample.name}: orbit chart drawn`);
          } else {
            assert.equal(await chartPoints(page, 'orbit'), null, `${sample.name}: no orbit chart without an orbit`);
          }
        } else {
          assert.equal(verdict, 'The analysis failed');
          assert.equal(await page.textContent('[data-testid="error-message"]'), sample.error!.message);
        }
        await page.screenshot({ path: join(ARTIFACTS, `webview-${sample.name}-${theme}.png`), fullPage: true });
      }
      assert.deepEqual(await problems.csp(), [], 'CSP violations');
      assert.deepEqual(problems.console, [], 'console errors');
      await page.close();
    });
  }

  it('states what each state means: flat, not interpolating, not homogeneous', async () => {
    const { page, problems } = await openPage(harness, 'dark');
    const byName = Object.fromEntries(samples.map((s) => [s.name, s]));
    await show(page, stateOf(byName.healthy!));
    assert.equal(byName.healthy!.report!.verdict.level, 'flat');
    assert.match(await page.textContent('[data-testid="metric-ratio"]') ?? '', /^1\.\d+$/);
    assert.equal(await page.textContent('[data-testid="metric-interpolation"]'), 'interpolates');

    await show(page, stateOf(byName['non-interpolating']!));
    assert.equal(await page.textContent('[data-testid="metric-interpolation"]'), 'does not interpolate');
    assert.match(await page.textContent('.warnings') ?? '', /does not interpolate/);

    await show(page, stateOf(byName['non-homogeneous']!));
    assert.equal(await page.textContent('[data-testid="metric-normalized"]'), 'not defined');
    assert.equal(await page.textContent('[data-testid="metric-ratio"]'), 'not defined');
    assert.match(await page.textContent('.card.undefined .card-hint') ?? '', /^tanh is not positively homogeneous/, 'the reason is shown with it');
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  it('sorts the per-neuron table from the keyboard and keeps the chart in step', async () => {
    const { page } = await openPage(harness, 'light');
    const healthy = samples.find((s) => s.name === 'healthy')!;
    await show(page, stateOf(healthy));
    const firstColumn = () => page.locator('.neuron-table tbody tr td:first-child').allTextContents();
    assert.deepEqual((await firstColumn()).map(Number), healthy.report!.flatness.perNeuron.map((r) => r.index));
    // Tab through the page until the "Normalized" sort button has focus, then press Enter.
    let focused = '';
    for (let i = 0; i < 40 && focused !== 'Normalized'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => (document.activeElement?.classList.contains('sort-button') ? document.activeElement.textContent ?? '' : ''));
    }
    assert.equal(focused, 'Normalized', 'the sort buttons are reachable with Tab');
    await page.keyboard.press('Enter');
    const expected = [...healthy.report!.flatness.perNeuron].sort((a, b) => (b.normalized ?? 0) - (a.normalized ?? 0)).map((r) => r.index);
    assert.deepEqual((await firstColumn()).map(Number), expected);
    assert.equal(await page.getAttribute('th[aria-sort="ascending"] .sort-button, th[aria-sort="descending"] .sort-button', 'class'), 'sort-button');
    assert.equal(await chartPoints(page, 'neurons'), healthy.report!.flatness.perNeuron.length);
    await page.close();
  });

  it('persists the report with setState and restores it after a reload without the host', async () => {
    const healthy = samples.find((s) => s.name === 'healthy')!;
    const first = await openPage(harness, 'dark');
    await show(first.page, stateOf(healthy));
    const saved = await first.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
    assert.deepEqual((saved as { state: ViewState }).state.kind, 'report');
    await first.page.close();

    rememberState('reload', saved);
    const second = await openPage(harness, 'dark', 'reload');
    assert.equal(await second.page.textContent('[data-testid="verdict"]'), healthy.report!.verdict.headline);
    assert.equal(await chartPoints(second.page, 'orbit'), healthy.report!.flatness.orbit.length);
    await second.page.close();
  });

  it('answers captureCharts with one PNG per chart and sends export and data-change requests', async () => {
    const healthy = samples.find((s) => s.name === 'healthy')!;
    const { page } = await openPage(harness, 'dark');
    await show(page, stateOf(healthy));
    await page.evaluate(() => window.postMessage({ type: 'captureCharts', requestId: 7 }, '*'));
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'chartImages'));
    const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
    const images = posted.find((m) => (m as { type: string }).type === 'chartImages') as { requestId: number; images: { name: string; dataUrl: string }[] };
    assert.equal(images.requestId, 7);
    assert.deepEqual(images.images.map((i) => i.name).sort(), ['neurons', 'orbit']);
    for (const image of images.images) assert.ok(image.dataUrl.startsWith('data:image/png;base64,') && image.dataUrl.length > 1000);

    await page.getByText('Change training data…').click();
    await page.getByText('CSV', { exact: true }).click();
    await page.getByText('Predict generalization', { exact: true }).click();
    const after = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.map((m) => JSON.stringify(m)));
    assert.ok(after.includes(JSON.stringify({ type: 'predict', modelUri: healthy.context.modelUri })), 'a report without a prediction offers one');
    assert.ok(after.includes(JSON.stringify({ type: 'changeTrainingData', modelUri: healthy.context.modelUri })));
    assert.ok(after.includes(JSON.stringify({ type: 'export', format: 'csv' })));
    await page.close();
  });

  it('renders the comparison, progress and model-summary views under the same CSP', async () => {
    const reports = samples.filter((s) => s.report).slice(0, 2).map((s) => ({ report: s.report!, context: s.context }));
    const { page, problems } = await openPage(harness, 'dark');
    await show(page, { kind: 'comparison', reports });
    assert.deepEqual(await page.locator('[data-testid="comparison-verdict"]').allTextContents(), reports.map((r) => r.report.verdict.headline));
    assert.equal(await chartPoints(page, 'm0-orbit'), reports[0]!.report.flatness.orbit.length, 'the first (open) report draws its orbit');
    await page.screenshot({ path: join(ARTIFACTS, 'webview-comparison-dark.png'), fullPage: true });

    await show(page, { kind: 'progress', message: 'Analysing m.safetensors on train.npz', context: null });
    await page.evaluate(() => window.postMessage({ type: 'progress', stage: 'forward', fraction: 0.1 }, '*'));
    await page.evaluate(() => window.postMessage({ type: 'progress', stage: 'flatness', fraction: 0.42 }, '*'));
    await page.waitForFunction(() => document.getElementById('progress-stage')?.textContent === 'forward done · flatness · 42% overall');
    assert.equal(await page.evaluate(() => (document.getElementById('progress') as HTMLElement & { value: number }).value), 42, 'the bar shows the fraction of the whole run');
    await page.getByText('Cancel', { exact: true }).click();
    const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.map((m) => m.type));
    assert.ok(posted.includes('cancel'), 'Cancel in the webview asks the host to cancel');

    await show(page, { kind: 'summary', modelUri: 'file:///work/m.safetensors', error: null, summary: {
      path: '/work/m.safetensors', format: 'safetensors', inputDim: 10, hiddenDim: 64, outputDim: 1, parameters: 704, activation: 'relu', homogeneityDegree: 1,
      activationSource: 'file', hiddenBias: false, outputBias: false, outputLink: 'identity', tensorNames: ['0.weight', '2.weight'], notes: [] } });
    assert.equal(await page.textContent('[data-testid="architecture"] strong'), '10-64(relu)-1');
    assert.deepEqual(problems.console, []);
    assert.deepEqual(await problems.csp(), []);
    await page.close();
  });

  /** A real report with prediction and flattest (see fixtures/README.md for the command that made it). */
  const predictionReport = (): Report => JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'prediction-report.json'), 'utf8')) as Report;
  const predictionContext = { modelUri: 'file:///work/generalizing.safetensors', modelLabel: 'generalizing.safetensors', dataLabel: 'train.npz (test: test.npz)', dataSource: 'sidecar' as const };

  for (const theme of THEME_NAMES) {
    it(`renders the prediction and the flattest interpolator in the ${theme} theme, with the calibration scatter chart`, async () => {
      const report = predictionReport();
      const prediction = report.prediction!;
      const calibration = prediction.calibration!;
      const { page, problems } = await openPage(harness, theme);
      await show(page, { kind: 'report', report, context: predictionContext });
      assert.equal(await page.locator('[data-section="report.prediction"], [data-section="report.flattest"]').count(), 0, 'not rendered generically any more');
      assert.equal(await page.textContent('[data-testid="prediction-verdict"]'), prediction.verdict.headline);
      assert.equal(await page.textContent('[data-testid="prediction-explanation"]'), prediction.verdict.explanation);
      assert.equal(await page.textContent('[data-testid="prediction-loss"]'), formatLike(prediction.testLoss!));
      assert.equal(await page.textContent('[data-testid="prediction-interval"]'), `[${formatLike(prediction.interval![0])}, ${formatLike(prediction.interval![1])}]`);
      assert.equal(await page.textContent('[data-testid="prediction-measured"]'), formatLike(prediction.measuredTestLoss!));
      assert.equal(await page.locator('[data-testid="prediction-caveats"] li').count(), prediction.caveats.length);
      // One point per reference interpolator (all positive here) plus the model itself.
      const references = calibration.points.filter((p) => p.ratio > 0 && p.heldOutLoss > 0).length;
      assert.equal(references, calibration.points.length, 'the fixture has no zero-loss reference');
      assert.equal(await chartPoints(page, 'calibration'), references + 1);
      assert.ok(await paintedPixels(page, 'calibration') > 500, 'calibration chart drawn');
      assert.match(await page.getAttribute('canvas[data-chart="calibration"]', 'aria-label') ?? '', new RegExp(`${calibration.points.length} reference interpolators`));
      assert.equal(await page.getByText('Predict generalization', { exact: true }).count(), 0, 'no Predict button when the report has the prediction');
      assert.equal(await page.textContent('[data-testid="flattest-found"]'), formatLike(report.flattest!.normalized!));
      assert.equal(await page.textContent('[data-testid="flattest-ratio-bound"]'), formatLike(report.flattest!.ratioToLowerBound!));
      assert.equal(await page.textContent('[data-testid="flattest-ratio-found"]'), formatLike(report.flattest!.ratioToFound!));
      await page.locator('[data-testid="save-flattest"]').click();
      const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.map((m) => JSON.stringify(m)));
      assert.ok(posted.includes(JSON.stringify({ type: 'saveFlattest', modelUri: predictionContext.modelUri })), 'the button asks the host to save this model\'s network');
      await page.screenshot({ path: join(ARTIFACTS, `webview-prediction-${theme}.png`), fullPage: true });
      assert.deepEqual(await problems.csp(), [], 'CSP violations');
      assert.deepEqual(problems.console, [], 'console errors');
      await page.close();
    });
  }

  it('shows why there is no prediction, and no save button without a network', async () => {
    const report = predictionReport();
    report.prediction = { ...report.prediction!, available: false, reason: 'the flattest-interpolator theory needs a positively homogeneous activation', testLoss: null, interval: null, calibration: null };
    report.flattest = { ...report.flattest!, network: null };
    const { page, problems } = await openPage(harness, 'dark');
    await show(page, { kind: 'report', report, context: predictionContext });
    assert.match(await page.textContent('[data-testid="prediction-reason"]') ?? '', /^No prediction: the flattest-interpolator theory needs a positively homogeneous activation/);
    assert.equal(await chartPoints(page, 'calibration'), null, 'no chart without a calibration');
    assert.equal(await page.locator('[data-testid="save-flattest"]').count(), 0);
    assert.deepEqual(await problems.csp(), []);
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  it('renders a Compare Models ranking: table by predicted test loss, Kendall tau, the models on the calibration chart', async () => {
    const comparison = JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'comparison-report.json'), 'utf8')) as ComparisonReport;
    const models = comparison.models.map((row) => ({ path: row.path, modelUri: `file:///work/${row.path}`, modelLabel: row.path.split('/').pop()! }));
    const { page, problems } = await openPage(harness, 'dark');
    await show(page, { kind: 'ranking', comparison, models, dataLabel: 'train.npz (test: test.npz)' });
    assert.deepEqual(await page.locator('[data-testid="ranking-model"]').allTextContents(), ['generalizing.safetensors', 'memorizing.safetensors']);
    assert.deepEqual(await page.locator('[data-testid="measured-test-loss"]').allTextContents(), comparison.models.map((row) => formatNumber(row.testLoss)));
    await page.locator('[data-testid="ranking-model"]').nth(1).click();
    assert.deepEqual(await page.locator('[data-testid="comparison-verdict"]').allTextContents(), comparison.models.map((row) => row.verdict.headline));
    assert.equal(await page.locator('[data-testid="kendall-table"] tbody tr').count(), Object.keys(comparison.kendallTau!).length);
    const references = comparison.calibration!.points.filter((p) => p.ratio > 0 && p.heldOutLoss > 0).length;
    // Each model twice (predicted and measured), each in its own dataset (own colour, shape and legend name).
    assert.equal(await chartPoints(page, 'ranking'), references + 2 * comparison.models.length);
    assert.ok(await paintedPixels(page, 'ranking') > 500);
    for (const format of ['HTML', 'Markdown', 'CSV', 'JSON']) await page.getByText(format, { exact: true }).click();
    const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.map((m) => JSON.stringify(m)));
    for (const format of ['html', 'markdown', 'csv', 'json']) assert.ok(posted.includes(JSON.stringify({ type: 'export', format })), format);
    assert.ok(posted.includes(JSON.stringify({ type: 'openReport', modelUri: models[1]!.modelUri })), 'a name opens its report');
    assert.equal(await page.locator('[data-testid="off-fit"]').count(), 0, 'both examples interpolate');
    await page.screenshot({ path: join(ARTIFACTS, 'webview-ranking-dark.png'), fullPage: true });
    assert.deepEqual(await problems.csp(), []);
    assert.deepEqual(problems.console, []);
    await page.close();
  });
});

/** The one formatting module the webview, the CLI and the HTML page share. */
const formatLike = (value: number): string => formatNumber(value);
