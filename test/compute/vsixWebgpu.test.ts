/**
 * The GPU runtime and onnxruntime's native CPU kernels ship only in platform-specific packages:
 * `node scripts/package.mjs --target=<this platform>` carries Dawn's dawn.node and
 * onnxruntime-node's binary for this platform (and no other), the universal .vsix carries none
 * and says so when webgpu is forced. The extracted platform package runs the webgpu backend from
 * its own files (on SwiftShader where installed), and picks onnxruntime by itself.
 *
 * The universal .vsix: $FLATNESS_VSIX when set (scripts/test.sh packages it once), else packaged here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { unzipSync } from 'fflate';
import type { Report } from '../../src/shared/report';

const ROOT = join(__dirname, '..', '..');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** vsce target and the webgpu package's directory for this machine, if Dawn ships one. */
function hostTarget(): { target: string; directory: string } | null {
  const key = `${process.platform}-${process.arch}`;
  const directories: Record<string, string> = {
    'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-universal', 'darwin-arm64': 'darwin-universal',
    'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64',
  };
  return key in directories ? { target: key, directory: directories[key]! } : null;
}

function packageVsix(out: string, target?: string): string {
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts/package.mjs'), `--out=${out}`, ...(target ? [`--target=${target}`] : [])], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, `packaging failed:\n${result.stdout}\n${result.stderr}`);
  return out;
}

function entries(vsix: string): Record<string, Uint8Array> {
  return unzipSync(readFileSync(vsix));
}

function extract(files: Record<string, Uint8Array>, target: string): void {
  for (const [name, bytes] of Object.entries(files)) {
    const destination = join(target, name);
    assert.ok(destination.startsWith(target + sep), `zip entry ${name} escapes the folder`);
    if (name.endsWith('/')) continue;
    mkdirSync(dirname(destination), { recursive: true });
    writeFileSync(destination, bytes);
  }
}

const host = hostTarget();
/** vsce target -> onnxruntime-node's bin/napi-v6 directory (none for darwin-x64). */
const ORT_DIRECTORIES: Record<string, string> = {
  'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64',
};

