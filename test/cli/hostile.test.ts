/**
 * Hostile flags, outputs and files against the CLI (issue 10, classes 1, 2, 3, 5 and 6; issue 16
 * item 4): each refusal is exit 2 with one line that names the problem, and no input is ever
 * modified. Option parsing and output writing are tested in process; a few cases run the CLI.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCommand } from '../../src/cli/args';
import { nearestOption } from '../../src/cli/options';
import { ANALYZE_OPTIONS, VERB_OPTIONS } from '../../src/cli/optionTables';
import { FlatnessLensError } from '../../src/engine/errors';
import { checkOutputTargets, writeOutputFiles } from '../../src/engine/report/writeAtomic';
import { loadModel } from '../../src/engine/load/modelLoader';
import { loadDataset } from '../../src/engine/load/dataLoader';
import { parseActivationOption } from '../../src/engine/analyze';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');
const model = path.join(example, 'generalizing.safetensors');
const data = path.join(example, 'train.npz');
const hang = path.join(root, 'test', 'fixtures', 'hostile', 'hdf5_hang.h5');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Exit 2, one line on stderr starting 'flatness-lens: ', no stack trace, every fragment in it. */
function assertRefusedInOneLine(result: ReturnType<typeof cli>, ...fragments: string[]): void {
  assert.equal(result.status, 2, `exit 2, got ${result.status}: ${result.stderr}`);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '' && !/^(Warning|error: XDG|\s+at InitializeImpl| - While)/.test(line));
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.match(lines[0]!, /^flatness-lens: /);
  for (const fragment of fragments) assert.ok(lines[0]!.includes(fragment), `'${fragment}' in: ${lines[0]}`);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof FlatnessLensError, String(error));
    assert.equal(error.code, 'bad-input');
    assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
    return error.message;
  }
  assert.fail('expected a refusal');
}

const temporary = () => fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-hostile-cli-'));
const digest = (file: string) => fs.readFileSync(file).toString('base64');

