/**
 * Progress through named stages (issue 13): the plan that turns per-stage fractions into one
 * fraction of the whole run, and a real prediction on the bundled example, whose reports must
 * climb without going back, without big jumps, through every stage, to 1.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ProgressPlan, withPlan } from '../../src/engine/compute/progressPlan';
import { analysisStages, comparisonStages } from '../../src/engine/analysis/progressStages';
import { trainingProgress } from '../../src/engine/predict/trainer';
import { analyzeFiles } from '../../src/engine/analyze';
import { compareModels } from '../../src/engine/predict/compare';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'multi-index');

interface Reported {
  stage: string;
  fraction: number;
}

/** The largest step between consecutive reports, from 0 at the start. */
function largestStep(reports: readonly Reported[]): { step: number; at: string } {
  let previous: Reported = { stage: '(start)', fraction: 0 };
  let largest = { step: 0, at: '' };
  for (const report of reports) {
    const step = report.fraction - previous.fraction;
    if (step > largest.step) largest = { step, at: `${previous.stage} ${previous.fraction.toFixed(3)} -> ${report.stage} ${report.fraction.toFixed(3)}` };
    previous = report;
  }
  return largest;
}

describe('progress plan', () => {
  it('weights each stage by its cost, never goes back, and treats names not ahead as inner steps', () => {
    const reports: Reported[] = [];
    const plan = new ProgressPlan([{ name: 'a', weight: 1 }, { name: 'b', weight: 3 }, { name: 'c', label: 'see', weight: 4 }], (stage, fraction) => reports.push({ stage, fraction }));
    plan.update('a', 0.5);
    plan.update('a', 1);
    plan.update('b', 0.5);
    plan.update('hessian-vector product', 0.9);
    plan.update('b', 0.2);
    plan.update('a', 0.7);
    plan.update('c', 0.25);
    plan.finish();
    assert.deepEqual(reports, [
      { stage: 'a', fraction: 0.0625 },
      { stage: 'a', fraction: 0.125 },
      { stage: 'b', fraction: 0.3125 },
      { stage: 'b', fraction: 0.3125 },
      { stage: 'b', fraction: 0.3125 },
      { stage: 'b', fraction: 0.3125 },
      { stage: 'see', fraction: 0.625 },
      { stage: 'see', fraction: 1 },
    ]);
  });

  it('a skipped stage counts as done; without a listener the work runs as it is', async () => {
    const reports: Reported[] = [];
    await withPlan([{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }, { name: 'c', weight: 2 }], { onProgress: (stage, fraction) => reports.push({ stage, fraction }) }, async (context) => {
      context?.onProgress?.('c', 0);
      return 1;
    });
    assert.deepEqual(reports, [{ stage: 'c', fraction: 0.5 }, { stage: 'c', fraction: 1 }]);
    assert.equal(await withPlan([{ name: 'a', weight: 1 }], undefined, async (context) => context), undefined);
  });

  it('plans the stages a request runs, comparisons per model', () => {
    const size = { n: 200, m: 64, d: 10, testRows: 2000 };
    assert.deepEqual(analysisStages({ predict: true }, size).map((s) => s.label ?? s.name), ['backend', 'flatness', 'test loss', 'flattest', 'calibration']);
    assert.deepEqual(analysisStages({ spectrum: true, sharpness: true, landscape: true }, { ...size, testRows: 0 }).map((s) => s.name), ['backend', 'flatness', 'Lanczos', 'sharpness', 'landscape']);
    assert.deepEqual(analysisStages({ landscape: true }, size).map((s) => s.name), ['backend', 'flatness', 'forward', 'Lanczos', 'landscape']);
    assert.deepEqual(comparisonStages(2, { ...size, testRows: 0 }).map((s) => s.label ?? s.name),
      ['backend', 'model 1/2 flatness', 'flattest', 'calibration', 'model 1/2 top eigenvalue', 'model 2/2 flatness', 'model 2/2 top eigenvalue']);
  });
});

describe('training progress', () => {
  it('moves with the residual on a log scale once the penalty is off, and never goes back', () => {
    const progress = trainingProgress(4000, 1000, 1e-5);
    assert.equal(progress.at(500), 0.125, 'penalty phase: steps over the budget');
    progress.lossOnly(1e-1);
    progress.lossOnly(1e-3);
    assert.equal(progress.at(1100), 0.25 + 0.75 * 0.5, 'half-way down from 1e-1 to 1e-5 in log');
    progress.lossOnly(1e-2);
    assert.equal(progress.at(1150), 0.625, 'a rising residual does not move it back');
    progress.lossOnly(1e-6);
    assert.equal(progress.at(1200), 1);
  });
});

describe('a real prediction reports its progress smoothly', () => {
  it('analyze --predict on the bundled example: monotone, no jump above 0.25, every stage named, ending at 1', async () => {
    const reports: Reported[] = [];
    const report = await analyzeFiles({
      modelPath: join(EXAMPLE, 'generalizing.safetensors'), dataPath: join(EXAMPLE, 'train.npz'), testDataPath: join(EXAMPLE, 'test.npz'),
      backend: 'cpu', sections: { predict: true },
    }, { onProgress: (stage, fraction) => reports.push({ stage, fraction }) });
    assert.equal(report.prediction?.available, true, 'the prediction ran');
    for (let k = 1; k < reports.length; k++) {
      assert.ok(reports[k]!.fraction >= reports[k - 1]!.fraction, `report ${k} goes back: ${JSON.stringify(reports.slice(k - 1, k + 1))}`);
    }
    const largest = largestStep(reports);
    assert.ok(largest.step <= 0.25, `a jump of ${largest.step.toFixed(3)} (${largest.at})`);
    const stages = [...new Set(reports.map((r) => r.stage))];
    assert.deepEqual(stages, ['backend', 'flatness', 'test loss', 'flattest', 'calibration'], 'every stage, in order');
    for (const stage of ['flattest', 'calibration']) {
      assert.ok(new Set(reports.filter((r) => r.stage === stage).map((r) => r.fraction)).size >= 5, `${stage} moves as it goes`);
    }
    assert.equal(reports.at(-1)!.fraction, 1, 'the last report is the whole run');
  });

  it('compare on the two bundled models: the same, with each model named in its stages', async () => {
    const reports: Reported[] = [];
    await compareModels({
      modelPaths: [join(EXAMPLE, 'generalizing.safetensors'), join(EXAMPLE, 'memorizing.safetensors')],
      dataPath: join(EXAMPLE, 'train.npz'), testDataPath: join(EXAMPLE, 'test.npz'), backend: 'cpu',
    }, { onProgress: (stage, fraction) => reports.push({ stage, fraction }) });
    assert.ok(reports.every((report, k) => k === 0 || report.fraction >= reports[k - 1]!.fraction), 'never goes back');
    const largest = largestStep(reports);
    assert.ok(largest.step <= 0.25, `a jump of ${largest.step.toFixed(3)} (${largest.at})`);
    assert.deepEqual([...new Set(reports.map((r) => r.stage))], [
      'backend', 'model 1/2 flatness', 'model 1/2 test loss', 'flattest', 'calibration', 'model 1/2 top eigenvalue',
      'model 2/2 flatness', 'model 2/2 test loss', 'model 2/2 top eigenvalue',
    ]);
    assert.equal(reports.at(-1)!.fraction, 1);
  });
});
