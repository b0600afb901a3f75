/**
 * The example's generalizing network rescaled per neuron by factors up to 1e25 (and down to 1e-25),
 * written as float64 and float32 safetensors files: every symmetry-invariant figure must match the
 * original file's, and nothing in the report may be Infinity or NaN.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../../src/engine/compute/backend';
import { testBackend } from '../helpers/testBackend';
import { analyzeFiles } from '../../src/engine/analyze';
import { curvatureSettings, setCurvatureSettings } from '../../src/engine/curvature/section';
import { loadModel } from '../../src/engine/load/modelLoader';
import type { Report } from '../../src/shared/report';
import type { TwoLayerModel } from '../../src/engine/model/types';
import { relativeError } from '../helpers/tinyNetworks';

const root = path.resolve(__dirname, '..', '..');
const example = path.join(root, 'examples', 'multi-index');
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-rescaled-'));

/** Minimal safetensors writer (PyTorch Sequential names), F32 or F64. */
function writeSafetensors(file: string, model: TwoLayerModel, dtype: 'F32' | 'F64'): void {
  const entries: Array<[string, number[], Float64Array]> = [
    ['0.weight', [model.hiddenDim, model.inputDim], model.hiddenWeights],
    ['2.weight', [model.outputDim, model.hiddenDim], model.outputWeights],
  ];
  const width = dtype === 'F32' ? 4 : 8;
  const header: Record<string, unknown> = { __metadata__: { activation: 'relu' } };
  let offset = 0;
  for (const [name, shape, values] of entries) {
    header[name] = { dtype, shape, data_offsets: [offset, offset + values.length * width] };
    offset += values.length * width;
  }
  const json = Buffer.from(JSON.stringify(header).padEnd(Math.ceil(JSON.stringify(header).length / 8) * 8, ' '));
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let position = 8 + json.length;
  for (const [, , values] of entries) {
    for (const value of values) {
      if (dtype === 'F32') out.writeFloatLE(value, position); else out.writeDoubleLE(value, position);
      position += width;
    }
  }
  fs.writeFileSync(file, out);
}

/** Neuron j rescaled by t_j = 10^(±(19 + 6 j / (m - 1))): (a_j / t_j, t_j w_j). */
function rescaled(model: TwoLayerModel, sign: (j: number) => number): TwoLayerModel {
  const { inputDim: d, hiddenDim: m } = model;
  const hiddenWeights = model.hiddenWeights.slice();
  const outputWeights = model.outputWeights.slice();
  for (let j = 0; j < m; j++) {
    const t = 10 ** (sign(j) * (19 + (6 * j) / (m - 1)));
    for (let l = 0; l < d; l++) hiddenWeights[j * d + l] = hiddenWeights[j * d + l]! * t;
    outputWeights[j] = outputWeights[j]! / t;
  }
  return { ...model, hiddenWeights, outputWeights };
}

