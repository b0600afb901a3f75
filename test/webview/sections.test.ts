/**
 * Every section of a report has a renderer (checked against the report schema), the curvature
 * sections draw what they claim on real engine output, no raw array is dumped anywhere, and all
 * text reaches a 4.5:1 contrast in the light, dark and high-contrast themes (computed colours).
 * With FLATNESS_SCREENSHOTS set, the screenshots of every section, the comparison and the model view
 * in the three themes are written to test-artifacts/screenshots/webview/ (the documentation's come
 * from the code-server end-to-end test, test/e2e/actions.e2e.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { WireError } from '../../src/shared/protocol';
import type { ComparisonReport, Report } from '../../src/shared/report';
import { formatNumber } from '../../src/shared/format';
import { CORE_KEYS, renderableKeys, SECTIONS } from '../../webview/sections';
import { buildWebview, openPage, paintedPixels, ROOT, show, startHarness, type Harness, type ThemeName } from './harness';
import { contrastFailures } from './contrast';
import { describeModelFile, DATA_FILE_MARK } from '../../src/engine/model/describeFile';
import { isFlatnessLensError } from '../../src/engine/errors';
import { makeSamples, type Sample } from './sampleReports';

const THEME_NAMES: ThemeName[] = ['light', 'dark', 'high-contrast'];
/** FLATNESS_SCREENSHOTS set: screenshots of this harness to test-artifacts/; unset: none (faster). */
const SHOTS = process.env.FLATNESS_SCREENSHOTS ? join(ROOT, 'test-artifacts', 'screenshots', 'webview') : null;

const fixture = <T>(name: string): T => JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', name), 'utf8')) as T;
const curvatureReport = (): Report => fixture<Report>('curvature-report.json');
const predictionReport = (): Report => fixture<Report>('prediction-report.json');
const comparisonReport = (): ComparisonReport => fixture<ComparisonReport>('comparison-report.json');
const context = (name: string) => ({ modelUri: `file:///work/${name}`, modelLabel: `multi-index/${name}`, dataLabel: 'multi-index/train.npz (test: multi-index/test.npz)', dataSource: 'sidecar' as const });


async function chartPoints(page: Page, chart: string): Promise<number | null> {
  const canvas = page.locator(`canvas[data-chart="${chart}"]`);
  if ((await canvas.count()) === 0) return null;
  return Number(await canvas.getAttribute('data-points'));
}


/** Text that looks like a dumped array: eight or more numbers in a comma-separated run. */
async function rawArrays(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const element of Array.from(document.querySelectorAll('#app *'))) {
      const own = Array.from(element.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('');
      if (/(-?\d[\d.e+-]*\s*,\s*){7,}-?\d/.test(own) || /^\s*\[.*\]\s*$/s.test(own) && own.length > 60) found.push(own.slice(0, 80));
    }
    return found;
  });
}

const EXAMPLE = join(ROOT, 'examples', 'multi-index');
const exampleData = { trainingLabel: 'multi-index/train.npz', testLabel: 'multi-index/test.npz', source: 'example' as const };

