import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeTrajectory } from '../../src/engine/trajectory/run';
import { analyzeFiles } from '../../src/engine/analyze';
import type { TrajectoryPoint, TrajectoryReport } from '../../src/shared/trajectory';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');
const checkpoints = path.join(example, 'checkpoints');
const fixtures = path.join(root, 'test', 'fixtures', 'trajectory');
const train = path.join(example, 'train.npz');
const testData = path.join(example, 'test.npz');

interface Reference {
  file: string; step: number; trainMSE: number; testMSE: number;
  rawTrace: number; normalizedFlatness: number; lowerBound: number; ratio: number;
}
const reference = (JSON.parse(fs.readFileSync(path.join(checkpoints, 'reference.json'), 'utf8')) as { checkpoints: Reference[] }).checkpoints;

function close(actual: number | null | undefined, expected: number | null | undefined, relative: number, what: string): void {
  assert.ok(typeof actual === 'number' && typeof expected === 'number', `${what}: ${actual} vs ${expected}`);
  assert.ok(Math.abs(actual - expected) <= relative * Math.max(1e-12, Math.abs(expected)), `${what}: ${actual} vs ${expected} (relative ${relative})`);
}

let exampleRun: Promise<TrajectoryReport> | null = null;
function runExample(): Promise<TrajectoryReport> {
  // The folder: the order must come from the steps stored in the checkpoints.
  exampleRun ??= analyzeTrajectory({ checkpoints: [checkpoints], dataPath: train, testDataPath: testData, backend: 'wasm' });
  return exampleRun;
}

describe('trajectory over the example run', () => {
  test('every checkpoint, ordered by the step stored in it, with the step from the checkpoint dict', async () => {
    const run = await runExample();
    assert.equal(run.points.length, reference.length);
    assert.equal(run.order, 'step');
    assert.deepEqual(run.points.map((p) => path.basename(p.path)), reference.map((r) => r.file));
    for (const point of run.points) {
      assert.equal(point.stepSource, 'checkpoint');
      assert.equal(point.stepKind, 'step');
    }
    assert.deepEqual(run.points.map((p) => p.step), reference.map((r) => r.step));
    assert.equal(run.failures.length, 0);
    assert.equal(run.test?.n, 2000);
  });

  test('every entry equals `analyze` on that checkpoint (to 1e-9)', async () => {
    const run = await runExample();
    for (const point of run.points) {
      const report = await analyzeFiles({ modelPath: point.path, dataPath: train, testDataPath: testData, backend: 'wasm' });
      const name = path.basename(point.path);
      const pairs: Array<[keyof TrajectoryPoint, number | null | undefined]> = [
        ['trainingLoss', report.loss.value],
        ['rawTrace', report.flatness.trace],
        ['normalizedFlatness', report.flatness.normalized.value],
        ['lowerBound', report.flatness.lowerBound.value],
        ['ratio', report.flatness.ratio.value],
        ['pathNorm', report.flatness.pathNorm.value],
        ['testLoss', report.test?.loss],
      ];
      for (const [key, expected] of pairs) close(point[key] as number, expected, 1e-9, `${name} ${key}`);
      assert.equal(point.interpolates, report.interpolation.interpolates, `${name} interpolates`);
      assert.equal(point.verdict.headline, report.verdict.headline, `${name} verdict`);
      assert.equal(point.step, report.model.checkpoint?.step, `${name}: analyze reports the stored step too`);
    }
  });

  test('agrees with the autodiff figures the training script computed, and shows what the example promises', async () => {
    const run = await runExample();
    run.points.forEach((point, i) => {
      const expected = reference[i]!;
      const name = expected.file;
      close(point.rawTrace, expected.rawTrace, 1e-4, `${name} raw trace`);
      close(point.normalizedFlatness, expected.normalizedFlatness, 1e-4, `${name} F_sym`);
      close(point.lowerBound, expected.lowerBound, 1e-5, `${name} F_LB`);
      close(point.ratio, expected.ratio, 1e-4, `${name} R`);
      close(point.trainingLoss, expected.trainMSE, 1e-3, `${name} train MSE`);
      close(point.testLoss, expected.testMSE, 1e-3, `${name} test MSE`);
    });
    const ratios = run.points.map((p) => p.ratio!);
    const traces = run.points.map((p) => p.rawTrace);
    assert.ok(ratios[0]! > 10 && ratios[ratios.length - 1]! < 1.3, `R falls from > 10 to < 1.3: ${ratios.join(', ')}`);
    // The raw trace moves on its own: from its low point it climbs by more than 4x while R changes by < 2%.
    const low = traces.indexOf(Math.min(...traces));
    const last = traces.length - 1;
    assert.ok(traces[last]! / traces[low]! > 4, 'raw trace climbs again');
    const settled = ratios.slice(6);
    assert.ok(Math.max(...settled) / Math.min(...settled) < 1.02, 'R stays flat meanwhile');
  });
});

