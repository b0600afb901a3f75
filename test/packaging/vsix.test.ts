/**
 * What users install is what works: the .vsix, unzipped alone into an empty folder (no
 * node_modules anywhere above it), runs its own engine CLI (`dist/cli.js`) on the example it
 * carries, on the bundled wasm backend (the native onnxruntime ships only in platform packages:
 * test/compute/vsixWebgpu.test.ts), and reads HDF5 and ONNX files with what it bundles.
 *
 * The .vsix: $FLATNESS_VSIX when set (scripts/test.sh packages once for this test and the
 * end-to-end test), else `node scripts/package.mjs` into a temporary folder (a minute or two).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { unzipSync } from 'fflate';
import type { Report } from '../../src/shared/report';
import { formatFixture, loadReference } from '../formats/helpers';

const ROOT = join(__dirname, '..', '..');

interface ExampleReference { rawTrace: number; normalizedFlatness: number; lowerBound: number; ratio: number }

function packagedVsix(scratch: string): string {
  const given = process.env.FLATNESS_VSIX;
  if (given) {
    assert.ok(existsSync(given), `FLATNESS_VSIX=${given} does not exist`);
    return given;
  }
  const out = join(scratch, 'flatness-lens-test.vsix');
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/package.mjs'), `--out=${out}`], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, `packaging failed:\n${result.stdout}\n${result.stderr}`);
  return out;
}

/** Unzips into `target`, refusing entries that would land outside it. */
function extract(vsix: string, target: string): void {
  for (const [name, bytes] of Object.entries(unzipSync(readFileSync(vsix)))) {
    const destination = join(target, name);
    assert.ok(destination.startsWith(target + sep), `zip entry ${name} escapes the folder`);
    if (name.endsWith('/')) continue;
    mkdirSync(dirname(destination), { recursive: true });
    writeFileSync(destination, bytes);
  }
}

describe('the packaged .vsix, extracted alone', () => {
  let scratch: string;
  let folder: string;
  let extension: string;

  /** Runs the extracted CLI from the extracted folder with a minimal environment. */
  function cli(...args: string[]) {
    return spawnSync(process.execPath, [join(extension, 'dist', 'cli.js'), ...args], {
      cwd: folder, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: folder, NO_COLOR: '1' },
    });
  }

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'flatness-vsix-build-'));
    const vsix = packagedVsix(scratch);
    folder = mkdtempSync(join(tmpdir(), 'flatness-vsix-'));
    extract(vsix, folder);
    extension = join(folder, 'extension');
  });

  after(() => {
    rmSync(folder, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('carries the CLI, the wasm binaries, the icon, the license and no node_modules', () => {
    const dist = readdirSync(join(extension, 'dist'));
    for (const file of ['cli.js', 'worker.js', 'extension.js', 'webview.js', 'tfjs-backend-wasm-simd.wasm']) assert.ok(dist.includes(file), `dist/${file}`);
    assert.equal(existsSync(join(extension, 'node_modules')), false);
    const manifest = JSON.parse(readFileSync(join(extension, 'package.json'), 'utf8')) as { icon?: string; repository?: unknown };
    assert.ok(manifest.icon && existsSync(join(extension, manifest.icon)), 'the icon named in package.json is packaged');
    assert.ok(manifest.repository, 'repository field');
    assert.ok(readdirSync(extension).some((f) => /^license/i.test(f)), 'a LICENSE file');
    const nls = JSON.parse(readFileSync(join(extension, 'package.nls.json'), 'utf8')) as Record<string, string>;
    assert.ok(Object.keys(nls).length > 0, 'package.nls.json: the English text behind the manifest\'s %key% references');
  });

  it('analyses the example it carries on the bundled wasm backend, with the reference numbers', () => {
    const example = join(extension, 'examples', 'multi-index');
    const out = join(folder, 'generalizing.json');
    const result = cli('analyze', '--model', join(example, 'generalizing.safetensors'), '--data', join(example, 'train.npz'), '--json', out, '--quiet');
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '', 'nothing on stderr with --quiet');
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.backend.name, 'wasm', `backend ${report.backend.name}; fallbacks: ${report.backend.fallbacks.join('; ')}`);
    assert.ok(!report.backend.fallbacks.some((f) => f.startsWith('wasm')), 'wasm did not fail');
    // The universal package ships no native onnxruntime: auto says so and falls back to wasm.
    assert.ok(report.backend.fallbacks.includes('onnxruntime: onnxruntime-node is not installed (the platform-specific .vsix ships it)'), report.backend.fallbacks.join('; '));
    assert.equal(report.backend.kernels, 'tfjs-backend-wasm 4.22.0 SIMD');
    assert.equal(report.backend.threads, 1);
    const reference = (JSON.parse(readFileSync(join(example, 'reference.json'), 'utf8')) as { generalizing: ExampleReference }).generalizing;
    const close = (actual: number | null | undefined, expected: number) => actual != null && Math.abs(actual - expected) <= 1e-3 * Math.abs(expected);
    assert.ok(close(report.flatness.trace, reference.rawTrace), `trace ${report.flatness.trace} vs ${reference.rawTrace}`);
    assert.ok(close(report.flatness.ratio.value, reference.ratio), `ratio ${report.flatness.ratio.value} vs ${reference.ratio}`);
  });

  for (const id of ['simple_mlp_h5', 'gemm_tanh_softmax_onnx']) {
    it(`reads ${id.replace(/_([a-z0-9]+)$/, '.$1')} with the loaders it bundles`, () => {
      const reference = loadReference(id);
      const header = [...Array.from({ length: reference.inputDim }, (_, i) => `x${i}`), ...Array.from({ length: reference.outputDim }, (_, i) => `y${i}`)];
      const rows = Array.from({ length: 20 }, (_, r) => header.map((_, c) => (((r * 7 + c * 3) % 11) / 11 - 0.5).toFixed(4)).join(','));
      const data = join(folder, `${id}.csv`);
      writeFileSync(data, `${header.join(',')}\n${rows.join('\n')}\n`);
      const out = join(folder, `${id}.json`);
      const result = cli('analyze', '--model', formatFixture(reference.file), '--data', data, '--target-columns', String(reference.outputDim),
        '--activation', reference.activation, '--backend', 'wasm', '--json', out, '--quiet');
      assert.equal(result.status, 0, result.stderr);
      const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
      assert.equal(report.model.hiddenDim, reference.hiddenDim);
      assert.ok(Number.isFinite(report.flatness.trace));
    });
  }
});
