/**
 * One formatting module for the CLI, the HTML page and the webview: the engine's renderers use
 * the very functions the webview imports, and a report's numbers read the same in all three.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as shared from '../../src/shared/format';
import * as engine from '../../src/engine/report/format';
import { terminalSummary } from '../../src/engine/report/terminal';
import { renderHtml } from '../../src/engine/report/html';
import type { Report } from '../../src/shared/report';

const ROOT = join(__dirname, '..', '..');

describe('one formatting module', () => {
  it('is the same module for the engine\'s renderers and the webview', () => {
    for (const name of ['formatNumber', 'formatMaybe', 'formatInterval', 'formatMs', 'isRarelyActive', 'neuronStatusText', 'rarelyActiveThreshold'] as const) {
      assert.equal(engine[name], shared[name], name);
    }
  });

  it('writes numbers, intervals, thresholds and neuron states one way', () => {
    assert.equal(shared.formatNumber(123456), '1.235e+5');
    assert.equal(shared.formatNumber(99990), '99990');
    assert.equal(shared.formatNumber(99999), '1.000e+5', 'judged after rounding');
    assert.equal(shared.formatNumber(0.000123), '1.230e-4');
    assert.equal(shared.formatNumber(12.3456), '12.35');
    assert.equal(shared.formatNumber(null), 'n/a');
    assert.equal(shared.formatNumber(-Infinity), '-inf');
    assert.equal(shared.formatInterval([0.0001234, 14.62]), '[1.234e-4, 14.62]');
    assert.equal(shared.formatThreshold('R', '<=', 2.51), 'R <= 2.51');
    assert.equal(shared.formatMaybe({ value: null, reason: 'tanh' }), 'not defined');
    assert.equal(shared.formatMaybeWithReason({ value: null, reason: 'tanh is not homogeneous' }), 'not defined: tanh is not homogeneous');
    assert.equal(shared.rarelyActiveThreshold(200), 4);
    assert.equal(shared.rarelyActiveThreshold(50), 3);
    assert.equal(shared.neuronStatusText({ status: 'ok', activeSamples: 2 }, 200), 'rarely active (2 of 200)');
    assert.equal(shared.neuronStatusText({ status: 'ok', activeSamples: 4 }, 200), 'active');
    assert.equal(shared.neuronStatusText({ status: 'dead', activeSamples: 0 }, 200), 'dead (never active)');
    assert.equal(shared.neuronState({ status: 'not-at-minimum', activeSamples: 1 }, 200), 'not-at-minimum');
    assert.equal(shared.neuronStatusText({ status: 'not-finite', activeSamples: 120 }, 200), 'not finite (trace terms overflow)');
  });

  it('shows a report\'s numbers the same in the terminal and the HTML page', () => {
    const report = JSON.parse(readFileSync(join(ROOT, 'test', 'webview', 'fixtures', 'curvature-report.json'), 'utf8')) as Report;
    const text = terminalSummary(report, { color: false });
    const html = renderHtml(report);
    for (const value of [report.flatness.trace, report.flatness.normalized.value!, report.flatness.lowerBound.value!]) {
      const shown = shared.formatNumber(value);
      assert.ok(text.includes(shown), `terminal shows ${shown}`);
      assert.ok(html.includes(shown), `HTML shows ${shown}`);
    }
  });
});
