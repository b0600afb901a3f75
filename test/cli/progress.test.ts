import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bar, createProgress, type ProgressStream } from '../../src/cli/progress';
import { tf } from '../../src/engine/compute/tf';
import '../../src/engine/compute/backend';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');

/** A stream that records writes, and a clock the test moves by hand. */
function harness(isTTY: boolean) {
  const writes: string[] = [];
  const stream: ProgressStream = { isTTY, columns: 80, write: (text: string) => writes.push(text) };
  let time = 1000;
  return { writes, stream, now: () => time, advance: (ms: number) => { time += ms; } };
}

describe('CLI progress', () => {
  test('not a terminal: nothing in the first 2 s, then a line per stage and an occasional line within one', () => {
    const h = harness(false);
    const progress = createProgress({ quiet: false, stream: h.stream, now: h.now });
    progress.update('calibration', 0.1);
    h.advance(1999);
    progress.update('calibration', 0.2);
    assert.deepEqual(h.writes, [], 'a step shorter than 2 s prints nothing');
    h.advance(1);
    progress.update('calibration', 0.25);
    h.advance(3000);
    progress.update('calibration', 0.5);
    progress.update('flattest', 0);
    h.advance(10_000);
    progress.update('flattest', 0.999);
    progress.done();
    assert.deepEqual(h.writes, [
      'flatness-lens: calibration 25% (2 s)\n',
      'flatness-lens: flattest 0% (5 s)\n',
      'flatness-lens: flattest 99% (15 s)\n',
    ]);
  });

  test('a terminal: one redrawn line with the stage and a bar, cleared when done', () => {
    const h = harness(true);
    const progress = createProgress({ quiet: false, stream: h.stream, now: h.now });
    h.advance(2500);
    progress.update('flatness', 0.5);
    h.advance(10);
    progress.update('flatness', 0.6); // too soon to redraw
    h.advance(200);
    progress.update('flatness', 1);
    progress.done();
    assert.deepEqual(h.writes, [
      `\rflatness ${bar(0.5)}  50%  3 s\u001b[K`,
      `\rflatness ${bar(1)} 100%  3 s\u001b[K`,
      '\r\u001b[K',
    ]);
    assert.equal(bar(0.5, 4), '██░░');
    for (const line of h.writes) assert.doesNotMatch(line, /\n/, 'the terminal line is redrawn in place');
  });

  test('--quiet: silent however long it runs', () => {
    const h = harness(true);
    const progress = createProgress({ quiet: true, stream: h.stream, now: h.now });
    for (let i = 0; i < 10; i++) {
      h.advance(5000);
      progress.update(`stage ${i}`, i / 10);
    }
    progress.done();
    assert.deepEqual(h.writes, []);
  });

  test('no TF.js banner even for tensors made before a backend is chosen (what compare\'s calibration does)', () => {
    const warned: unknown[][] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => { warned.push(args); };
    try {
      const t = tf.tensor1d([1, 2, 3]);
      assert.deepEqual(Array.from(t.dataSync()), [1, 2, 3]);
      assert.equal(tf.getBackend(), 'cpu', 'cpu, not the asynchronous wasm backend, until initBackend()');
      t.dispose();
    } finally {
      console.warn = original;
    }
    assert.deepEqual(warned, []);
  });

  test('the real CLI: --quiet prints nothing at all, and no run prints the TF.js banner', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-progress-'));
    try {
      const run = (...extra: string[]) => spawnSync(process.execPath, [
        path.join(root, 'bin', 'flatness-lens.js'), 'analyze',
        '--model', path.join(example, 'generalizing.safetensors'), '--data', path.join(example, 'train.npz'), ...extra,
      ], { cwd: directory, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' } });
      const quiet = run('--quiet', '--json', path.join(directory, 'report.json'));
      assert.equal(quiet.status, 0, quiet.stderr);
      assert.equal(quiet.stdout, '');
      assert.equal(quiet.stderr, '', 'nothing on stderr with --quiet');
      assert.ok(fs.existsSync(path.join(directory, 'report.json')));
      const loud = run('--backend', 'cpu');
      assert.equal(loud.status, 0, loud.stderr);
      assert.match(loud.stdout, /VERDICT/);
      assert.doesNotMatch(loud.stdout + loud.stderr, /looks like you are running TensorFlow\.js|tfjs-node/);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
