import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runStudy } from '../../scripts/validate';
import { SMALL_MODE } from '../../scripts/validation/study';

test('the small validation study ranks an easy task and writes its results', async () => {
  const out = mkdtempSync(join(tmpdir(), 'flatness-validate-'));
  try {
    const { results, summary } = await runStudy({ mode: SMALL_MODE, out, jobs: 1, tasks: null, worker: null });
    const task = results[0]!;
    const byName = new Map(task.members.map((m) => [m.name, m]));
    assert.ok(task.members.every((m) => m.interpolates), 'every zoo member interpolates');
    const taus = summary.tauByTask[task.spec.id]!;
    assert.ok(taus.predictedTestLoss !== null && taus.predictedTestLoss >= 0.7, `predicted-loss tau ${taus.predictedTestLoss}`);
    // Each network counted once; its rescaled copy (same function, other raw trace) gets the same prediction.
    assert.equal(summary.interpolators, task.members.length);
    assert.ok(summary.rescaledMaxDifference <= 1e-5, `rescaled copies differ by ${summary.rescaledMaxDifference}`);
    // The flattest search gets close to the certified bound; the target is flat, large init is not.
    assert.ok(task.flattestRatio !== null && task.flattestRatio < 1.6, `F_found / F_LB ${task.flattestRatio}`);
    const target = byName.get('target')!;
    assert.equal(target.predictionVerdict, 'flat');
    assert.equal(byName.get('gd-large')!.predictionVerdict, 'sharp');
    assert.ok(byName.get('gd-large')!.predictedTestLoss! > 10 * byName.get('gd-small')!.predictedTestLoss!);
    // The out-of-family member is reported as such.
    assert.equal(byName.get('sgd-momentum')!.inFamily, false);
    assert.equal(target.inFamily, true);
    assert.ok(task.calibrationCoverage.checked >= 10, `calibration checked on ${task.calibrationCoverage.checked} held-out points`);
    for (const file of ['results.json', 'README.md', 'tau-by-task.svg', 'predicted-vs-population.svg']) assert.ok(existsSync(join(out, file)), file);
    assert.match(readFileSync(join(out, 'README.md'), 'utf8'), /Kendall tau/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
