import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { initBackend } from '../../src/engine/compute/backend';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { setCurvatureSettings } from '../../src/engine/curvature/section';
import { tinyProblem } from './helpers';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'report.schema.json'), 'utf8'));

before(async () => {
  await initBackend('cpu');
  setCurvatureSettings({ spectrum: {}, sharpness: { steps: 2, averageSamples: 3 }, landscape: { points1d: 5, grid2d: 3 } });
});

test('reports with the curvature sections validate against the JSON Schema', async () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  for (const activation of [{ name: 'relu' }, { name: 'tanh' }] as const) {
    const { model, data } = tinyProblem({ activation, d: 3, m: 4, n: 20, seed: 6 });
    const report = JSON.parse(JSON.stringify(await analyzeLoaded(model, data, { sections: { spectrum: true, sharpness: true, landscape: true } }))) as Record<string, Record<string, unknown>>;
    assert.ok(validate(report), JSON.stringify(validate.errors));
    // And the schema rejects a malformed section.
    const broken = { ...report, spectrum: { ...report.spectrum, top: 'large' } };
    assert.equal(validate(broken), false);
  }
});