describe('checkpoint formats', () => {
  test('safetensors, npz, Keras h5 and Keras 3 .keras checkpoints of the same weights give the same figures as the .pt checkpoints', async () => {
    const run = await runExample();
    const byStep = new Map(run.points.map((p) => [p.step, p]));
    const formats = await analyzeTrajectory({ checkpoints: [fixtures], dataPath: train, backend: 'wasm' });
    assert.equal(formats.points.length, 10);
    assert.equal(formats.order, 'file-name');
    const seen = new Set<string>();
    for (const point of formats.points) {
      const name = path.basename(point.path);
      seen.add(point.format);
      // Keras's ModelCheckpoint names files weights.{epoch:02d}-{loss:.2f}.h5: the epoch is 1, 6, 12 here (750 steps each).
      const step = /\.(h5|keras)$/.test(name) ? point.step! * 750 : point.step;
      const twin = byStep.get(step);
      assert.ok(twin, `${name}: step ${point.step} read from the file name`);
      assert.equal(point.stepSource, 'file-name');
      for (const key of ['trainingLoss', 'rawTrace', 'normalizedFlatness', 'lowerBound', 'ratio', 'pathNorm'] as const) {
        close(point[key], twin[key], 1e-9, `${name} ${key}`);
      }
    }
    assert.equal(seen.size, 4, `four formats: ${[...seen].join(', ')}`);
  });
});

describe('the certified bound is computed once per data set', () => {
  test('two models with output biases on one data set share the minimum over c; another data set gets its own', async () => {
    const { computeTargetTerm } = await import('../../src/engine/analysis/targetTerm');
    const { loadDataset } = await import('../../src/engine/load/dataLoader');
    const { loadModel } = await import('../../src/engine/load/modelLoader');
    const data = await loadDataset(train);
    const model = await loadModel(path.join(example, 'generalizing.safetensors'));
    const withBias = (c0: number) => ({ ...model, outputBias: Float64Array.of(c0) });
    const first = computeTargetTerm(withBias(0), data);
    const second = computeTargetTerm(withBias(3), data);
    assert.equal(first.certified, second.certified, 'the certified term does not depend on the model');
    assert.notEqual(first.atModelBias, second.atModelBias, 'the model-specific term does');
    const copy = { ...data, targets: data.targets.map((y) => y + 1) };
    const shifted = computeTargetTerm(withBias(0), copy);
    close(shifted.certified, first.certified, 1e-9, 'shifting every target moves the minimizing c, not the minimum');
    assert.ok(Math.abs(shifted.center[0]! - first.center[0]! - 1) < 1e-6, 'a new data set is not served from the cache');
  });
});

describe('--top-eigenvalue', () => {
  test("each checkpoint's largest Hessian eigenvalue agrees with analyze --spectrum and lies below the trace", async () => {
    const checkpoint = path.join(checkpoints, 'step_09000.pt');
    const run = await analyzeTrajectory({ checkpoints: [checkpoint], dataPath: train, backend: 'wasm', topEigenvalue: true });
    const top = run.points[0]!.topEigenvalue;
    const report = await analyzeFiles({ modelPath: checkpoint, dataPath: train, backend: 'wasm', sections: { spectrum: true } });
    close(top, report.spectrum?.top[0], 1e-4, 'top eigenvalue');
    assert.ok(top! > 0 && top! < run.points[0]!.rawTrace, 'an interpolating minimum: 0 < lambda_max < tr H');
  });
});
