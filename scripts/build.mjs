#!/usr/bin/env node
// Builds every bundle with esbuild into dist/:
//   extension.js (cjs, 'vscode' external), worker.js (the forked engine process), cli.js,
//   webview.js (browser iife), plus the tfjs wasm binaries and the codicons next to them.
// The worker and the CLI bundle the wasm backend (imported statically by the engine), so the
// .vsix runs without node_modules: `node <extension>/dist/cli.js analyze ...`.
// Usage: node scripts/build.mjs [--only=webview,worker,...] [--minify] [--sourcemap] [--watch]
import { build, context } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const minify = args.includes('--minify');
const watch = args.includes('--watch');
const sourcemap = args.includes('--sourcemap') || watch;
const wanted = (name) => !only || only.includes(name);

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // tfjs's cpu backend registers itself from its ES module entry only.
  mainFields: ['module', 'main'],
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  minify,
  sourcemap,
  logLevel: watch ? 'info' : 'warning',
  legalComments: 'none',
};

const configs = [];
if (wanted('extension')) {
  configs.push({ ...node, entryPoints: [join(root, 'src/extension/extension.ts')], outfile: join(dist, 'extension.js'), external: [...node.external, 'vscode'] });
}
if (wanted('worker')) {
  configs.push({ ...node, entryPoints: [join(root, 'src/worker/main.ts')], outfile: join(dist, 'worker.js') });
}
if (wanted('worker') || wanted('cli')) {
  // The HDF5 parsing thread (worker_threads), started by the CLI and the worker; stopped after a time budget.
  configs.push({ ...node, entryPoints: [join(root, 'src/engine/load/layers/hdf5ThreadMain.ts')], outfile: join(dist, 'hdf5Thread.js') });
  // The onnxruntime session thread: kernels run there while the engine's thread does the per-sample work.
  configs.push({ ...node, entryPoints: [join(root, 'src/engine/compute/onnx/sessionThreadMain.ts')], outfile: join(dist, 'onnxThread.js') });
}
if (wanted('cli')) {
  const cli = join(root, 'src/cli/main.ts');
  if (existsSync(cli)) {
    configs.push({ ...node, entryPoints: [cli], outfile: join(dist, 'cli.js'), banner: { js: '#!/usr/bin/env node' } });
  } else {
    console.warn('build: src/cli/main.ts does not exist yet; dist/cli.js not built');
  }
}
if (wanted('webview')) {
  configs.push({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    entryPoints: [join(root, 'webview/main.ts')],
    outfile: join(dist, 'webview.js'),
    minify,
    sourcemap,
    logLevel: node.logLevel,
    legalComments: 'none',
  });
}

mkdirSync(dist, { recursive: true });
if (wanted('worker') || wanted('cli')) {
  // findWasmDirectory() in src/engine/compute/backend.ts looks next to the bundle.
  const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
  for (const file of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) cpSync(join(wasmDir, file), join(dist, file));
}
if (wanted('webview')) {
  const codicons = join(root, 'node_modules/@vscode/codicons/dist');
  mkdirSync(join(dist, 'codicons'), { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) cpSync(join(codicons, file), join(dist, 'codicons', file));
}

if (watch) {
  // Rebuilds on every change until interrupted (the "watch" task in .vscode/tasks.json).
  const contexts = await Promise.all(configs.map((config) => context(config)));
  await Promise.all(contexts.map((ctx) => ctx.watch()));
  console.log(`build: watching ${only ? only.join(', ') : 'all bundles'} -> dist/ (Ctrl+C to stop)`);
  process.once('SIGINT', () => Promise.all(contexts.map((ctx) => ctx.dispose())).then(() => process.exit(0)));
} else {
  await Promise.all(configs.map((config) => build(config)));
  console.log(`build: ${only ? only.join(', ') : 'all bundles'} -> dist/`);
}
