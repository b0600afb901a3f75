/**
 * The Compare Models table at the width of an editor beside the side bar (issue 13): the bundled
 * comparison fits its box without scrolling at 1000 px; a wider one (many models, long
 * folder-qualified names, a narrow editor) scrolls inside its own box, never the page, with the
 * model names pinned on the left while the measures scroll under them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ComparisonReport } from '../../src/shared/report';
import type { RankedModel } from '../../src/shared/protocol';
import { buildWebview, openPage, ROOT, show, startHarness, type Harness } from './harness';

interface Layout {
  overflowX: string;
  tableWidth: number;
  boxWidth: number;
  boxScrollWidth: number;
  pageOverflow: number;
  /** After scrolling the box all the way right: each row's model cell and the box, in viewport x. */
  box: { left: number; right: number };
  modelCells: { left: number; right: number }[];
  lastHeader: { left: number; right: number };
}

function fixture(): ComparisonReport {
  return JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'comparison-report.json'), 'utf8')) as ComparisonReport;
}

function modelsOf(comparison: ComparisonReport, label: (path: string) => string): RankedModel[] {
  return comparison.models.map((row) => ({ path: row.path, modelUri: `file:///work/${row.path}`, modelLabel: label(row.path) }));
}

async function layoutAt(page: Page, width: number, comparison: ComparisonReport, models: RankedModel[]): Promise<Layout> {
  await page.setViewportSize({ width, height: 900 });
  await show(page, { kind: 'ranking', comparison, models, dataLabel: 'train.npz (test: test.npz)' });
  // tsx compiles named inner functions with an __name helper that the page does not have.
  await page.evaluate('globalThis.__name = globalThis.__name || ((f) => f)');
  return page.evaluate(() => {
    const table = document.querySelector('[data-testid="ranking-table"]') as HTMLElement;
    const box = table.parentElement as HTMLElement;
    const before = { overflowX: getComputedStyle(box).overflowX, tableWidth: table.scrollWidth, boxWidth: box.clientWidth, boxScrollWidth: box.scrollWidth };
    box.scrollLeft = box.scrollWidth;
    const rect = (element: Element) => {
      const r = element.getBoundingClientRect();
      return { left: r.left, right: r.right };
    };
    const headers = table.querySelectorAll('thead th');
    return {
      ...before,
      pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      box: rect(box),
      modelCells: [...table.querySelectorAll('tbody th[scope="row"]')].map(rect),
      lastHeader: rect(headers[headers.length - 1]!),
    };
  });
}

describe('Compare Models table layout in chromium', () => {
  let harness: Harness;

  before(async () => {
    buildWebview();
    harness = await startHarness();
  });

  after(async () => {
    await harness?.close();
  });

  it('fits a 1000 px editor without a sideways scroll (the bundled two-model comparison with test data)', async () => {
    const { page } = await openPage(harness, 'dark');
    const comparison = fixture();
    const layout = await layoutAt(page, 1000, comparison, modelsOf(comparison, (path) => path.split('/').pop()!));
    assert.ok(layout.tableWidth <= layout.boxWidth, `table ${layout.tableWidth} px in a ${layout.boxWidth} px box`);
    assert.equal(layout.pageOverflow, 0, 'the page itself never scrolls sideways');
    assert.equal(await page.locator('[data-testid="ranking-table"] thead th').count(), 10, 'rank in the model column, interval under the prediction');
    assert.deepEqual(await page.locator('[data-testid="ranking-rank"]').allTextContents(), comparison.models.map((row) => String(row.rank)));
    assert.equal(await page.locator('[data-testid="ranking-interval"]').count(), comparison.models.filter((row) => row.interpolates).length);
    await page.close();
  });

  it('a wider table scrolls in its own box with the model names kept in view', async () => {
    const { page } = await openPage(harness, 'light');
    const base = fixture();
    // Six models with long folder-qualified names, in a narrow editor.
    const rows = Array.from({ length: 6 }, (_, k) => ({ ...base.models[k % base.models.length]!, path: `runs/sweep-learning-rate-0.00${k + 1}/seed-${k}/checkpoint-final-${k}.safetensors`, rank: k + 1 }));
    const comparison: ComparisonReport = { ...base, models: rows };
    const layout = await layoutAt(page, 640, comparison, modelsOf(comparison, (path) => path));
    assert.ok(layout.overflowX === 'auto' || layout.overflowX === 'scroll', `the box scrolls sideways (overflow-x: ${layout.overflowX})`);
    assert.ok(layout.boxScrollWidth > layout.boxWidth, 'this table is wider than its box');
    assert.equal(layout.pageOverflow, 0, 'the box scrolls, not the page');
    assert.equal(layout.modelCells.length, rows.length);
    for (const [k, cell] of layout.modelCells.entries()) {
      assert.ok(cell.left >= layout.box.left - 0.5 && cell.right <= layout.box.right + 0.5, `model ${k + 1} stays in view when scrolled right (${JSON.stringify(cell)} in ${JSON.stringify(layout.box)})`);
    }
    assert.ok(layout.lastHeader.right <= layout.box.right + 0.5, 'the last column is reachable');
    assert.ok(layout.lastHeader.left >= layout.modelCells[0]!.right - 0.5, 'the pinned names do not cover the last column');
    await page.close();
  });
});
