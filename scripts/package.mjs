#!/usr/bin/env node
// Builds minified bundles and packages the extension as flatness-lens-<version>.vsix with
// @vscode/vsce. Works offline: --no-dependencies (everything is bundled by esbuild).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (command, args) => {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
run(process.execPath, [join(root, 'scripts/build.mjs'), '--minify']);
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = process.argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? join(root, `flatness-lens-${version}.vsix`);
const readme = existsSync(join(root, 'docs/extension.md')) ? ['--readme-path', 'docs/extension.md'] : [];
run(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-update-package-json', ...readme, '--out', out]);
console.log(`package: ${out} (${(statSync(out).size / 1024 / 1024).toFixed(2)} MB)`);
