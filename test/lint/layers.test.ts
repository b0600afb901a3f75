/**
 * The layer map of docs/architecture.md is enforced by oxlint (.oxlintrc.json): each probe below
 * is a file that breaks one rule, linted with the project's own configuration in a scratch tree,
 * and must be reported; the allowed imports must not be.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(__dirname, '..', '..');
const oxlint = join(root, 'node_modules', '.bin', 'oxlint');

interface Probe {
  file: string;
  source: string;
  /** A piece of the message oxlint must print for this file; null when the file must pass. */
  expected: string | null;
}

const PROBES: Probe[] = [
  { file: 'src/engine/report/usesVscode.ts', source: "import * as vscode from 'vscode';\nexport const a = vscode;\n", expected: "'vscode' import is restricted" },
  { file: 'src/engine/report/usesExtension.ts', source: "import { b } from '../../extension/host';\nexport const a = b;\n", expected: "'../../extension/host' import is restricted" },
  { file: 'src/engine/report/usesShared.ts', source: "import { c } from '../../shared/values';\nexport const a = c;\n", expected: null },
  { file: 'src/shared/usesNode.ts', source: "import * as fs from 'node:fs';\nexport const a = fs;\n", expected: "'node:fs' import is restricted" },
  { file: 'src/shared/usesEngine.ts', source: "import { d } from '../engine/values';\nexport const a = d;\n", expected: "'../engine/values' import is restricted" },
  { file: 'src/shared/values.ts', source: "import { e } from './other';\nexport const c = e;\n", expected: null },
  { file: 'webview/usesEngine.ts', source: "import { d } from '../src/engine/values';\nexport const a = d;\n", expected: "'../src/engine/values' import is restricted" },
  { file: 'webview/usesShared.ts', source: "import { c } from '../src/shared/values';\nexport const a = c;\n", expected: null },
  { file: 'src/cli/usesExtension.ts', source: "import { b } from '../extension/host';\nexport const a = b;\n", expected: "'../extension/host' import is restricted" },
  { file: 'src/worker/usesVscode.ts', source: "import * as vscode from 'vscode';\nexport const a = vscode;\n", expected: "'vscode' import is restricted" },
  { file: 'src/extension/usesCompute.ts', source: "import { f } from '../engine/compute/backend';\nexport const a = f;\n", expected: "'../engine/compute/backend' import is restricted" },
  { file: 'src/extension/floating.ts', source: "async function save(): Promise<void> {}\nexport function click(): void {\n  save();\n}\n", expected: 'no-floating-promises' },
  { file: 'src/extension/awaited.ts', source: "async function save(): Promise<void> {}\nexport async function click(): Promise<void> {\n  await save();\n}\n", expected: null },
];

describe('layer rules (oxlint)', () => {
  it('reports every cross-layer import and floating promise, and nothing else', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'flatness-lint-'));
    try {
      copyFileSync(join(root, '.oxlintrc.json'), join(scratch, '.oxlintrc.json'));
      // the type-aware rules run oxlint-tsgolint, which oxlint finds through node_modules
      symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
      writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', strict: true, noEmit: true, types: [] },
        include: ['src', 'webview'],
      }));
      for (const probe of PROBES) {
        mkdirSync(join(scratch, dirname(probe.file)), { recursive: true });
        writeFileSync(join(scratch, probe.file), probe.source);
      }
      const run = spawnSync(oxlint, ['--type-aware', '--format', 'unix', '-c', '.oxlintrc.json', 'src', 'webview'], { cwd: scratch, encoding: 'utf8' });
      const output = `${run.stdout}\n${run.stderr}`;
      assert.notEqual(run.status, 0, output);
      const linesOf = (file: string) => output.split('\n').filter((line) => line.startsWith(file + ':'));
      for (const probe of PROBES) {
        const lines = linesOf(probe.file);
        if (probe.expected === null) {
          assert.deepEqual(lines, [], `${probe.file} must pass the layer rules`);
        } else {
          assert.ok(lines.some((line) => line.includes(probe.expected!)), `${probe.file}: expected "${probe.expected}" in\n${output}`);
        }
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