describe('class 6 and issue 16: an option table per verb, strict values', () => {
  const base = ['analyze', '--model', 'm.safetensors', '--data', 'd.npz'];
  const cases: Array<[string, string[], RegExp]> = [
    ['--tolerance "" (was read as 0, flipping the verdict)', [...base, '--tolerance', ''], /--tolerance needs a value/],
    ['--max-file-mb "" (was read as 0)', [...base, '--max-file-mb', ''], /--max-file-mb needs a value/],
    ['--max-file-mb 0x10 (was read as 16)', [...base, '--max-file-mb', '0x10'], /--max-file-mb must be a positive decimal number \(got '0x10'\)/],
    ['--tolerance 0x10', [...base, '--tolerance', '0x10'], /--tolerance must be a non-negative decimal number/],
    ['--tolerance -1', [...base, '--tolerance=-1'], /--tolerance must be a non-negative decimal number/],
    ['--chunk-rows Infinity', [...base, '--chunk-rows', 'Infinity'], /--chunk-rows must be a positive decimal number/],
    ['a misspelled option', [...base, '--spectrun'], /unknown option --spectrun for analyze; did you mean --spectrum\?/],
    ['a prefix of an option', [...base, '--landsc'], /did you mean --landscape\?/],
    ['compare with --model (an analyze option)', ['compare', '--data', 'd', '--model', 'm', 'x'], /--model is an option of analyze, not of compare/],
    ['compare with --spectrum', ['compare', '--data', 'd', '--spectrum', 'x'], /--spectrum is an option of analyze, not of compare/],
    ['compare with --targets', ['compare', '--data', 'd', '--targets', 't', 'x'], /--targets is an option of analyze and trajectory, not of compare/],
    ['a misspelled verb', ['analyse', '--data', 'd'], /unknown command 'analyse'; did you mean analyze\?/],
    ['a boolean given a value', [...base, '--quiet=yes'], /--quiet/],
  ];
  for (const [label, argv, pattern] of cases) {
    it(`refuses ${label}`, () => {
      assert.match(refusal(() => parseCommand(argv)), pattern);
    });
  }

  it('accepts decimal numbers and keeps them exact', () => {
    const command = parseCommand([...base, '--tolerance', '1e-6', '--max-file-mb', '0.5', '--chunk-rows', '64']);
    assert.equal(command.kind, 'analyze');
    if (command.kind !== 'analyze') return;
    assert.equal(command.request.interpolationTolerance, 1e-6);
    assert.equal(command.request.maxFileBytes, 512 * 1024);
    assert.equal(command.request.chunkRows, 64);
  });

  it('every verb has its own table, and the suggestion comes from that table', () => {
    assert.deepEqual(Object.keys(VERB_OPTIONS).sort(), ['analyze', 'compare', 'trajectory']);
    assert.ok(!Object.hasOwn(VERB_OPTIONS.compare, 'model'));
    assert.equal(nearestOption('modle', ANALYZE_OPTIONS), 'model');
    assert.equal(nearestOption('zzzzzzzz', ANALYZE_OPTIONS), null);
  });

  it('relu:5 is refused (its parameter would be ignored), not read as relu', () => {
    assert.match(refusal(() => parseActivationOption('relu:5')), /unknown activation 'relu:5'/);
    assert.match(refusal(() => parseActivationOption('leaky_relu:0x10')), /unknown activation/);
    assert.deepEqual(parseActivationOption('leaky_relu:0.1'), { name: 'leaky_relu', slope: 0.1 });
  });

  it('the size-limit message names --max-file-mb', () => {
    const result = cli('analyze', '--model', model, '--data', data, '--max-file-mb', '0.001');
    assertRefusedInOneLine(result, 'over the limit', '--max-file-mb');
    assert.doesNotMatch(result.stderr, /maxFileBytes/);
  });

  it('--targets with .npz data is refused, naming both files', async () => {
    const error = await loadDataset(data, { targetsPath: path.join(example, 'test.npz') }).then(() => null, (caught: unknown) => caught);
    assert.ok(error instanceof FlatnessLensError && error.code === 'bad-input', String(error));
    assert.match(error.message, /train\.npz: a separate targets file \(.*test\.npz\) is only read when the data is an inputs \.npy/);
  });

  it('JSON data holding both X and x is refused as ambiguous', () => {
    const directory = temporary();
    const file = path.join(directory, 'both.json');
    fs.writeFileSync(file, JSON.stringify({ X: [[1, 2]], x: [[3, 4]], y: [1] }));
    const result = cli('analyze', '--model', model, '--data', file);
    assertRefusedInOneLine(result, 'both.json', "holds both 'X' and 'x': ambiguous");
  });
});

describe('classes 1 and 2 through the CLI', () => {
  it('--activation constructor: exit 2, one line', () => {
    assertRefusedInOneLine(cli('analyze', '--model', model, '--data', data, '--activation', 'constructor'), "unknown activation 'constructor'");
    for (const name of ['__proto__', 'toString', 'valueOf', 'hasOwnProperty']) {
      assert.match(refusal(() => parseActivationOption(name)), new RegExp(`unknown activation '${name}'`));
    }
  });

  it('a FIFO as the model: exit 2 at once, not a hang', () => {
    const directory = temporary();
    const fifo = path.join(directory, 'model.safetensors');
    execFileSync('mkfifo', [fifo]);
    assertRefusedInOneLine(cli('analyze', '--model', fifo, '--data', data), 'model.safetensors', 'named pipe (FIFO), not a regular file');
  });
});

