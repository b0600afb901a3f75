import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import type { Report } from '../../src/shared/report';
import { TOOL_VERSION } from '../../src/engine/version';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');
const schema = JSON.parse(fs.readFileSync(path.join(root, 'schema', 'report.schema.json'), 'utf8'));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function temporaryDirectory(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-cli-'));
}

function assertUserError(result: ReturnType<typeof cli>, ...fragments: RegExp[]): void {
  assert.equal(result.status, 2, `exit 2, got ${result.status}: ${result.stderr}`);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace for a user error');
  assert.match(result.stderr, /^flatness-lens: /);
  for (const fragment of fragments) assert.match(result.stderr, fragment);
}

describe('flatness-lens analyze', () => {
  test('the bundled example: JSON valid against the schema, self-contained HTML, verdicts that separate the two models', () => {
    const directory = temporaryDirectory();
    const reports: Report[] = [];
    for (const name of ['generalizing', 'memorizing']) {
      const json = path.join(directory, `${name}.json`);
      const html = path.join(directory, `${name}.html`);
      const result = cli('analyze', '--model', path.join(example, `${name}.safetensors`), '--data', path.join(example, 'train.npz'), '--json', json, '--html', html);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /VERDICT/);
      assert.match(result.stdout, /Flatness ratio R/);
      assert.match(result.stdout, new RegExp(`Wrote .*${name}\\.json`));
      const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
      const ajv = new Ajv({ allErrors: true, strict: false });
      assert.ok(ajv.validate(schema, report), JSON.stringify(ajv.errors));
      // auto: onnxruntime's native kernels where onnxruntime-node loads (a dependency), else wasm.
      assert.ok(['onnxruntime', 'wasm'].includes(report.backend.name), `the report names the backend that ran: ${report.backend.name}`);
      assert.match(report.backend.kernels ?? '', report.backend.name === 'onnxruntime' ? /^onnxruntime \d/ : /^tfjs-backend-wasm/);
      assert.ok(report.flatness.orbit.length >= 41);
      assert.equal(report.flatness.perNeuron.length, report.model.hiddenDim);
      const page = fs.readFileSync(html, 'utf8');
      assert.doesNotMatch(page, /<script/i, 'no scripts');
      assert.doesNotMatch(page, /(src|href)="https?:/i, 'no remote resources');
      assert.match(page, /<svg/);
      assert.ok(page.includes(report.verdict.headline.replace(/&/g, '&amp;')));
      reports.push(report);
    }
    const [good, bad] = reports as [Report, Report];
    assert.ok(good.interpolation.interpolates && bad.interpolation.interpolates, 'both example models interpolate');
    assert.equal(good.verdict.level, 'flat');
    assert.equal(bad.verdict.level, 'sharp');
    assert.ok(bad.flatness.ratio.value! > 10 * good.flatness.ratio.value!, 'the memorizing interpolator is much further from the flattest');
    assert.equal(good.flatness.lowerBound.value, bad.flatness.lowerBound.value, 'the lower bound depends on the data alone');
  });

  test('every option reaches the engine: activation, loss convention, backend, tolerance', () => {
    const directory = temporaryDirectory();
    const json = path.join(directory, 'r.json');
    const result = cli('analyze', '--model', path.join(example, 'generalizing.safetensors'), '--data', path.join(example, 'train.npz'),
      '--loss', 'mse-half', '--backend', 'cpu', '--tolerance', '1e-12', '--json', json, '--quiet');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '', '--quiet prints nothing');
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
    assert.equal(report.loss.kind, 'mse-half');
    assert.match(report.loss.convention, /1\/2/);
    assert.equal(report.backend.name, 'cpu');
    assert.equal(report.interpolation.tolerance, 1e-12);
  });

  test('a missing file: exit 2, the file named, nothing written', () => {
    const directory = temporaryDirectory();
    const json = path.join(directory, 'r.json');
    const result = cli('analyze', '--model', path.join(directory, 'nope.safetensors'), '--data', path.join(example, 'train.npz'), '--json', json);
    assertUserError(result, /nope\.safetensors/);
    assert.equal(fs.existsSync(json), false);
  });

  test('data of the wrong dimension names both files', () => {
    const result = cli('analyze', '--model', path.join(example, 'generalizing.safetensors'), '--data', path.join(root, 'test', 'fixtures', 'generated', 'data', 'dim12.npz'));
    assertUserError(result, /dim12\.npz/, /10/, /12/);
  });

  test('three layers are refused with what was found', () => {
    const result = cli('analyze', '--model', path.join(root, 'test', 'fixtures', 'generated', 'broken', 'three_layers.safetensors'), '--data', path.join(example, 'train.npz'));
    assertUserError(result, /three_layers\.safetensors/, /one hidden layer/);
  });

  test('bad options get the usage', () => {
    assertUserError(cli('analyze', '--model', 'm', '--data', 'd', '--loss', 'hinge'), /--loss must be one of mse, mse-half, mse-mean, ce/);
    assertUserError(cli('analyze', '--data', 'd'), /--model is required/);
    assertUserError(cli('frobnicate'), /unknown command/);
    assertUserError(cli('analyze', '--model', path.join(example, 'generalizing.safetensors'), '--data', path.join(example, 'train.npz'), '--activation', 'swishy'), /unknown activation 'swishy'/);
  });

  test('an output folder that does not exist: exit 2 and no partial report', () => {
    const directory = temporaryDirectory();
    const result = cli('analyze', '--model', path.join(example, 'generalizing.safetensors'), '--data', path.join(example, 'train.npz'),
      '--json', path.join(directory, 'r.json'), '--html', path.join(directory, 'missing', 'r.html'));
    assertUserError(result, /missing/);
    assert.deepEqual(fs.readdirSync(directory), [], 'checked before anything is written');
  });

  test('--version matches package.json', () => {
    const result = cli('--version');
    const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
    assert.equal(result.status, 0);
    assert.equal(result.stdout.trim(), `flatness-lens ${version}`);
    assert.equal(TOOL_VERSION, version);
  });
});
