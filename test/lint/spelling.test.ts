/**
 * User-facing text is in US English: the sources of every message, title, webview and CLI text,
 * the manifest and the docs must not use the British forms below. "analyses" is not listed: it is
 * also the plural of "analysis". "cancelled" is not listed either: US dictionaries give both
 * spellings, and `cancelled` is a wire error code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

const SUFFIXES = '(?:e|ed|es|ing|ation|ations|er|ers)';
const STEMS = ['recognis', 'initialis', 'normalis', 'maximis', 'minimis', 'optimis', 'serialis', 'visualis', 'summaris', 'organis', 'customis', 'penalis', 'materialis', 'regularis', 'standardis', 'parametris', 'characteris', 'prioritis', 'randomis'];
/** The British forms, matched inside identifiers too (`colourIndex`), case-insensitively. */
const BRITISH = new RegExp(
  [
    `(?:${STEMS.join('|')})${SUFFIXES}\\b`,
    'analys(?:e|ed|ing|er|ers)\\b',
    'colour', 'behaviour', 'neighbour', 'favour', 'honour', 'flavour', 'labour',
    '\\bcentre[sd]?\\b', '\\bgrey\\b', '\\blicence\\b', '\\bcatalogue\\b', '\\banalogue\\b', '\\bmodelling\\b', '\\blabelled\\b', '\\bwhilst\\b',
  ].join('|'),
  'gi',
);

export function britishWords(text: string): string[] {
  return [...text.matchAll(BRITISH)].map((match) => match[0]);
}

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir).sort().flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return files(path, pattern);
    return pattern.test(entry) ? [path] : [];
  });
}

function userFacingSources(): string[] {
  return [
    ...files(join(root, 'src'), /\.ts$/),
    ...files(join(root, 'webview'), /\.ts$/),
    ...files(join(root, 'docs'), /\.md$/).filter((path) => relative(join(root, 'docs'), path).split(/[\\/]/).length === 1),
    ...files(join(root, 'media', 'walkthrough'), /\.md$/),
    ...files(join(root, 'examples'), /^README\.md$/),
    join(root, 'package.json'),
    join(root, 'package.nls.json'),
    join(root, 'README.md'),
  ];
}

describe('US spelling', () => {
  it('the word list finds British forms and leaves US ones and the noun "analyses" alone', () => {
    assert.deepEqual(britishWords('We analyse it; it analysed, analysing the colours at the centre, grey, normalised.'), ['analyse', 'analysed', 'analysing', 'colour', 'centre', 'grey', 'normalised']);
    assert.deepEqual(britishWords('const colourIndex = 1; // Recognised'), ['colour', 'Recognised']);
    assert.deepEqual(britishWords('It analyzes the analyses; colors at the center, gray, normalized, initialization, recognized.'), []);
  });

  it('user-facing sources, the manifest and the docs use US spelling', () => {
    const found: string[] = [];
    for (const path of userFacingSources()) {
      readFileSync(path, 'utf8').split('\n').forEach((line, index) => {
        const words = britishWords(line);
        if (words.length) found.push(`${relative(root, path)}:${index + 1}: ${words.join(', ')}`);
      });
    }
    assert.deepEqual(found, [], `British spellings:\n${found.join('\n')}`);
  });
});