describe('class 5: outputs never overwrite inputs, only regular or new files, all or none', () => {
  it('refuses an output that is an input, however it is named', () => {
    const directory = temporary();
    const copy = path.join(directory, 'train.npz');
    fs.copyFileSync(data, copy);
    fs.symlinkSync(copy, path.join(directory, 'link.npz'));
    fs.linkSync(copy, path.join(directory, 'hard.npz'));
    fs.mkdirSync(path.join(directory, 'sub'));
    const inputs = [model, copy];
    for (const alias of [copy, path.join(directory, 'sub', '..', 'train.npz'), path.join(directory, '.', 'link.npz'), path.join(directory, 'hard.npz')]) {
      assert.match(refusal(() => checkOutputTargets([{ label: '--json', path: alias }], inputs)), /--json would overwrite the input .*train\.npz/);
    }
    assert.match(refusal(() => checkOutputTargets([{ label: '--html', path: model }], inputs)), /--html would overwrite the input/);
  });

  it('refuses device nodes, the same file twice and two standard outputs', () => {
    assert.match(refusal(() => checkOutputTargets([{ label: '--json', path: '/dev/null' }], [])), /not a regular file/);
    const directory = temporary();
    const same = path.join(directory, 'r');
    assert.match(refusal(() => checkOutputTargets([{ label: '--json', path: same }, { label: '--html', path: path.join(directory, '.', 'r') }], [])), /--json and --html name the same file/);
    assert.match(refusal(() => checkOutputTargets([{ label: '--json', path: '-' }, { label: '--html', path: '-' }], [])), /cannot both write to standard output/);
  });

  it('writes all outputs or none: a failing second output leaves no first one and no temporaries', () => {
    const directory = temporary();
    const gone = path.join(directory, 'gone');
    fs.mkdirSync(gone);
    const first = path.join(directory, 'r.json');
    fs.writeFileSync(first, 'previous');
    checkOutputTargets([{ label: '--json', path: first }, { label: '--html', path: path.join(gone, 'r.html') }], []);
    fs.rmdirSync(gone); // the folder disappears after the check
    assert.throws(() => writeOutputFiles([
      { label: '--json', path: first, contents: 'new' },
      { label: '--html', path: path.join(gone, 'r.html'), contents: '<html>' },
    ]), /does not exist/);
    assert.equal(fs.readFileSync(first, 'utf8'), 'previous', 'the first output is untouched');
    assert.deepEqual(fs.readdirSync(directory), ['r.json'], 'no temporary file is left');
  });

  it('through the CLI: --json equal to the data (via ..) and compare --json <data> are refused and the data is unchanged', () => {
    const directory = temporary();
    const copy = path.join(directory, 'train.npz');
    fs.copyFileSync(data, copy);
    fs.mkdirSync(path.join(directory, 'sub'));
    const before = digest(copy);
    assertRefusedInOneLine(cli('analyze', '--model', model, '--data', copy, '--json', path.join(directory, 'sub', '..', 'train.npz')), 'would overwrite the input');
    assertRefusedInOneLine(cli('compare', '--data', copy, '--json', copy, model), 'would overwrite the input');
    assert.equal(digest(copy), before);
    assert.deepEqual(fs.readdirSync(directory).sort(), ['sub', 'train.npz']);
  });

  it("'-' writes the JSON report to standard output and nothing else there", () => {
    const result = cli('analyze', '--model', model, '--data', data, '--backend', 'cpu', '--json', '-');
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { model: { hiddenDim: number } };
    assert.equal(report.model.hiddenDim, 64);
  });
});

describe('class 3: a file that hangs the HDF5 library', () => {
  it('is refused after the time budget, naming the file', async () => {
    const error = await loadModel(hang, { hdf5BudgetMs: 2000 }).then(() => null, (caught: unknown) => caught);
    assert.ok(error instanceof FlatnessLensError, String(error));
    assert.equal(error.code, 'bad-input');
    assert.match(error.message, /hdf5_hang\.h5: the HDF5 file could not be read in 2 s/);
  });

  it('Ctrl-C stops the CLI while the HDF5 library spins', async () => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), 'analyze', '--model', hang, '--data', data], {
      cwd: root, env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.stdout.resume();
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    // The HDF5 budget (6 s for this file) only starts once the CLI has started, read the data and
    // started its HDF5 thread, so after 6 s the CLI is still starting or inside the spinning read.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    child.kill('SIGINT');
    const [code, signal] = await exited;
    assert.ok(code === 130 || signal === 'SIGINT', `stopped by the interrupt, got code ${code} signal ${signal}: ${stderr}`);
    if (code === 130) assert.match(stderr, /flatness-lens: interrupted/);
    assert.doesNotMatch(stderr, /could not be read/);
  });
});
