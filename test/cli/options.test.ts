/**
 * Every CLI verb and analyze option runs end to end on tiny committed fixtures: the optional
 * sections appear exactly when asked for, compare ranks, --targets pairs .npy files,
 * --max-file-mb admits files under it, progress lines reach stderr, and Ctrl-C stops an analysis
 * without writing its outputs.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Report } from '../../src/shared/report';

const root = path.resolve(__dirname, '..', '..');
const generated = path.join(root, 'test', 'fixtures', 'generated');
const model = path.join(generated, 'models', 'seq13_nobias_f64.safetensors'); // 3 -> 5 -> 1, ReLU
const other = path.join(generated, 'models', 'w_math.npz'); // 3 -> 5 -> 1
const train = path.join(generated, 'data', 'train.npz'); // 40 x 3
const trainJson = path.join(generated, 'data', 'train.json');
const env = { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' };

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), ...args], { cwd: root, encoding: 'utf8', env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-options-'));
const out = (name: string) => path.join(directory, name);
const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Report & Record<string, unknown>;
const sections = (report: Record<string, unknown>) => ['spectrum', 'sharpness', 'landscape', 'prediction', 'test'].filter((key) => report[key] !== undefined);

describe('CLI options end to end', () => {
  test('--all --test: every optional section, the measured test loss, and progress lines on stderr', () => {
    const result = cli('analyze', '--model', model, '--data', train, '--test', trainJson, '--all', '--backend', 'cpu', '--json', out('all.json'));
    assert.equal(result.status, 0, result.stderr);
    const report = read(out('all.json'));
    assert.deepEqual(sections(report), ['spectrum', 'sharpness', 'landscape', 'prediction', 'test']);
    assert.equal(report.backend.name, 'cpu');
    // The test set is the training set in another format: its loss is the training loss.
    const test = report.test as { loss: number; n: number };
    assert.equal(test.n, 40);
    assert.ok(Number.isFinite(test.loss) && test.loss > 0);
    const trainLoss = /averaged over samples = (\S+)/.exec(result.stdout)?.[1];
    const testLoss = /train\.json: n = 40, loss (\S+) \(measured/.exec(result.stdout)?.[1];
    assert.ok(trainLoss !== undefined && testLoss === trainLoss, `test loss ${testLoss} equals training loss ${trainLoss}`);
    // Not a terminal: plain lines only (which stages print depends on how long they take, so the lines
    // themselves are checked with a fake clock in progress.test.ts and on a long run below).
    assert.doesNotMatch(result.stderr, /\r/);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  });

  test('--spectrum alone adds the spectrum only; --sharpness --landscape add those two only', () => {
    const spectrum = cli('analyze', '--model', model, '--data', train, '--spectrum', '--quiet', '--json', out('spectrum.json'));
    assert.equal(spectrum.status, 0, spectrum.stderr);
    assert.equal(spectrum.stdout + spectrum.stderr, '', '--quiet prints nothing');
    assert.deepEqual(sections(read(out('spectrum.json'))), ['spectrum']);
    const both = cli('analyze', '--model', model, '--data', train, '--sharpness', '--landscape', '--json', out('both.json'));
    assert.equal(both.status, 0, both.stderr);
    assert.deepEqual(sections(read(out('both.json'))), ['sharpness', 'landscape']);
  });

  test('--targets pairs an inputs .npy with a targets .npy; --max-file-mb admits files under the limit', () => {
    const result = cli('analyze', '--model', model, '--data', path.join(generated, 'data', 'data_X.npy'),
      '--targets', path.join(generated, 'data', 'data_y.npy'), '--max-file-mb', '1', '--json', out('pair.json'));
    assert.equal(result.status, 0, result.stderr);
    const report = read(out('pair.json'));
    assert.equal(report.data.n, 40);
    assert.deepEqual(sections(report), []);
    const refused = cli('analyze', '--model', model, '--data', train, '--max-file-mb', '0.000001');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /--max-file-mb/);
  });

  test('compare: two models ranked on one calibration, JSON and HTML written', () => {
    const result = cli('compare', '--data', train, '--test', trainJson, '--json', out('compare.json'), '--html', out('compare.html'), model, other);
    assert.equal(result.status, 0, result.stderr);
    const comparison = JSON.parse(fs.readFileSync(out('compare.json'), 'utf8')) as Record<string, unknown>;
    const text = JSON.stringify(comparison);
    assert.ok(text.includes('seq13_nobias_f64.safetensors') && text.includes('w_math.npz'), 'both models in the comparison');
    assert.match(fs.readFileSync(out('compare.html'), 'utf8'), /^<!doctype html>/i);
  });

  test('Ctrl-C during an analysis: exit 130 and no report written', async () => {
    const target = out('interrupted.json');
    // The example's prediction runs for many seconds: long enough to print progress and be interrupted.
    const example = path.join(root, 'examples', 'multi-index');
    const child = spawn(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), 'analyze', '--model', path.join(example, 'generalizing.safetensors'), '--data', path.join(example, 'train.npz'), '--predict', '--json', target], { cwd: root, env });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    // Interrupt once the analysis reports progress (a plain line on a pipe, after its first 2 s).
    const started = await Promise.race([
      new Promise<boolean>((resolve) => child.stderr.on('data', () => { if (/^flatness-lens: [a-z-]+ \d+% \(\d+ s\)$/m.test(stderr)) resolve(true); })),
      exited.then(() => false),
    ]);
    assert.ok(started, `the analysis ended before printing progress: ${stderr}`);
    child.kill('SIGINT');
    const [code, signal] = await exited;
    assert.ok(code === 130 || signal === 'SIGINT', `stopped by the interrupt, got code ${code} signal ${signal}: ${stderr}`);
    assert.equal(fs.existsSync(target), false, 'no report from an interrupted run');
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  });
});
