import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { TrajectoryReport } from '../../src/shared/trajectory';
import { sparkline } from '../../src/engine/trajectory/render';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');
const fixtures = path.join(root, 'test', 'fixtures', 'trajectory');
const train = path.join(example, 'train.npz');

function cli(...args: string[]) {
  // wasm: the tests do not depend on which native or GPU backends this machine has.
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), ...args, '--backend', 'wasm'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-trajectory-'));
}

/** The lines the CLI itself wrote to stderr (native libraries may log there too). */
function ownErrors(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('flatness-lens:'));
}

describe('flatness-lens trajectory', () => {
  test('JSON, CSV and HTML for checkpoints of three formats; sparklines and a table on the terminal', () => {
    const directory = temporaryDirectory();
    const [json, csv, html] = ['t.json', 't.csv', 't.html'].map((name) => path.join(directory, name));
    const files = ['ckpt-750.safetensors', 'weights_step4500.npz', 'ckpt-9000.safetensors'].map((name) => path.join(fixtures, name));
    const result = cli('trajectory', '--data', train, '--test', path.join(example, 'test.npz'), '--json', json!, '--csv', csv!, '--html', html!, ...files.reverse());
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Flatness over training: 3 checkpoints/);
    assert.match(result.stdout, /ratio R\s+[▁-█]{3}/);
    assert.match(result.stdout, /Latest \(ckpt-9000\.safetensors\)/);
    const report = JSON.parse(fs.readFileSync(json!, 'utf8')) as TrajectoryReport;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const schema = JSON.parse(fs.readFileSync(path.join(root, 'schema', 'trajectory.schema.json'), 'utf8'));
    assert.ok(ajv.validate(schema, report), `valid against schema/trajectory.schema.json: ${JSON.stringify(ajv.errors)}`);
    assert.deepEqual(report.points.map((p) => p.step), [750, 4500, 9000], 'ordered by the steps in the names, not as given');
    assert.ok(report.points.every((p) => typeof p.testLoss === 'number'));
    const rows = fs.readFileSync(csv!, 'utf8').trim().split('\n');
    assert.equal(rows.length, 4);
    assert.match(rows[0]!, /^path,step,.*raw_trace,normalized_flatness,lower_bound,ratio,path_norm/);
    assert.equal(Number(rows[1]!.split(',')[rows[0]!.split(',').indexOf('ratio')]), report.points[0]!.ratio);
    const page = fs.readFileSync(html!, 'utf8');
    assert.doesNotMatch(page, /<script/i);
    assert.equal((page.match(/<svg/g) ?? []).length, 3, 'flatness, ratio and loss charts');
  });

  test('an unreadable checkpoint: exit 2 and one line naming it; with --skip-unreadable it is listed and the rest analysed', () => {
    const directory = temporaryDirectory();
    fs.copyFileSync(path.join(fixtures, 'ckpt-750.safetensors'), path.join(directory, 'step_1.safetensors'));
    fs.writeFileSync(path.join(directory, 'step_2.safetensors'), 'not a checkpoint');
    const json = path.join(directory, 'out.json');
    const failed = cli('trajectory', '--data', train, '--json', json, directory);
    assert.equal(failed.status, 2, failed.stderr);
    const errors = ownErrors(failed.stderr);
    assert.equal(errors.length, 1, failed.stderr);
    assert.match(errors[0]!, /step_2\.safetensors/);
    assert.doesNotMatch(failed.stderr, /^\s+at /m);
    assert.ok(!fs.existsSync(json), 'nothing written');
    const skipped = cli('trajectory', '--data', train, '--json', json, '--skip-unreadable', '--quiet', directory);
    assert.equal(skipped.status, 0, skipped.stderr);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as TrajectoryReport;
    assert.equal(report.points.length, 1);
    assert.equal(report.failures.length, 1);
    assert.match(report.failures[0]!.path, /step_2\.safetensors$/);
  });

  test('refuses outputs that would overwrite an input, and missing --data or checkpoints', () => {
    const directory = temporaryDirectory();
    const copy = path.join(directory, 'step_1.safetensors');
    fs.copyFileSync(path.join(fixtures, 'ckpt-750.safetensors'), copy);
    const before = fs.readFileSync(copy);
    const overwrite = cli('trajectory', '--data', train, '--csv', copy, directory);
    assert.equal(overwrite.status, 2);
    assert.match(ownErrors(overwrite.stderr)[0] ?? '', /step_1\.safetensors/);
    assert.deepEqual(fs.readFileSync(copy), before);
    const noData = cli('trajectory', copy);
    assert.equal(noData.status, 2);
    assert.match(noData.stderr, /--data is required/);
    const noCheckpoints = cli('trajectory', '--data', train);
    assert.equal(noCheckpoints.status, 2);
    assert.match(noCheckpoints.stderr, /checkpoint/);
  });
});

describe('sparklines', () => {
  test('low to high, log scale for decades, blanks where a value is missing', () => {
    assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([1, 10, 100], true), '▁▅█');
    assert.equal(sparkline([1, null, 3]), '▁ █');
    assert.equal(sparkline([0, 1], true), ' ▁');
    assert.equal(sparkline([2, 2]), '▁▁');
  });
});
