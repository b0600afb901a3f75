import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { setCurvatureSettings } from '../../src/engine/curvature/section';
import { curvatureHtml, curvatureSummaryLines } from '../../src/engine/report/curvatureText';
import { formatNumber } from '../../src/engine/report/format';
import { tinyProblem } from './helpers';

before(async () => {
  await initBackend('cpu');
  setCurvatureSettings({ spectrum: {}, sharpness: { steps: 3, averageSamples: 4 }, landscape: { points1d: 7, grid2d: 4 } });
});

test('terminal lines and HTML fragment show raw and canonical curvature', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'relu' }, d: 3, m: 4, n: 20, seed: 2 });
  const report = await analyzeLoaded(model, data, { sections: { spectrum: true, sharpness: true, landscape: true } });
  const lines = curvatureSummaryLines(report).join('\n');
  assert.match(lines, /raw +top eigenvalues/);
  assert.ok(lines.includes(formatNumber(report.spectrum!.top[0]!)));
  if (report.canonical!.available) assert.match(lines, /canonical top eigenvalues/);
  assert.match(lines, /adaptive sharpness/);
  assert.match(lines, /orbit flat/);
  const html = curvatureHtml(report);
  assert.ok(!/<script/i.test(html));
  assert.ok((html.match(/<svg/g) ?? []).length >= 4, 'density, two direction charts, orbit and surfaces');
  assert.ok(html.includes(formatNumber(report.spectrum!.top[0]!)));
  // The JSON report survives a round trip (no typed arrays or NaN in the new sections).
  const parsed = JSON.parse(JSON.stringify(report));
  assert.deepEqual(parsed.spectrum.top, report.spectrum!.top);
  assert.equal(parsed.landscape.twoD.loss.length, 4);
  assert.equal(parsed.canonical.scales.length, 4);
});

test('nothing rendered when no curvature section ran; tanh states why canonical is missing', async () => {
  const { model, data } = tinyProblem({ activation: { name: 'tanh' }, d: 3, m: 4, n: 20, seed: 2 });
  const plain = await analyzeLoaded(model, data, {});
  assert.deepEqual(curvatureSummaryLines(plain), []);
  assert.equal(curvatureHtml(plain), '');
  const report = await analyzeLoaded(model, data, { sections: { spectrum: true } });
  assert.match(curvatureSummaryLines(report).join('\n'), /canonical rescaling not available: tanh is not positively homogeneous/);
});