describe('GPU runtime in the packages', { skip: host === null ? `Dawn ships no runtime for ${process.platform}-${process.arch}` : false, timeout: 900_000 }, () => {
  let scratch: string;
  let universal: Record<string, Uint8Array>;
  let platform: Record<string, Uint8Array>;

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'flatness-vsix-gpu-'));
    const given = process.env.FLATNESS_VSIX;
    universal = entries(given && existsSync(given) ? given : packageVsix(join(scratch, 'universal.vsix')));
    platform = entries(packageVsix(join(scratch, `${host!.target}.vsix`), host!.target));
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('the universal .vsix carries no native file', () => {
    const native = Object.keys(universal).filter((name) => name.includes('dist/webgpu/') || name.includes('dist/onnxruntime/') || name.endsWith('.node'));
    assert.deepEqual(native, []);
    assert.ok(Object.keys(universal).includes('extension/dist/worker.js'));
  });

  it(`the ${host?.target} .vsix carries this platform's dawn.node and its license, and no other platform's`, () => {
    const names = Object.keys(platform);
    const gpuFiles = names.filter((name) => name.includes('dist/webgpu/'));
    assert.ok(gpuFiles.includes(`extension/dist/webgpu/${host!.directory}/dawn.node`), gpuFiles.join(', '));
    assert.ok(gpuFiles.includes('extension/dist/webgpu/LICENSE.md'));
    assert.deepEqual(gpuFiles.filter((name) => !name.startsWith(`extension/dist/webgpu/${host!.directory}/`) && !name.endsWith('LICENSE.md')), []);
    const dawn = platform[`extension/dist/webgpu/${host!.directory}/dawn.node`]!;
    assert.ok(dawn.length > 1_000_000, `dawn.node is ${dawn.length} bytes`);
    // Everything else is the universal package's content.
    assert.deepEqual(names.filter((name) => !gpuFiles.includes(name) && !name.includes('dist/onnxruntime/')).sort(), Object.keys(universal).sort());
  });

  it(`the ${host?.target} .vsix carries onnxruntime-node with this platform's binary only`, (t) => {
    const ort = ORT_DIRECTORIES[host!.target];
    if (!ort) {
      t.skip(`onnxruntime-node ships no binary for ${host!.target}`);
      return;
    }
    const names = Object.keys(platform).filter((name) => name.includes('dist/onnxruntime/'));
    const prefix = 'extension/dist/onnxruntime/node_modules/onnxruntime-node/bin/napi-v6/';
    const binaries = names.filter((name) => name.startsWith(prefix));
    assert.ok(binaries.includes(`${prefix}${ort}/onnxruntime_binding.node`), binaries.join(', '));
    assert.deepEqual(binaries.filter((name) => !name.startsWith(`${prefix}${ort}/`)), []);
    assert.ok(names.includes('extension/dist/onnxruntime/node_modules/onnxruntime-common/dist/cjs/index.js'));
    assert.deepEqual(names.filter((name) => /\.(ts|map)$/.test(name)), [], 'JavaScript only');
  });

  const example = ['--model', join('examples', 'multi-index', 'generalizing.safetensors'), '--data', join('examples', 'multi-index', 'train.npz')];

  it('the universal package refuses --backend webgpu with one line naming the platform package', () => {
    const folder = join(scratch, 'universal');
    extract(universal, folder);
    const extension = join(folder, 'extension');
    const result = spawnSync(process.execPath, [join('dist', 'cli.js'), 'analyze', '--quiet', ...example, '--backend', 'webgpu', '--json', join(folder, 'out.json')], {
      cwd: extension, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: folder },
    });
    assert.equal(result.status, 2, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /webgpu.*no WebGPU runtime.*platform-specific \.vsix/);
  });

  it('the extracted platform package picks onnxruntime by itself and reproduces the example\'s reference trace', (t) => {
    if (!ORT_DIRECTORIES[host!.target]) {
      t.skip(`onnxruntime-node ships no binary for ${host!.target}`);
      return;
    }
    const folder = join(scratch, 'platform-ort');
    extract(platform, folder);
    const extension = join(folder, 'extension');
    const out = join(folder, 'out.json');
    // Small chunks: the pass has several, so it runs on the session threads.
    const result = spawnSync(process.execPath, [join('dist', 'cli.js'), 'analyze', '--quiet', ...example, '--chunk-rows', '32', '--json', out], {
      cwd: extension, encoding: 'utf8', timeout: 600_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: folder },
    });
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.backend.name, 'onnxruntime', report.backend.fallbacks.join('; '));
    assert.equal(report.backend.chunkRows, 32);
    assert.match(report.backend.kernels ?? '', /^onnxruntime \d+\.\d+\.\d+ CPU$/);
    assert.ok((report.backend.threads ?? 0) >= 1);
    // The session threads' script (dist/onnxThread.js) is packaged and starts: one lane per core.
    assert.equal(report.backend.lanes, report.backend.threads, JSON.stringify(report.backend));
    const reference = (JSON.parse(readFileSync(join(extension, 'examples', 'multi-index', 'reference.json'), 'utf8')) as { generalizing: { rawTrace: number } }).generalizing;
    assert.ok(Math.abs(report.flatness.trace - reference.rawTrace) <= 1e-6 * reference.rawTrace, `trace ${report.flatness.trace} vs ${reference.rawTrace}`);
  });

  it('the extracted platform package runs the webgpu backend from its own dawn.node (SwiftShader)', (t) => {
    if (process.platform !== 'linux' || !existsSync(SWIFTSHADER_ICD)) {
      t.skip(`install chromium (Debian) for the SwiftShader Vulkan driver at ${SWIFTSHADER_ICD}, and libvulkan1`);
      return;
    }
    const folder = join(scratch, 'platform');
    extract(platform, folder);
    const extension = join(folder, 'extension');
    const out = join(folder, 'out.json');
    const result = spawnSync(process.execPath, [join('dist', 'cli.js'), 'analyze', '--quiet', ...example, '--backend', 'webgpu', '--json', out], {
      cwd: extension, encoding: 'utf8', timeout: 600_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: folder, VK_ICD_FILENAMES: SWIFTSHADER_ICD },
    });
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    assert.equal(report.backend.name, 'webgpu');
    assert.match(report.backend.adapter?.description ?? '', /SwiftShader/);
    assert.equal(report.backend.adapter?.software, true);
  });
});
