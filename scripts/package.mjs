#!/usr/bin/env node
// Packages the extension as flatness-lens-<version>.vsix with @vscode/vsce. vsce runs the
// "vscode:prepublish" script first (minified bundles, wasm binaries beside them). Works offline:
// --no-dependencies, because esbuild bundles everything the extension, its worker and its CLI
// (dist/cli.js) need. Usage: node scripts/package.mjs [--out=FILE] [--target=linux-x64|...]
// Without --target: the universal .vsix (wasm, no native files). With a target: a
// platform-specific .vsix that also carries that platform's WebGPU runtime (Dawn's dawn.node from
// the `webgpu` package) in dist/webgpu/<platform>/, where src/engine/compute/webgpu.ts looks,
// and onnxruntime-node with only that platform's native binary in dist/onnxruntime/node_modules/,
// where src/engine/compute/onnx/runtime.ts looks (the onnxruntime backend; wasm where absent).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outArgument = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const target = process.argv.find((a) => a.startsWith('--target='))?.slice('--target='.length);
// vsce targets -> the webgpu package's build directories (one universal binary for both macOS).
const DAWN_DIRECTORIES = {
  'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-universal', 'darwin-arm64': 'darwin-universal',
  'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64',
};
if (target !== undefined && !(target in DAWN_DIRECTORIES)) {
  console.error(`package: --target must be one of ${Object.keys(DAWN_DIRECTORIES).join(', ')} (the platforms the webgpu package ships)`);
  process.exit(2);
}
// vsce targets -> onnxruntime-node's bin/napi-v6/<platform>/<arch> (it ships no darwin-x64 binary).
const ORT_DIRECTORIES = {
  'linux-x64': 'linux/x64', 'linux-arm64': 'linux/arm64', 'darwin-arm64': 'darwin/arm64', 'win32-x64': 'win32/x64', 'win32-arm64': 'win32/arm64',
};
const out = outArgument ? resolve(outArgument) : join(root, `flatness-lens-${version}${target ? `-${target}` : ''}.vsix`);
const stagedRuntime = join(root, 'dist', 'webgpu');
const stagedOnnx = join(root, 'dist', 'onnxruntime');
rmSync(stagedRuntime, { recursive: true, force: true });
rmSync(stagedOnnx, { recursive: true, force: true });

/** onnxruntime-node's JavaScript, onnxruntime-common's CommonJS build and one platform's native files. */
function stageOnnxRuntime(platformDirectory) {
  const modules = join(stagedOnnx, 'node_modules');
  const node = join(root, 'node_modules', 'onnxruntime-node');
  const common = join(root, 'node_modules', 'onnxruntime-common');
  const binaries = join(node, 'bin', 'napi-v6', platformDirectory);
  if (!existsSync(binaries)) {
    console.error(`package: ${binaries} is missing: run npm install`);
    process.exit(1);
  }
  const javascriptOnly = (file) => !/\.(ts|map)$/.test(file) || statSync(file).isDirectory();
  cpSync(join(node, 'package.json'), join(modules, 'onnxruntime-node', 'package.json'));
  cpSync(join(node, 'dist'), join(modules, 'onnxruntime-node', 'dist'), { recursive: true, filter: javascriptOnly });
  cpSync(binaries, join(modules, 'onnxruntime-node', 'bin', 'napi-v6', platformDirectory), { recursive: true });
  cpSync(join(common, 'package.json'), join(modules, 'onnxruntime-common', 'package.json'));
  cpSync(join(common, 'dist', 'cjs'), join(modules, 'onnxruntime-common', 'dist', 'cjs'), { recursive: true, filter: javascriptOnly });
  mkdirSync(stagedOnnx, { recursive: true });
  const staged = readdirSync(join(modules, 'onnxruntime-node', 'bin', 'napi-v6', platformDirectory));
  console.log(`package: onnxruntime-node for ${platformDirectory} (${staged.join(', ')})`);
}
if (target) {
  const webgpuPackage = join(root, 'node_modules', 'webgpu');
  const source = join(webgpuPackage, 'dist', DAWN_DIRECTORIES[target]);
  if (!existsSync(join(source, 'dawn.node'))) {
    console.error(`package: ${join(source, 'dawn.node')} is missing: run npm install`);
    process.exit(1);
  }
  cpSync(source, join(stagedRuntime, DAWN_DIRECTORIES[target]), { recursive: true });
  cpSync(join(webgpuPackage, 'LICENSE.md'), join(stagedRuntime, 'LICENSE.md'));
  if (target in ORT_DIRECTORIES) stageOnnxRuntime(ORT_DIRECTORIES[target]);
}
const readme = existsSync(join(root, 'docs/extension.md')) ? ['--readme-path', 'docs/extension.md'] : [];
const result = spawnSync(process.execPath, [
  join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--no-update-package-json', ...readme,
  ...(target ? ['--target', target] : []), '--out', out,
], { cwd: root, stdio: 'inherit' });
rmSync(stagedRuntime, { recursive: true, force: true });
rmSync(stagedOnnx, { recursive: true, force: true });
if (result.status !== 0) process.exit(result.status ?? 1);
console.log(`package: ${out} (${(statSync(out).size / 1024 / 1024).toFixed(2)} MB)`);