function nonFinitePaths(value: unknown, at = 'report'): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinitePaths(v, `${at}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFinitePaths(v, `${at}.${k}`));
  return [];
}

const INVARIANT = ['normalized', 'invariantDiagonal', 'pathNorm', 'lowerBound', 'ratio'] as const;

async function analyze(modelPath: string): Promise<Report> {
  return analyzeFiles({ modelPath, dataPath: path.join(example, 'train.npz'), backend: 'wasm' });
}

before(async () => { await initBackend(testBackend()); });

describe('extreme per-neuron rescalings of the example\'s generalizing network', () => {
  let original: Report;
  let model: TwoLayerModel;
  before(async () => {
    const file = path.join(example, 'generalizing.safetensors');
    original = await analyze(file);
    model = await loadModel(file);
  });

  const variants: Array<[string, 'F32' | 'F64', (j: number) => number]> = [
    ['float64, up by 1e19..1e25', 'F64', () => 1],
    ['float32, up by 1e19..1e25', 'F32', () => 1],
    ['float64, alternately up and down by 1e19..1e25', 'F64', (j) => (j % 2 ? -1 : 1)],
    ['float32, alternately up and down by 1e19..1e25', 'F32', (j) => (j % 2 ? -1 : 1)],
  ];
  for (const [label, dtype, sign] of variants) {
    test(`${label}: the same invariant figures, verdict and prediction inputs; no Infinity or NaN`, async () => {
      const file = path.join(directory, `${label.replace(/[^a-z0-9]+/gi, '_')}.safetensors`);
      writeSafetensors(file, rescaled(model, sign), dtype);
      const report = await analyze(file);
      assert.deepEqual(nonFinitePaths(report), [], 'every number in the report is finite');
      for (const key of INVARIANT) {
        const before = original.flatness[key].value!;
        const after = report.flatness[key].value;
        assert.ok(after !== null && relativeError(after, before) < 1e-6, `${key}: ${before} -> ${after}`);
      }
      assert.equal(report.verdict.level, original.verdict.level);
      assert.equal(report.verdict.headline, original.verdict.headline);
      for (let j = 0; j < model.hiddenDim; j++) {
        const row = report.flatness.perNeuron[j]!;
        const reference = original.flatness.perNeuron[j]!;
        assert.equal(row.status, reference.status, `neuron ${j} status`);
        if (reference.normalized === null) { assert.equal(row.normalized, null); continue; }
        assert.ok(relativeError(row.normalized!, reference.normalized) < 1e-5 || Math.abs(row.normalized! - reference.normalized) < 1e-9 * original.flatness.normalized.value!,
          `neuron ${j} normalized ${reference.normalized} -> ${row.normalized}`);
        // Raw terms move by the rescaling exactly: A_j by t^2, B_j by t^-2.
        const t = 10 ** (sign(j) * (19 + (6 * j) / (model.hiddenDim - 1)));
        if (reference.a > 0) assert.ok(relativeError(row.a, reference.a * t * t) < 1e-4, `neuron ${j} raw A ${row.a} vs ${reference.a * t * t}`);
        if (reference.b > 0) assert.ok(relativeError(row.b, reference.b / (t * t)) < 1e-4, `neuron ${j} raw B ${row.b} vs ${reference.b / (t * t)}`);
        if (reference.optimalScale !== null) assert.ok(relativeError(row.optimalScale! * t, reference.optimalScale) < 1e-5, `neuron ${j} t* ${reference.optimalScale} -> ${row.optimalScale}`);
      }
      assert.equal(report.interpolation.interpolates, original.interpolation.interpolates);
      if (!report.flatness.lowerBoundAtModelBias) assert.fail('lowerBoundAtModelBias is reported');
      assert.ok(relativeError(report.loss.value, original.loss.value) < 1e-3, `training loss ${original.loss.value} -> ${report.loss.value}`);
    });
  }

  test('curvature sections: the raw ones are refused with a reason, the canonical ones match the original\'s', async (t) => {
    const sections = { spectrum: true, sharpness: true, landscape: true };
    const saved = { ...curvatureSettings };
    setCurvatureSettings({ spectrum: { topK: 3, bottomK: 2 }, sharpness: { rhos: [0.05], averageSamples: 2, randomStarts: 1 }, landscape: { points1d: 9, twoD: false } });
    t.after(() => setCurvatureSettings(saved));
    const file = path.join(directory, 'curvature.safetensors');
    writeSafetensors(file, rescaled(model, (j) => (j % 2 ? -1 : 1)), 'F32');
    const [reference, report] = [
      await analyzeFiles({ modelPath: path.join(example, 'generalizing.safetensors'), dataPath: path.join(example, 'train.npz'), backend: 'wasm', sections }),
      await analyzeFiles({ modelPath: file, dataPath: path.join(example, 'train.npz'), backend: 'wasm', sections }),
    ];
    assert.deepEqual(nonFinitePaths(report), [], 'every number in the report is finite');
    assert.equal(report.spectrum, undefined);
    assert.equal(report.sharpness, undefined);
    assert.equal(report.landscape, undefined);
    assert.ok(report.warnings.some((w) => /beyond float32 range/.test(w)), report.warnings.join('\n'));
    const [a, b] = [reference.canonical!, report.canonical!];
    for (let k = 0; k < 3; k++) {
      assert.ok(relativeError(b.spectrum!.top[k]!, a.spectrum!.top[k]!) < 1e-3, `canonical top ${k}: ${a.spectrum!.top[k]} vs ${b.spectrum!.top[k]}`);
    }
    for (let r = 0; r < a.sharpness!.adaptive.length; r++) {
      assert.ok(relativeError(b.sharpness!.adaptive[r]!.lossIncrease, a.sharpness!.adaptive[r]!.lossIncrease) < 1e-2, `canonical adaptive sharpness ${r}`);
    }
    // Adaptive sharpness is invariant: the original file's raw value equals its canonical one.
    for (let r = 0; r < a.sharpness!.adaptive.length; r++) {
      const raw = reference.sharpness!.adaptive[r]!.lossIncrease;
      const canonical = a.sharpness!.adaptive[r]!.lossIncrease;
      assert.ok(relativeError(raw, canonical) < 1e-2, `raw ${raw} vs canonical ${canonical} at rho ${reference.sharpness!.adaptive[r]!.rho}`);
    }
  });
});

describe('trace terms that overflow float32 even at the balanced rescaling', () => {
  test('are reported as not finite with a reason, never as numbers or "ok"', async () => {
    const { computeCurvatureSums } = await import('../../src/engine/analysis/curvatureSums');
    const { buildFlatnessSection } = await import('../../src/engine/analysis/flatness');
    const { makeLossSpec } = await import('../../src/engine/math/losses');
    const { SeededRandom } = await import('../../src/engine/math/random');
    const { randomData, randomModel } = await import('../helpers/tinyNetworks');
    const random = new SeededRandom(130);
    const model = randomModel({ d: 2, m: 3, c: 1, hiddenBias: false, outputBias: false, activation: { name: 'abs' } }, random);
    const data = randomData(5, 2, 1, random);
    data.inputs[0] = 1e25; // |z| ~ 1e25 for every neuron: sigma(z)^2 overflows float32
    const spec = makeLossSpec('mse', 1);
    const flatness = buildFlatnessSection(model, spec, await computeCurvatureSums(model, data, spec));
    assert.equal(flatness.normalized.value, null);
    assert.match(flatness.normalized.reason!, /not finite/);
    assert.equal(flatness.ratio.value, null);
    for (const row of flatness.perNeuron) {
      assert.equal(row.status, 'not-finite');
      assert.equal(row.normalized, null);
    }
  });
});
