/** The flattest-network writer: what it writes, the engine's own loader reads back. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foundNetworkToSafetensors } from '../../src/engine/save/safetensors';
import { loadModel } from '../../src/engine/load/modelLoader';
import { parseSafetensors } from '../../src/engine/io/safetensors';
import { FlatnessLensError } from '../../src/engine/errors';
import { loadDataset } from '../../src/engine/load/dataLoader';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import type { FoundNetwork, Report } from '../../src/shared/report';

const dir = mkdtempSync(join(tmpdir(), 'flatness-save-'));

function network(withBiases: boolean, activation = 'relu'): FoundNetwork {
  const d = 3, m = 4, c = 2;
  const values = (count: number, offset: number) => Array.from({ length: count }, (_, i) => Math.fround(Math.sin(i + offset) * 1.5));
  return {
    inputDim: d, hiddenDim: m, outputDim: c, activation,
    hiddenWeights: values(m * d, 1), hiddenBias: withBiases ? values(m, 20) : null,
    outputWeights: values(c * m, 40), outputBias: withBiases ? values(c, 60) : null,
  };
}

async function roundTrip(found: FoundNetwork, name: string) {
  const path = join(dir, name);
  writeFileSync(path, foundNetworkToSafetensors(found));
  return loadModel(path);
}

describe('foundNetworkToSafetensors', () => {
  it('writes PyTorch Sequential names, F32 and the activation in __metadata__', () => {
    const bytes = foundNetworkToSafetensors(network(true));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + headerLength) % 8, 0, 'tensor data starts 8-byte aligned');
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[] }>;
    assert.deepEqual(Object.keys(header).sort(), ['0.bias', '0.weight', '2.bias', '2.weight', '__metadata__']);
    assert.deepEqual(header['0.weight'], { dtype: 'F32', shape: [4, 3], data_offsets: [0, 48] });
    assert.deepEqual(header['2.weight']!.shape, [2, 4]);
    const parsed = parseSafetensors(bytes, 'x.safetensors');
    assert.equal(parsed.metadata.activation, 'relu');
    assert.equal(bytes.length, 8 + headerLength + 4 * (12 + 4 + 8 + 2));
  });

  it('round-trips through the engine loader with and without biases', async () => {
    for (const withBiases of [true, false]) {
      const found = network(withBiases);
      const model = await roundTrip(found, `rt-${withBiases}.safetensors`);
      assert.equal(model.inputDim, 3);
      assert.equal(model.hiddenDim, 4);
      assert.equal(model.outputDim, 2);
      assert.equal(model.activation.name, 'relu');
      assert.equal(model.activationSource, 'file');
      assert.deepEqual([...model.hiddenWeights], found.hiddenWeights);
      assert.deepEqual([...model.outputWeights], found.outputWeights);
      assert.deepEqual(model.hiddenBias ? [...model.hiddenBias] : null, found.hiddenBias);
      assert.deepEqual(model.outputBias ? [...model.outputBias] : null, found.outputBias);
    }
  });

  it('keeps a parametrised activation label readable (leaky_relu(0.1))', async () => {
    const model = await roundTrip(network(false, 'leaky_relu(0.1)'), 'leaky.safetensors');
    assert.deepEqual(model.activation, { name: 'leaky_relu', slope: 0.1 });
  });

  it('round-trips the flattest network of a real prediction report', async () => {
    const report = JSON.parse(readFileSync(join(__dirname, '..', 'webview', 'fixtures', 'prediction-report.json'), 'utf8')) as Report;
    const found = report.flattest!.network!;
    const model = await roundTrip(found, 'real.safetensors');
    assert.equal(model.hiddenDim, found.hiddenDim);
    assert.equal(model.inputDim, found.inputDim);
    const maxError = Math.max(...found.hiddenWeights.map((w, i) => Math.abs(w - model.hiddenWeights[i]!) / Math.max(1, Math.abs(w))));
    assert.ok(maxError < 1e-6, `float32 rounding only (${maxError})`);
    // The saved network is the one the report measured: same normalized flatness on the same rows.
    assert.equal(report.flattest!.trainingRowsUsed, report.data.n, 'the fixture used every training row');
    const data = await loadDataset(join(__dirname, '..', '..', report.data.path));
    const analysed = await analyzeLoaded(model, data, { backend: 'cpu' });
    const normalized = analysed.flatness.normalized.value!;
    assert.ok(Math.abs(normalized - report.flattest!.normalized!) / report.flattest!.normalized! < 1e-3, `F_sym ${normalized} vs F_found ${report.flattest!.normalized}`);
  });

  it('refuses arrays whose length does not match the shape, or non-finite values, with a FlatnessLensError', () => {
    assert.throws(() => foundNetworkToSafetensors({ ...network(false), hiddenWeights: [1, 2, 3] }), (e: unknown) => e instanceof FlatnessLensError && /0\.weight has 3 values, expected 12/.test(e.message));
    const bad = network(true);
    bad.outputBias![0] = Number.NaN;
    assert.throws(() => foundNetworkToSafetensors(bad), FlatnessLensError);
  });
});
