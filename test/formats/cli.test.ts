import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/main';
import type { Report } from '../../src/shared/report';
import { formatFixture, loadReference, prng } from './helpers';

/**
 * Round trip through the CLI: `flatness-lens analyze` on one fixture of each format gives the
 * same flatness numbers as on the same network saved as safetensors (written by the fixture
 * script from the framework's own reading of the weights).
 */
const CASES: Array<{ id: string; data?: string }> = [
  { id: 'simple_mlp_h5' },
  { id: 'functional_fixed_strings_h5' },
  { id: 'iris_model_keras' },
  { id: 'keras3_functional_keras' },
  { id: 'balance_model1_tfjs' },
  { id: 'tfjs_uint8' },
  { id: 'seq_relu_pt', data: 'generated/data/data.pt' },
  { id: 'fc_tanh_bf16_pt' },
  { id: 'gemm_tanh_softmax_onnx' },
  { id: 'matmul_add_sigmoid_onnx' },
];

const scratch = mkdtempSync(join(tmpdir(), 'flatness-formats-cli-'));

function writeCsv(d: number, c: number, n: number, seed: number): string {
  const random = prng(seed);
  const header = [...Array.from({ length: d }, (_, i) => `x${i}`), ...Array.from({ length: c }, (_, i) => `y${i}`)].join(',');
  const rows = Array.from({ length: n }, () => Array.from({ length: d + c }, () => (2 * random() - 1).toFixed(6)).join(','));
  const path = join(scratch, `data_${d}_${c}.csv`);
  writeFileSync(path, [header, ...rows].join('\n') + '\n');
  return path;
}

async function analyze(model: string, data: string, activation: string, targetColumns: number | null, out: string): Promise<Report> {
  const args = ['analyze', '--model', model, '--data', data, '--activation', activation, '--backend', 'cpu', '--json', out, '--quiet'];
  if (targetColumns !== null) args.push('--target-columns', String(targetColumns));
  const status = await main(args);
  assert.equal(status, 0, `flatness-lens ${args.join(' ')}`);
  return JSON.parse(readFileSync(out, 'utf8')) as Report;
}

describe('CLI round trip: each format gives the flatness numbers of its safetensors twin', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));

  for (const { id, data } of CASES) {
    it(id, async () => {
      const ref = loadReference(id);
      const dataPath = data !== undefined ? formatFixture(data) : writeCsv(ref.inputDim, ref.outputDim, 80, ref.inputDim * 100 + ref.outputDim);
      const targetColumns = data !== undefined ? null : ref.outputDim;
      const fromFile = await analyze(formatFixture(ref.file), dataPath, ref.activation, targetColumns, join(scratch, `${id}.json`));
      const fromTwin = await analyze(formatFixture(ref.safetensors), dataPath, ref.activation, targetColumns, join(scratch, `${id}.twin.json`));
      assert.notEqual(fromFile.model.format, 'safetensors');
      assert.equal(fromTwin.model.format, 'safetensors');
      assert.ok(Number.isFinite(fromFile.flatness.trace));
      assert.equal(fromFile.flatness.trace, fromTwin.flatness.trace);
      assert.deepEqual(fromFile.flatness.parts, fromTwin.flatness.parts);
      assert.deepEqual(fromFile.flatness.normalized, fromTwin.flatness.normalized);
      assert.deepEqual(fromFile.flatness.invariantDiagonal, fromTwin.flatness.invariantDiagonal);
      assert.deepEqual(fromFile.flatness.ratio, fromTwin.flatness.ratio);
      assert.deepEqual(fromFile.flatness.perNeuron, fromTwin.flatness.perNeuron);
      assert.equal(fromFile.loss.value, fromTwin.loss.value);
    });
  }
});
