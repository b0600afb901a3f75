#!/usr/bin/env node
// Packages the extension as flatness-lens-<version>.vsix with @vscode/vsce. vsce runs the
// "vscode:prepublish" script first (minified bundles, wasm binaries beside them). Works offline:
// --no-dependencies, because esbuild bundles everything the extension, its worker and its CLI
// (dist/cli.js) need. Usage: node scripts/package.mjs [--out=FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const outArgument = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
const out = outArgument ? resolve(outArgument) : join(root, `flatness-lens-${version}.vsix`);
const readme = existsSync(join(root, 'docs/extension.md')) ? ['--readme-path', 'docs/extension.md'] : [];
const result = spawnSync(process.execPath, [
  join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--no-update-package-json', ...readme, '--out', out,
], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
console.log(`package: ${out} (${(statSync(out).size / 1024 / 1024).toFixed(2)} MB)`);
