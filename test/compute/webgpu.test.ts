/**
 * The webgpu backend (Dawn through the `webgpu` package) against the wasm backend, on the
 * SwiftShader Vulkan driver that Debian's chromium ships: a software adapter, so the networks
 * are tiny. Where the Vulkan loader or SwiftShader is missing the test installs them with apt
 * (as root), else it is skipped with a message naming what to install.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, isGpuFailure } from '../../src/engine/compute/backend';
import { hasVulkanLoader, findDawnAddon, isSoftwareAdapter, loseWebGpuDeviceForTest, startWebGpu, stopWebGpu } from '../../src/engine/compute/webgpu';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { SeededRandom } from '../../src/engine/math/random';
import { makeLossSpec } from '../../src/engine/math/losses';
import { LossOperator } from '../../src/engine/curvature/lossOperator';
import { computeSpectra } from '../../src/engine/curvature/spectrum';
import type { Report } from '../../src/shared/report';
import type { TwoLayerModel } from '../../src/engine/model/types';
import type { Dataset } from '../../src/engine/data/types';
import { type TinySpec, randomData, randomModel } from '../helpers/tinyNetworks';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Installs the Vulkan loader and chromium (for SwiftShader) with apt when missing; returns why it cannot run, or null. */
function prepareSwiftShader(): string | null {
  if (process.platform !== 'linux') return 'SwiftShader through chromium is set up on Debian/Ubuntu Linux only';
  if (findDawnAddon() === null) return `the webgpu package has no dawn.node for ${process.platform}-${process.arch}: run npm install`;
  const missing = [!hasVulkanLoader() ? 'libvulkan1' : null, !fs.existsSync(SWIFTSHADER_ICD) ? 'chromium' : null].filter((name): name is string => name !== null);
  if (missing.length > 0) {
    const canInstall = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
    if (!canInstall) return `install ${missing.join(' and ')} (apt-get install ${missing.join(' ')}) for the Vulkan loader and the SwiftShader driver`;
    const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
    if (result.status !== 0 || !hasVulkanLoader() || !fs.existsSync(SWIFTSHADER_ICD)) return `apt-get install ${missing.join(' ')} failed: install them by hand`;
  }
  return null;
}

const unavailable = prepareSwiftShader();
if (unavailable === null) {
  // Dawn reads these when it creates its Vulkan instance, on the first adapter request.
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-xdg-'));
}

interface Case {
  name: string;
  spec: TinySpec;
  n: number;
  loss: 'mse' | 'ce';
}

const CASES: Case[] = [
  { name: 'ReLU, squared error, biases', spec: { d: 5, m: 8, c: 1, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, n: 48, loss: 'mse' },
  { name: 'tanh, two outputs (second-derivative terms)', spec: { d: 4, m: 6, c: 2, hiddenBias: true, outputBias: false, activation: { name: 'tanh' } }, n: 40, loss: 'mse' },
  { name: 'leaky ReLU, cross-entropy, 3 classes', spec: { d: 4, m: 7, c: 3, hiddenBias: false, outputBias: true, activation: { name: 'leaky_relu', alpha: 0.1 } }, n: 36, loss: 'ce' },
];

function inputsOf(testCase: Case, seed: number): { model: TwoLayerModel; data: Dataset } {
  const random = new SeededRandom(seed);
  const model = randomModel(testCase.spec, random);
  const data = randomData(testCase.n, testCase.spec.d, testCase.loss === 'ce' ? 1 : testCase.spec.c, random, testCase.loss === 'ce' ? testCase.spec.c : undefined);
  return { model, data };
}

function assertClose(actual: number | null, expected: number | null, what: string, tolerance = 1e-4): void {
  assert.ok(actual !== null && expected !== null, `${what}: ${actual} vs ${expected}`);
  const scale = Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(actual - expected) <= tolerance * scale, `${what}: webgpu ${actual} vs wasm ${expected}`);
}

function assertSameFigures(gpu: Report, wasm: Report, label: string): void {
  assertClose(gpu.flatness.trace, wasm.flatness.trace, `${label} trace`);
  for (const key of ['normalized', 'invariantDiagonal', 'pathNorm', 'lowerBound', 'ratio'] as const) {
    assert.equal(gpu.flatness[key].value === null, wasm.flatness[key].value === null, `${label} ${key} defined on one backend only`);
    if (wasm.flatness[key].value !== null) assertClose(gpu.flatness[key].value, wasm.flatness[key].value, `${label} ${key}`);
  }
  assertClose(gpu.loss.value, wasm.loss.value, `${label} loss`);
}

