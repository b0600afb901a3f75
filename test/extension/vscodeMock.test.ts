/**
 * The mock covers what the extension uses at run time: every class, enum and namespace member of
 * `vscode` that src/extension touches (as `vscode.X` or `vscode.ns.member`) exists in the mock,
 * and is a run-time value in @types/vscode (interfaces need no stand-in). Signatures are the
 * type-checker's job (vscodeMock.ts `implements`/`satisfies`); this catches members not mocked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as mockModule from './vscodeMock';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sources(path) : entry.endsWith('.ts') ? [path] : [];
  });
}

/** Names @types/vscode declares as values: classes, enums, namespaces (and their functions and constants). */
function runtimeNames(): { values: Set<string>; namespaces: Set<string> } {
  const text = readFileSync(join(ROOT, 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8');
  const values = new Set([...text.matchAll(/^\t(?:export )?(?:class|enum|namespace) (\w+)/gm)].map((match) => match[1]!));
  const namespaces = new Set([...text.matchAll(/^\t(?:export )?namespace (\w+)/gm)].map((match) => match[1]!));
  return { values, namespaces };
}

describe('the vscode mock', () => {
  it('provides every run-time member of vscode the extension host uses', () => {
    const { values, namespaces } = runtimeNames();
    assert.ok(values.has('Uri') && namespaces.has('window') && !values.has('QuickPickItem'), 'the declaration parser works');
    const used = new Set<string>();
    for (const path of sources(join(ROOT, 'src', 'extension'))) {
      for (const match of readFileSync(path, 'utf8').matchAll(/\bvscode\.(\w+)(?:\.(\w+))?/g)) {
        const [, name, member] = match as unknown as [string, string, string | undefined];
        if (!values.has(name)) continue;
        used.add(namespaces.has(name) && member ? `${name}.${member}` : name);
      }
    }
    assert.ok(used.has('window.showInformationMessage') && used.has('Uri'), 'the usage scan works');
    const exported = mockModule as unknown as Record<string, Record<string, unknown> | undefined>;
    const missing = [...used].sort().filter((key) => {
      const [name, member] = key.split('.') as [string, string | undefined];
      const value = exported[name];
      return value === undefined || (member !== undefined && !(member in value));
    });
    assert.deepEqual(missing, [], 'used by src/extension but missing from test/extension/vscodeMock.ts');
  });
});
