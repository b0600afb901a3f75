import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TrainingRun, type TrainingRunSnapshot } from '../../src/extension/trainingRun';
import type { TrajectoryPoint } from '../../src/shared/trajectory';
import { TrajectorySession } from '../../src/engine/trajectory/session';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');
const checkpoints = path.join(example, 'checkpoints');

function point(file: string, step: number): TrajectoryPoint {
  return {
    path: file, step, stepKind: 'step', stepSource: 'file-name', modifiedAt: '', format: 'test', hiddenDim: 1,
    trainingLoss: 1, interpolates: true, rawTrace: 1, normalizedFlatness: 1, lowerBound: 1, ratio: 1, pathNorm: 1,
    verdict: { level: 'flat', headline: 'test', explanation: '' }, warnings: [], analysisMs: 0,
  };
}

function setup() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-watch-'));
  let clock = 0;
  const analysed: string[] = [];
  const snapshots: TrainingRunSnapshot[] = [];
  const run = new TrainingRun(folder, async (file) => {
    analysed.push(path.basename(file));
    if (fs.readFileSync(file, 'utf8').startsWith('bad')) throw new Error(`${file}: not a model`);
    return point(file, Number(/(\d+)/.exec(path.basename(file))![1]));
  }, (snapshot) => snapshots.push(snapshot), [path.join(folder, 'train.npz')], () => clock, 1000);
  const write = (name: string, text: string) => fs.writeFileSync(path.join(folder, name), text);
  return { folder, run, analysed, snapshots, write, advance: (ms: number) => { clock += ms; } };
}

describe('a watched training folder', () => {
  test('a file is analysed only once it has stopped changing for the settle time', async () => {
    const { run, analysed, write, advance } = setup();
    write('step_2.pt', 'a');
    run.scan();
    advance(600);
    write('step_2.pt', 'ab'); // still being written
    run.scan();
    advance(600);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed, [], 'not settled yet: changed 600 ms ago');
    advance(500);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed, ['step_2.pt']);
  });

  test('incremental: only new or rewritten files are analysed; data files and other names are ignored; points in step order', async () => {
    const { run, analysed, snapshots, write, advance } = setup();
    write('step_20.pt', 'a');
    write('step_3.pt', 'a');
    write('train.npz', 'data');
    write('notes.txt', 'x');
    run.scan();
    advance(1000);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed.sort(), ['step_20.pt', 'step_3.pt']);
    write('step_100.pt', 'a');
    run.scan();
    advance(1000);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed.slice(2), ['step_100.pt'], 'the old checkpoints are not analysed again');
    const last = snapshots[snapshots.length - 1]!;
    assert.deepEqual(last.points.map((p) => p.step), [3, 20, 100]);
    assert.deepEqual(last.pending, []);
    // A rewritten checkpoint (new modification time) is analysed again.
    const file = path.join(run.folder, 'step_3.pt');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    run.scan();
    advance(1000);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed.slice(3), ['step_3.pt']);
  });

  test('a checkpoint that cannot be read is listed as a failure and retried when it changes', async () => {
    const { run, analysed, snapshots, write, advance } = setup();
    write('step_1.pt', 'bad');
    run.scan();
    advance(1000);
    run.scan();
    await run.idle();
    assert.equal(snapshots[snapshots.length - 1]!.failures.length, 1);
    advance(1000);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed, ['step_1.pt'], 'not retried while unchanged');
    write('step_1.pt', 'good now');
    run.scan();
    advance(1000);
    run.scan();
    await run.idle();
    const last = snapshots[snapshots.length - 1]!;
    assert.equal(last.failures.length, 0);
    assert.equal(last.points.length, 1);
  });

  test('stopped: nothing more is analysed', async () => {
    const { run, analysed, write, advance } = setup();
    write('step_1.pt', 'a');
    run.scan();
    run.stop();
    advance(2000);
    run.scan();
    await run.idle();
    assert.deepEqual(analysed, []);
  });

  test('with the real engine: checkpoints copied in one by one appear as points equal to the run analysis', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-watch-real-'));
    const session = await TrajectorySession.open({ dataPath: path.join(example, 'train.npz'), backend: 'wasm' });
    let clock = 0;
    const snapshots: TrainingRunSnapshot[] = [];
    const run = new TrainingRun(folder, async (file) => (await session.analyze(file)).point, (s) => snapshots.push(s), [], () => clock, 1000);
    for (const name of ['step_09000.pt', 'step_00750.pt']) {
      fs.copyFileSync(path.join(checkpoints, name), path.join(folder, name));
      run.scan();
      clock += 1000;
      run.scan();
      await run.idle();
    }
    const last = snapshots[snapshots.length - 1]!;
    assert.deepEqual(last.points.map((p) => p.step), [750, 9000], 'ordered by the step stored in the checkpoints');
    const reference = JSON.parse(fs.readFileSync(path.join(checkpoints, 'reference.json'), 'utf8')) as { checkpoints: Array<{ step: number; ratio: number }> };
    for (const p of last.points) {
      const expected = reference.checkpoints.find((r) => r.step === p.step)!.ratio;
      assert.ok(Math.abs(p.ratio! - expected) < 1e-4 * expected, `step ${p.step}: R ${p.ratio} vs ${expected}`);
    }
  });
});
