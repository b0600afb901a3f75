import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { TwoLayerModel } from '../../src/engine/model/types';
import type { CalibrationPoint } from '../../src/shared/report';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { initialNetwork, toDataset, trainNetwork, type TrainingArrays } from '../../src/engine/predict/trainer';
import { compareModels } from '../../src/engine/predict/compare';
import { evaluateLoss } from '../../src/engine/compute/forward';
import { initBackend } from '../../src/engine/compute/backend';
import { makeLossSpec } from '../../src/engine/math/losses';
import { comparisonHtml, comparisonText } from '../../src/engine/report/comparisonText';
import { predictionHtml, predictionSummaryLines } from '../../src/engine/report/predictionText';
import { makeTask } from '../../scripts/validation/study';
import { randomData, randomModel, referenceLoss } from '../helpers/tinyNetworks';
import { SeededRandom } from '../../src/engine/math/random';

const task = makeTask({ id: 'unit', family: 'in', d: 6, n: 50, indices: 1, noise: 0, width: 24, seed: 5, populationSamples: 600, inputs: 'gaussian', biases: false });
const trainData = toDataset(task.train, 'memory://train');
const testData = toDataset(task.population, 'memory://test');

async function trained(scale: number, seed: number, arrays: TrainingArrays = task.train, width = 24): Promise<TwoLayerModel> {
  const start = initialNetwork({ inputDim: 6, hiddenDim: width, outputDim: 1, scale, hiddenBias: false, outputBias: false, activation: { name: 'relu' }, seed });
  return (await trainNetwork(start, arrays, 2, { maxSteps: 3000, learningRate: scale < 0.2 ? 0.005 : 0.01, targetMse: 1e-6 })).model;
}

