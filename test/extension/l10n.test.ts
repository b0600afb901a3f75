/**
 * The manifest is ready for translation: its user-facing text lives in package.nls.json behind
 * %key% references, every reference resolves and no key is left unused (test/packaging/vsix.test.ts
 * checks that the .vsix carries the file). The host's messages go through vscode.l10n.t, whose
 * {0}-style formatting the mock reproduces.
 */
import './setup';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { placeholders, readManifestText } from './manifest';
import { l10n } from './vscodeMock';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sources(path) : entry.endsWith('.ts') ? [path] : [];
  });
}

describe('localization', () => {
  it('every %key% of package.json is in package.nls.json, and every key there is used', () => {
    const { manifest, nls } = readManifestText();
    const used = placeholders(manifest);
    assert.ok(used.length >= 40, `only ${used.length} placeholders: the manifest's titles and descriptions should be localized`);
    assert.deepEqual(used.filter((key) => !(key in nls)), [], 'placeholders without English text');
    assert.deepEqual(Object.keys(nls).filter((key) => !used.includes(key)), [], 'unused keys in package.nls.json');
    for (const [key, text] of Object.entries(nls)) assert.ok(typeof text === 'string' && text.trim().length > 0, key);
  });

  it('command titles, view names and setting descriptions are references, not literal text', () => {
    const { manifest } = readManifestText();
    const contributes = (manifest as { contributes: {
      commands: { title: string }[];
      views: Record<string, { name: string }[]>;
      configuration: { properties: Record<string, { description?: string; markdownDescription?: string; enumDescriptions?: string[] }> };
      walkthroughs: { title: string; description: string; steps: { title: string; description: string }[] }[];
    } }).contributes;
    const isReference = (text: string | undefined) => text !== undefined && /^%[^%]+%$/.test(text);
    for (const command of contributes.commands) assert.ok(isReference(command.title), command.title);
    for (const view of Object.values(contributes.views).flat()) assert.ok(isReference(view.name), view.name);
    for (const [name, setting] of Object.entries(contributes.configuration.properties)) {
      assert.ok(isReference(setting.description ?? setting.markdownDescription), name);
      for (const text of setting.enumDescriptions ?? []) assert.ok(isReference(text), `${name}: ${text}`);
    }
    for (const walkthrough of contributes.walkthroughs) {
      for (const item of [walkthrough, ...walkthrough.steps]) assert.ok(isReference(item.title) && isReference(item.description), item.title);
    }
  });

  it('the mock formats {0}-style arguments like VS Code', () => {
    assert.equal(l10n.t('Analyzing {0} on {1}', 'm.pt', 'train.npz'), 'Analyzing m.pt on train.npz');
    assert.equal(l10n.t('{0} of {1}: {0}', 1, 2), '1 of 2: 1');
    assert.equal(l10n.t('{1} left as is', 'x'), '{1} left as is');
    assert.equal(l10n.t('Named {name}', { name: 'R' }), 'Named R');
    assert.equal(l10n.t({ message: 'Hello {0}', args: ['you'], comment: ['a greeting'] }), 'Hello you');
  });

  it('the extension host shows no literal message: notifications go through vscode.l10n.t', () => {
    const literal = /window\.show(?:Information|Warning|Error)Message\(\s*['"`]/;
    const found = sources(join(ROOT, 'src', 'extension')).flatMap((path) =>
      readFileSync(path, 'utf8').split('\n').flatMap((line, index) => (literal.test(line) ? [`${path.slice(ROOT.length + 1)}:${index + 1}`] : [])));
    assert.deepEqual(found, []);
  });
});
