import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Report } from '../../src/shared/report';
import { npyHeader } from '../../src/engine/io/npy';
import { foundNetworkToSafetensors } from '../../src/engine/save/safetensors';
import { SeededRandom } from '../../src/engine/math/random';

const root = path.resolve(__dirname, '..', '..');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, 'bin', 'flatness-lens.js'), ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', FLATNESS_LENS_FROM_SOURCE: '1' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-cli-stream-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));
const random = new SeededRandom(5);
const n = 2000;
const d = 4;
const m = 8;

function writeNpy(name: string, shape: number[], values: Float32Array, rowsDeclared = shape[0]!): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, Buffer.concat([npyHeader('<f4', [rowsDeclared, ...shape.slice(1)]), new Uint8Array(values.buffer)]));
  return file;
}

const model = path.join(directory, 'model.safetensors');
fs.writeFileSync(model, foundNetworkToSafetensors({
  inputDim: d, hiddenDim: m, outputDim: 1, activation: 'relu',
  hiddenWeights: Array.from(random.normals(m * d, 0.5)), hiddenBias: Array.from(random.normals(m, 0.1)),
  outputWeights: Array.from(random.normals(m, 0.3)), outputBias: [0.1],
}));
const inputs = writeNpy('train_X.npy', [n, d], Float32Array.from({ length: n * d }, () => random.normal()));
writeNpy('train_y.npy', [n], Float32Array.from({ length: n }, () => random.normal()));

describe('flatness-lens analyze on data streamed from disk', () => {
  it('--stream-above-mb 0: the report equals the in-memory one figure for figure and says the data was streamed', () => {
    const reports: Report[] = [];
    for (const extra of [['--stream-above-mb', '0'], []]) {
      const json = path.join(directory, `report${extra.length}.json`);
      const result = cli('analyze', '--model', model, '--data', inputs, '--backend', 'cpu', '--spectrum', '--json', json, '--quiet', ...extra);
      assert.equal(result.status, 0, result.stderr);
      reports.push(JSON.parse(fs.readFileSync(json, 'utf8')) as Report);
    }
    const [streamed, inMemory] = reports as [Report, Report];
    assert.ok(streamed.data.notes.some((note) => note.startsWith('streamed from disk')), streamed.data.notes.join('; '));
    assert.ok(!inMemory.data.notes.some((note) => note.startsWith('streamed from disk')));
    assert.equal(streamed.flatness.trace, inMemory.flatness.trace);
    assert.deepEqual(streamed.flatness.perNeuron, inMemory.flatness.perNeuron);
    assert.equal(streamed.loss.value, inMemory.loss.value);
    assert.ok(streamed.spectrum && inMemory.spectrum, 'both ran the spectrum');
    assert.deepEqual(streamed.spectrum.top, inMemory.spectrum.top);
  });

  it('a header promising more rows than the file holds: exit 2 at once, one line naming the file', () => {
    const lying = writeNpy('lying_X.npy', [n, d], new Float32Array(n * d), 50_000_000);
    fs.copyFileSync(path.join(directory, 'train_y.npy'), path.join(directory, 'lying_y.npy'));
    const result = cli('analyze', '--model', model, '--data', lying, '--stream-above-mb', '0', '--backend', 'cpu');
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^flatness-lens: .*lying_X\.npy.*declares shape \[50000000, 4\].*truncated file\?/);
  });
});