test('the measured test loss agrees with an independent forward pass', async () => {
  await initBackend('cpu');
  const random = new SeededRandom(2);
  const model = randomModel({ d: 3, m: 5, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
  const data = randomData(11, 3, 2, random);
  for (const kind of ['mse', 'mse-half', 'mse-mean'] as const) {
    const measured = await evaluateLoss(model, data, makeLossSpec(kind, 2));
    const reference = referenceLoss(model, data, kind);
    assert.ok(Math.abs(measured.loss - reference) < 1e-5 * reference, `${measured.loss} vs ${reference}`);
  }
});

test('the prediction section writes prediction, flattest and test keys', async () => {
  const model = await trained(0.05, 1);
  const progress: { stage: string; fraction: number }[] = [];
  const report = await analyzeLoaded(model, trainData, { backend: 'cpu', sections: { predict: true }, testData }, { onProgress: (stage, fraction) => progress.push({ stage, fraction }) });
  const { prediction, flattest } = report;
  // Every stage of the prediction reports progress: the search, then the reference family to its end.
  for (const stage of ['flattest', 'calibration']) {
    const fractions = progress.filter((p) => p.stage === stage).map((p) => p.fraction);
    assert.ok(fractions.length >= 5, `${stage}: ${fractions.length} progress reports`);
    assert.ok(fractions.every((f) => f >= 0 && f <= 1), stage);
  }
  const calibration = progress.filter((p) => p.stage === 'calibration').map((p) => p.fraction);
  assert.ok(calibration.every((f, i) => i === 0 || f >= calibration[i - 1]! - 1e-12), 'calibration progress never goes back');
  assert.equal(calibration[calibration.length - 1], 1);
  assert.ok(prediction?.available, prediction?.reason);
  const direct = referenceLoss(model, testData, 'mse');
  assert.ok(report.test && Math.abs(report.test.loss - direct) <= 1e-4 * direct + 1e-9, `${report.test?.loss} vs ${direct}`);
  assert.equal(prediction.measuredTestLoss, report.test.loss);
  const [low, high] = prediction.interval!;
  assert.ok(low <= prediction.testLoss! && prediction.testLoss! <= high);
  assert.ok(prediction.calibration!.points.length >= 4);
  // The interval's coverage is checked on reference points held out of the fit and the quantile.
  const { heldOutCoverage } = prediction.calibration!;
  assert.equal(heldOutCoverage.checked, prediction.calibration!.points.length);
  assert.ok(prediction.disagreement !== null && prediction.disagreement >= 0);
  // relativeLoss is the predicted loss over the loss of predicting the mean (mse: the targets' variance).
  const targets = Array.from(trainData.targets);
  const mean = targets.reduce((sum, v) => sum + v, 0) / targets.length;
  const variance = targets.reduce((sum, v) => sum + (v - mean) ** 2, 0) / targets.length;
  assert.ok(Math.abs(prediction.relativeLoss! * variance - prediction.testLoss!) <= 1e-6 * prediction.testLoss!, `${prediction.relativeLoss} x ${variance} vs ${prediction.testLoss}`);
  for (const point of prediction.calibration!.points) assert.ok(point.ratio >= 1 - 1e-6, `ratio ${point.ratio} below the certified bound`);
  // Two flattest searches per split, each compared with the other: neither gets D = 0 by being its own reference.
  for (const split of [0, 1]) {
    const searched: CalibrationPoint[] = prediction.calibration!.points.filter((p) => p.split === split && p.kind === 'flattest-search');
    assert.equal(searched.length, 2, `split ${split}: ${searched.length} flattest-search points`);
    assert.ok(searched[0]!.disagreement! > 0 && searched[0]!.disagreement === searched[1]!.disagreement, `split ${split}: D ${searched.map((p) => p.disagreement).join(', ')}`);
  }
  assert.ok(flattest!.runs.length >= 2, 'two searches on the rows used');
  // The flattest found is an interpolator no flatter than the certified bound.
  assert.ok(flattest && flattest.normalized !== null && flattest.lowerBound !== null);
  assert.ok(flattest.normalized >= flattest.lowerBound * (1 - 1e-6));
  assert.ok(Math.abs(flattest.ratioToFound! - flattest.modelNormalized! / flattest.normalized) < 1e-9);
  assert.ok(Math.abs(flattest.ratioToLowerBound! - report.flatness.ratio.value!) < 1e-12);
  const network = flattest.network!;
  assert.equal(network.hiddenWeights.length, network.hiddenDim * network.inputDim);
  assert.equal(network.outputWeights.length, network.hiddenDim * network.outputDim);
  // Renderers.
  assert.ok(predictionSummaryLines(report).some((line) => line.includes('predicted test loss')));
  const html = predictionHtml(report);
  assert.match(html, /<svg/);
  assert.doesNotMatch(html, /<script/);
});

test('the prediction says why when the theory does not apply', async () => {
  const random = new SeededRandom(4);
  const model = randomModel({ d: 6, m: 4, c: 1, hiddenBias: true, outputBias: false, activation: { name: 'tanh' } }, random);
  const report = await analyzeLoaded(model, trainData, { backend: 'cpu', sections: { predict: true } });
  assert.equal(report.prediction?.available, false);
  assert.match(report.prediction!.reason!, /homogeneous/);
  assert.equal(report.prediction!.testLoss, null);
});

test('compare ranks models and returns for each exactly what analyze --predict returns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flatness-compare-'));
  try {
    // Two widths: compare must not calibrate the narrow model at the wide one's width.
    const models = { small: await trained(0.05, 2), large: await trained(4, 3, task.train, 40) };
    const paths: string[] = [];
    for (const [name, model] of Object.entries(models)) {
      const path = join(dir, `${name}.json`);
      const rows = (values: Float64Array, columns: number) => Array.from({ length: values.length / columns }, (_, r) => Array.from(values.subarray(r * columns, (r + 1) * columns)));
      writeFileSync(path, JSON.stringify({ W1: rows(model.hiddenWeights, 6), W2: rows(model.outputWeights, model.hiddenDim), activation: 'relu' }));
      paths.push(path);
    }
    const writeData = (path: string, data: typeof trainData) => writeFileSync(path, JSON.stringify({
      X: Array.from({ length: data.n }, (_, i) => Array.from(data.inputs.subarray(i * data.d, (i + 1) * data.d))),
      y: Array.from(data.targets),
    }));
    writeData(join(dir, 'train.json'), trainData);
    writeData(join(dir, 'test.json'), testData);
    const comparison = await compareModels({ modelPaths: paths, dataPath: join(dir, 'train.json'), testDataPath: join(dir, 'test.json') });
    assert.equal(comparison.models.length, 2);
    assert.match(comparison.models[0]!.path, /small\.json$/);
    assert.equal(comparison.models[0]!.rank, 1);
    assert.ok(comparison.models[1]!.testLoss! > comparison.models[0]!.testLoss!);
    assert.equal(comparison.kendallTau!.predictedTestLoss, 1);
    assert.ok(comparison.calibration && comparison.calibration.points.length >= 3);
    assert.ok(comparison.models.every((row) => row.topEigenvalue !== null && row.topEigenvalue > 0));
    // At an interpolator the Hessian is positive semi-definite: its top eigenvalue is at most its trace.
    assert.ok(comparison.models.every((row) => row.topEigenvalue! <= row.trace * (1 + 1e-6)));
    // The same model gets the same prediction alone as in company.
    for (const row of comparison.models) {
      const model = row.path.endsWith('small.json') ? models.small : models.large;
      const alone = await analyzeLoaded(model, trainData, { backend: 'cpu', sections: { predict: true } });
      assert.equal(row.predictedTestLoss, alone.prediction!.testLoss, row.path);
      assert.deepEqual(row.interval, alone.prediction!.interval, row.path);
      assert.equal(row.verdict.level, alone.prediction!.verdict.level, row.path);
    }
    const text = comparisonText(comparison);
    assert.match(text, /small\.json/);
    assert.match(text, /Kendall tau/);
    const html = comparisonHtml(comparison);
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /<script/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