describe('report sections in chromium', () => {
  let harness: Harness;
  let samples: Sample[];

  before(async () => {
    buildWebview();
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    samples = await makeSamples();
    harness = await startHarness();
  });

  after(async () => {
    await harness?.close();
  });

  it('has a renderer for every key of the report schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'report.schema.json'), 'utf8')) as { properties?: Record<string, unknown>; definitions?: { Report?: { properties?: Record<string, unknown> } } };
    const keys = Object.keys(schema.definitions?.Report?.properties ?? schema.properties ?? {});
    assert.ok(keys.length >= 19, `the schema lists the report's keys (${keys.length})`);
    const missing = keys.filter((key) => !renderableKeys().includes(key));
    assert.deepEqual(missing, [], `report keys without a webview renderer: ${missing.join(', ')}`);
    assert.equal(new Set(SECTIONS.map((s) => s.key)).size, SECTIONS.length, 'one renderer per section');
    assert.ok(SECTIONS.every((s) => !CORE_KEYS.includes(s.key)), 'no key is drawn twice');
  });

  it('draws the spectrum, density, sharpness, 1D and 2D landscapes of a real report, raw and canonical', async () => {
    const report = curvatureReport();
    const { page, problems } = await openPage(harness, 'dark');
    await show(page, { kind: 'report', report, context: context('memorizing.safetensors') });
    for (const key of ['spectrum', 'sharpness', 'landscape', 'canonical']) {
      assert.equal(await page.locator(`[data-section-key="${key}"]`).count(), 1, `${key} section`);
      assert.match(await page.locator(`[data-section-key="${key}"] .tells`).textContent() ?? '', /^ What this tells you: \S/, `${key}: one line on what it tells`);
    }
    const eigenvalues = report.spectrum!.top.length + report.spectrum!.bottom.length;
    assert.equal(await chartPoints(page, 'spectrum'), 2 * eigenvalues, 'raw and canonical eigenvalues on one |lambda| axis');
    assert.equal(await page.locator('.eigen-table tbody tr').count(), eigenvalues);
    assert.equal(await chartPoints(page, 'density'), report.spectrum!.density.grid.length + report.canonical!.spectrum!.density.grid.length);
    const scale = await page.evaluate(() => {
      const canvas = document.querySelector('canvas[data-chart="spectrum"]') as HTMLCanvasElement & { $chartjs?: unknown };
      return canvas.getAttribute('aria-label');
    });
    assert.match(scale ?? '', /largest 171\.6/);
    assert.equal(await page.locator('[data-testid="sharpness-table"] tbody tr').count(), report.sharpness!.adaptive.length);
    assert.equal(await page.textContent('[data-testid="sharpness-table"] tbody tr:first-child td'), formatNumber(report.sharpness!.adaptive[0]!.lossIncrease));
    assert.match(await page.textContent('[data-section-key="sharpness"] .definition') ?? '', /elementwise-scaled ball/);
    const curves = report.landscape!.oneD.filter((c) => c.direction !== 'orbit');
    assert.equal(await chartPoints(page, 'landscape'), 2 * curves.reduce((sum, c) => sum + c.loss.length, 0), 'random and eigenvector curves, raw and canonical');
    assert.equal(await chartPoints(page, 'orbit-loss'), 2 * report.landscape!.oneD.find((c) => c.direction === 'orbit')!.loss.length);
    const surface = report.landscape!.twoD!;
    assert.equal(await chartPoints(page, 'surface-raw'), surface.x.length * surface.y.length, 'one heat-map cell per grid point');
    assert.equal(await chartPoints(page, 'surface-canonical'), surface.x.length * surface.y.length);
    for (const chart of ['spectrum', 'density', 'landscape', 'orbit-loss', 'surface-raw']) assert.ok(await paintedPixels(page, chart) > 2000, `${chart} drawn`);
    // The heat map has its colour scale: distinct colours from bottom to top of the bar.
    assert.deepEqual(await rawArrays(page), [], 'no raw arrays');
    assert.equal(await page.locator('[data-unrendered]').count(), 0);
    assert.deepEqual(await problems.csp(), []);
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  it('names a section it cannot show instead of dumping it', async () => {
    const report = { ...curvatureReport(), trajectoryOfTheFuture: { values: Array.from({ length: 50 }, (_, i) => i) } } as unknown as Report;
    const { page, problems } = await openPage(harness, 'dark');
    await show(page, { kind: 'report', report, context: context('memorizing.safetensors') });
    assert.match(await page.textContent('[data-section-key="trajectoryOfTheFuture"]') ?? '', /cannot show the "trajectoryOfTheFuture" section of this report; it is in the JSON export/);
    assert.deepEqual(await rawArrays(page), []);
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  it('exports charts as opaque PNGs in the theme\'s background colour', async () => {
    const { page } = await openPage(harness, 'light');
    await show(page, { kind: 'report', report: curvatureReport(), context: context('memorizing.safetensors') });
    await page.evaluate(() => window.postMessage({ type: 'captureCharts', requestId: 3 }, '*'));
    await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'chartImages'));
    const corners = await page.evaluate(async () => {
      const message = (window as unknown as { __posted: { type: string; images?: { name: string; dataUrl: string }[] }[] }).__posted.find((m) => m.type === 'chartImages')!;
      const result: { name: string; corner: number[] }[] = [];
      for (const image of message.images!) {
        const element = new Image();
        element.src = image.dataUrl;
        await element.decode();
        const canvas = document.createElement('canvas');
        canvas.width = element.width;
        canvas.height = element.height;
        const g = canvas.getContext('2d')!;
        g.drawImage(element, 0, 0);
        result.push({ name: image.name, corner: Array.from(g.getImageData(0, 0, 1, 1).data) });
      }
      return result;
    });
    assert.ok(corners.length >= 7, `every chart exported (${corners.map((c) => c.name).join(', ')})`);
    for (const { name, corner } of corners) assert.deepEqual(corner, [255, 255, 255, 255], `${name}: opaque white corner in the light theme`);
    await page.close();
  });

  it('marks a model that does not interpolate and keeps it off the calibration', async () => {
    const comparison = comparisonReport();
    comparison.models[1] = { ...comparison.models[1]!, interpolates: false };
    const models = comparison.models.map((row) => ({ path: row.path, modelUri: `file:///work/${row.path}`, modelLabel: row.path.split('/').pop()! }));
    const { page, problems } = await openPage(harness, 'light');
    await show(page, { kind: 'ranking', comparison, models, dataLabel: 'train.npz (test: test.npz)' });
    assert.match(await page.textContent('[data-testid="off-fit"]') ?? '', /^ memorizing\.safetensors does not interpolate the training data: .* not placed on the calibration\.$/);
    assert.deepEqual(await page.locator('[data-testid="ranking-interpolates"]').allTextContents(), ['yes', ' no: off the calibration']);
    const references = comparison.calibration!.points.filter((p) => p.ratio > 0 && p.heldOutLoss > 0).length;
    assert.equal(await chartPoints(page, 'ranking'), references + 2, 'only the interpolating model, predicted and measured');
    const legend = await page.evaluate(() => {
      const canvas = document.querySelector('canvas[data-chart="ranking"]') as HTMLCanvasElement;
      return canvas.getAttribute('aria-label');
    });
    assert.match(legend ?? '', /with generalizing\.safetensors at their predicted and measured test loss/);
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  it('shows a model with its architecture, tensors (shape, dtype, statistics), norm histogram, activation source and data', async () => {
    const summary = await describeModelFile(join(EXAMPLE, 'memorizing.safetensors'));
    const { page, problems } = await openPage(harness, 'dark');
    await show(page, { kind: 'summary', summary, error: null, modelUri: 'file:///work/examples/multi-index/memorizing.safetensors', data: exampleData });
    assert.equal(await page.textContent('[data-testid="architecture"] strong'), '10-64(relu)-1');
    assert.equal(await page.textContent('[data-testid="activation"]'), 'relu, read from the file');
    const rows = await page.locator('[data-testid="tensor-table"] tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.children).slice(0, 4).map((c) => c.textContent)));
    assert.deepEqual(rows, [['hidden weights', '0.weight', '[64, 10]', 'F64'], ['output weights', '2.weight', '[1, 64]', 'F64']]);
    const norm = Math.hypot(...summary.statistics!.neurons.outputNorm);
    assert.equal(await page.textContent('[data-testid="tensor-table"] tbody tr:nth-child(2) td:last-child'), formatNumber(norm), 'the output layer norm is the norm of the a_j');
    assert.equal(await chartPoints(page, 'weight-norms'), 2 * 64, 'both norms of every neuron in the histogram');
    assert.ok(await paintedPixels(page, 'weight-norms') > 1000);
    assert.match(await page.textContent('[data-testid="associated-data"]') ?? '', /multi-index\/train\.npz \(bundled example\).*multi-index\/test\.npz/);
    assert.equal(await page.getAttribute('[data-testid="analyze-button"]', 'disabled'), null, 'Analyze is enabled for a model');
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  it('names a data file as data and an unreadable file with its reason, Analyze disabled in both', async () => {
    const wire = async (path: string): Promise<WireError> => {
      try {
        await describeModelFile(path);
      } catch (error) {
        assert.ok(isFlatnessLensError(error));
        return { code: error.code, message: error.message, ...(error.file ? { file: error.file } : {}) };
      }
      throw new Error(`${path} was read as a model`);
    };
    const dataError = await wire(join(EXAMPLE, 'train.npz'));
    assert.equal(dataError.code, 'unsupported');
    assert.match(dataError.message, new RegExp(`${DATA_FILE_MARK}: 200 samples of 10 inputs`));
    const { page, problems } = await openPage(harness, 'light');
    await show(page, { kind: 'summary', summary: null, error: dataError, modelUri: 'file:///work/examples/multi-index/train.npz', data: null });
    assert.match(await page.textContent('[data-testid="data-file"]') ?? '', /This is a data file\. It holds data, not a model: 200 samples/);
    assert.equal(await page.locator('[data-testid="unsupported"]').count(), 0, 'no error for a data file');
    assert.notEqual(await page.getAttribute('[data-testid="analyze-button"]', 'disabled'), null, 'Analyze is disabled');
    const readme = await wire(join(ROOT, 'README.md'));
    await show(page, { kind: 'summary', summary: null, error: readme, modelUri: 'file:///work/README.md', data: null });
    assert.match(await page.textContent('[data-testid="unsupported"]') ?? '', /README\.md/);
    assert.notEqual(await page.getAttribute('[data-testid="analyze-button"]', 'disabled'), null, 'Analyze is disabled');
    assert.deepEqual(problems.console, []);
    await page.close();
  });

  for (const theme of THEME_NAMES) {
    it(`keeps every text at 4.5:1 contrast or more in the ${theme} theme (report, sections, prediction, comparison, model view, error)`, async () => {
      const { page, problems } = await openPage(harness, theme);
      const failures: string[] = [];
      const check = async (label: string): Promise<void> => {
        for (const failure of await contrastFailures(page)) failures.push(`${label}: ${failure.element} "${failure.text}" ${failure.ratio}:1 (${failure.foreground} on ${failure.background})`);
      };
      const shot = async (selector: string, name: string): Promise<void> => {
        if (SHOTS) await page.locator(selector).first().screenshot({ path: join(SHOTS, `${name}-${theme}.png`) });
      };
      const curvature = curvatureReport();
      await show(page, { kind: 'report', report: curvature, context: context('memorizing.safetensors') });
      await check('curvature report');
      if (SHOTS) {
        const header = await page.locator('.report > header').boundingBox();
        const cards = await page.locator('.report > .cards').boundingBox();
        await page.screenshot({ path: join(SHOTS, `report-verdict-${theme}.png`), clip: { x: 0, y: header!.y, width: 1100, height: cards!.y + cards!.height - header!.y + 8 } });
      }
      await page.setViewportSize({ width: 900, height: 900 });
      await show(page, { kind: 'report', report: curvature, context: context('memorizing.safetensors') });
      for (const key of ['spectrum', 'sharpness', 'landscape']) await shot(`[data-section-key="${key}"]`, `section-${key}`);
      await shot('[aria-labelledby="orbit-title"]', 'section-orbit');
      await shot('[aria-labelledby="neurons-title"]', 'section-neurons');
      const prediction = predictionReport();
      await show(page, { kind: 'report', report: prediction, context: context('generalizing.safetensors') });
      await check('prediction report');
      await shot('[data-section-key="prediction"]', 'section-prediction');
      await shot('[data-section-key="flattest"]', 'section-flattest');
      for (const sample of samples) {
        await show(page, sample.report ? { kind: 'report', report: sample.report, context: sample.context } : { kind: 'error', error: sample.error!, context: sample.context });
        await check(sample.name);
      }
      await show(page, { kind: 'comparison', reports: samples.filter((x) => x.report).map((x) => ({ report: x.report!, context: x.context })) });
      await check('example comparison');
      const comparison = comparisonReport();
      await show(page, { kind: 'ranking', comparison, models: comparison.models.map((row) => ({ path: row.path, modelUri: `file:///work/${row.path}`, modelLabel: row.path })), dataLabel: 'multi-index/train.npz (test: multi-index/test.npz)' });
      await check('comparison');
      await shot('.ranking-view', 'comparison');
      await show(page, { kind: 'summary', summary: await describeModelFile(join(EXAMPLE, 'generalizing.safetensors')), error: null, modelUri: 'file:///work/examples/multi-index/generalizing.safetensors', data: exampleData });
      await check('model view');
      await shot('.summary-view', 'model-view');
      assert.deepEqual(failures, [], `text below 4.5:1 in the ${theme} theme`);
      // The check can fail: a line in the light theme's "passed" green (1.9:1 on white) is caught.
      await page.evaluate((colour) => {
        const probe = document.createElement('p');
        probe.textContent = 'contrast probe';
        probe.style.color = colour;
        document.getElementById('app')!.appendChild(probe);
      }, theme === 'light' ? '#73c991' : theme === 'dark' ? '#333333' : '#444444');
      assert.deepEqual((await contrastFailures(page)).map((f) => f.text), ['contrast probe']);
      assert.deepEqual(await problems.csp(), []);
      assert.deepEqual(problems.console, []);
      await page.close();
    });
  }
});