/** Hessian-vector products and top eigenvalues through the backend products (not the float64 path small problems take). */
async function backendCurvature(testCase: Case, fastPath: boolean): Promise<{ products: Float64Array[]; top: number[] }> {
  const { model, data } = inputsOf(testCase, 7);
  const operator = await LossOperator.prepare(model, data, makeLossSpec(testCase.loss, model.outputDim), { products: 'backend', fastPath });
  try {
    const random = new SeededRandom(11);
    const products = await operator.hessianVectorProducts([random.normals(operator.layout.size), random.normals(operator.layout.size)]);
    const [spectrum] = await computeSpectra(operator, [{ scaling: null }], { topK: 3, bottomK: 0 });
    return { products, top: spectrum!.report.top };
  } finally {
    operator.dispose();
  }
}

const CURVATURE_RUNS = CASES.flatMap((testCase) => (testCase.spec.c === 1 ? [true, false] : [false]).map((fastPath) => ({ testCase, fastPath })));

describe('webgpu backend on SwiftShader', { skip: unavailable ?? false, timeout: 900_000 }, () => {
  const wasmReports = new Map<string, Report>();
  const wasmCurvature = new Map<string, { products: Float64Array[]; top: number[] }>();

  before(async () => {
    await initBackend('wasm');
    for (const testCase of CASES) {
      const { model, data } = inputsOf(testCase, 7);
      const sections = testCase.loss === 'mse' && testCase.spec.c === 1 ? { spectrum: true, sharpness: true, landscape: true } : {};
      wasmReports.set(testCase.name, await analyzeLoaded(model, data, { backend: 'wasm', loss: testCase.loss, sections }));
    }
    for (const { testCase, fastPath } of CURVATURE_RUNS) wasmCurvature.set(`${testCase.name} ${fastPath}`, await backendCurvature(testCase, fastPath));
  });

  after(() => stopWebGpu());

  it('without any Vulkan driver the probe reports "no adapter" (before Dawn is loaded here)', async () => {
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = path.join(os.tmpdir(), 'flatness-no-such-icd.json');
    try {
      await assert.rejects(startWebGpu(false), /^Error: no adapter \(no GPU with a Vulkan, Metal or Direct3D 12 driver was found\)$/);
    } finally {
      process.env.VK_ICD_FILENAMES = saved;
    }
  });

  it('the CLI: auto never picks the software adapter and says why; --backend webgpu names it and gives the wasm figures', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-webgpu-'));
    const analyze = (backend: string): Report => {
      const out = path.join(directory, `${backend}.json`);
      const result = spawnSync(process.execPath, [
        path.join('bin', 'flatness-lens.js'), 'analyze', '--quiet',
        '--model', path.join('examples', 'multi-index', 'generalizing.safetensors'),
        '--data', path.join('examples', 'multi-index', 'train.npz'),
        '--backend', backend, '--json', out,
      ], { encoding: 'utf8', env: { ...process.env, FLATNESS_LENS_FROM_SOURCE: '1' }, timeout: 300_000 });
      assert.equal(result.status, 0, `analyze --backend ${backend}: ${result.stderr}`);
      return JSON.parse(fs.readFileSync(out, 'utf8')) as Report;
    };
    try {
      const auto = analyze('auto');
      assert.notEqual(auto.backend.name, 'webgpu');
      assert.equal(auto.backend.adapter, undefined);
      const reason = auto.backend.fallbacks.find((line) => line.startsWith('webgpu: '));
      assert.ok(reason && /software adapter only \(SwiftShader/.test(reason), `fallbacks: ${auto.backend.fallbacks.join('; ')}`);
      const gpu = analyze('webgpu');
      assert.equal(gpu.backend.name, 'webgpu');
      assert.match(gpu.backend.adapter?.description ?? '', /SwiftShader/);
      assert.equal(gpu.backend.adapter?.software, true);
      assertSameFigures(gpu, analyze('wasm'), 'example');
      // Forced without any driver: exit 2 and one line, none of the drivers' console messages.
      const refused = spawnSync(process.execPath, [
        path.join('bin', 'flatness-lens.js'), 'analyze', '--quiet',
        '--model', path.join('examples', 'multi-index', 'generalizing.safetensors'),
        '--data', path.join('examples', 'multi-index', 'train.npz'),
        '--backend', 'webgpu', '--json', path.join(directory, 'refused.json'),
      ], { encoding: 'utf8', env: { ...process.env, FLATNESS_LENS_FROM_SOURCE: '1', VK_ICD_FILENAMES: path.join(directory, 'no-such-icd.json') }, timeout: 300_000 });
      assert.equal(refused.status, 2, refused.stderr);
      assert.deepEqual(refused.stderr.trim().split('\n'), ["flatness-lens: backend 'webgpu' is not available (webgpu: no adapter (no GPU with a Vulkan, Metal or Direct3D 12 driver was found))"]);
      assert.equal(fs.existsSync(path.join(directory, 'refused.json')), false);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('recognizes software adapters by name and by the fallback flag', () => {
    assert.equal(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'mesa', device: 'lavapipe' }), true);
    assert.equal(isSoftwareAdapter({ vendor: 'x', description: 'y' }, true), true);
    assert.equal(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060' }), false);
  });

  for (const testCase of CASES) {
    it(`--backend webgpu gives the wasm figures to 1e-4: ${testCase.name}`, async () => {
      const { model, data } = inputsOf(testCase, 7);
      const wasm = wasmReports.get(testCase.name)!;
      const sections = testCase.loss === 'mse' && testCase.spec.c === 1 ? { spectrum: true, sharpness: true, landscape: true } : {};
      const gpu = await analyzeLoaded(model, data, { backend: 'webgpu', loss: testCase.loss, sections });
      assert.equal(gpu.backend.name, 'webgpu');
      assert.equal(gpu.backend.requested, 'webgpu');
      assert.ok(gpu.backend.adapter, 'the report names the adapter');
      assert.equal(gpu.backend.adapter.software, true);
      assert.match(gpu.backend.adapter.description, /SwiftShader/);
      assertSameFigures(gpu, wasm, testCase.name);
      for (let j = 0; j < wasm.flatness.perNeuron.length; j++) {
        const [gpuRow, wasmRow] = [gpu.flatness.perNeuron[j]!, wasm.flatness.perNeuron[j]!];
        assertClose(gpuRow.a + gpuRow.b + gpuRow.c, wasmRow.a + wasmRow.b + wasmRow.c, `neuron ${j} trace`);
      }
      if (wasm.spectrum) {
        assert.ok(gpu.spectrum, 'spectrum ran on webgpu');
        assert.ok(wasm.spectrum.top.length >= 3);
        wasm.spectrum.top.forEach((value, k) => assertClose(gpu.spectrum!.top[k]!, value, `top eigenvalue ${k}`));
        assert.ok(gpu.sharpness && wasm.sharpness, 'sharpness ran on both');
        assert.ok(gpu.landscape && wasm.landscape, 'landscape ran on both');
        const gpuCurve = gpu.landscape.oneD[0]!.loss;
        wasm.landscape.oneD[0]!.loss.forEach((value, k) => assertClose(gpuCurve[k]!, value, `1D landscape point ${k}`));
      }
    });
  }

  for (const { testCase, fastPath } of CURVATURE_RUNS) {
    it(`Hessian-vector products and top eigenvalues on the device equal wasm's to 1e-4: ${testCase.name}${fastPath ? ' (fast scalar path)' : ''}`, async () => {
      await initBackend('webgpu');
      const gpu = await backendCurvature(testCase, fastPath);
      const wasm = wasmCurvature.get(`${testCase.name} ${fastPath}`)!;
      gpu.products.forEach((product, b) => {
        const reference = wasm.products[b]!;
        let difference = 0;
        let norm = 0;
        for (let p = 0; p < reference.length; p++) { difference += (product[p]! - reference[p]!) ** 2; norm += reference[p]! ** 2; }
        assert.ok(Math.sqrt(difference) <= 1e-4 * Math.sqrt(norm), `H v ${b}: relative difference ${Math.sqrt(difference / norm)}`);
      });
      assert.equal(gpu.top.length, 3);
      wasm.top.forEach((value, k) => assertClose(gpu.top[k]!, value, `top eigenvalue ${k}`));
    });
  }

  it('tells GPU failures (out of memory, lost device) from other errors, only while webgpu runs', async () => {
    await initBackend('webgpu');
    assert.equal(isGpuFailure(new Error('GPUOutOfMemoryError: Out of memory while allocating a buffer')), true);
    assert.equal(isGpuFailure(new Error('Buffer size exceeds maxStorageBufferBindingSize')), true);
    assert.equal(isGpuFailure(new Error('data.npz: the loss is not finite on this data')), false);
    await initBackend('wasm');
    assert.equal(isGpuFailure(new Error('GPUOutOfMemoryError: Out of memory')), false);
  });

  it('a lost GPU device falls back to a CPU backend (onnxruntime, else wasm) with a notice, and the figures stay the same', async () => {
    const testCase = CASES[0]!;
    const { model, data } = inputsOf(testCase, 7);
    await initBackend('webgpu');
    loseWebGpuDeviceForTest();
    const report = await analyzeLoaded(model, data, { backend: 'webgpu', loss: testCase.loss });
    assert.ok(['onnxruntime', 'wasm'].includes(report.backend.name), report.backend.name);
    assert.equal(report.backend.requested, 'webgpu');
    assert.equal(report.backend.switchedFrom?.name, 'webgpu');
    assert.match(report.backend.switchedFrom!.reason, /lost|destroyed/i);
    assert.ok(report.warnings.some((warning) => /GPU failed during the analysis/.test(warning)), report.warnings.join('\n'));
    assertSameFigures(report, wasmReports.get(testCase.name)!, 'after fallback');
  });
});
