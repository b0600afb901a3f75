#!/usr/bin/env node
// Generates the JSON Schemas of the report documents from their TypeScript types in
// src/shared/report.ts: schema/report.schema.json (one analysis) and
// schema/comparison.schema.json (a ranking). The types are the one source of truth;
// test/engine/schema.test.ts fails when a committed schema differs from what this writes.
// Usage: node scripts/schema.mjs [--check] [--out=DIR]
import { createGenerator } from 'ts-json-schema-generator';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const check = args.includes('--check');
const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? join(root, 'schema');

const DOCUMENTS = [
  { type: 'Report', file: 'report.schema.json', title: 'Flatness Lens analysis report',
    description: 'One analysis of a two-layer network and its training data. Generated from src/shared/report.ts by scripts/schema.mjs; every view renders this document.' },
  { type: 'ComparisonReport', file: 'comparison.schema.json', title: 'Flatness Lens comparison',
    description: 'Several models of one data set ranked by predicted test loss. Generated from src/shared/report.ts by scripts/schema.mjs.' },
  { type: 'TrajectoryReport', file: 'trajectory.schema.json', source: 'src/shared/trajectory.ts', title: 'Flatness Lens trajectory',
    description: 'The checkpoints of one training run, one point per checkpoint (flatness-lens trajectory). Generated from src/shared/trajectory.ts by scripts/schema.mjs.' },
];

export function generateSchemas() {
  return DOCUMENTS.map(({ type, file, source, title, description }) => {
    const schema = generatorFor(source ?? 'src/shared/report.ts').createSchema(type);
    const document = { $schema: schema.$schema, $id: `https://flatness-lens.invalid/schema/${file}`, title, description, ...schema };
    return { file, text: JSON.stringify(document, null, 2) + '\n' };
  });
}

function generatorFor(source) {
  return createGenerator({
    path: join(root, source),
    tsconfig: join(root, 'tsconfig.webview.json'),
    skipTypeCheck: true,
    expose: 'export',
    topRef: true,
    jsDoc: 'extended',
    sortProps: true,
    additionalProperties: false,
  });
}

const stale = [];
mkdirSync(out, { recursive: true });
for (const { file, text } of generateSchemas()) {
  const target = join(out, file);
  let committed = null;
  try { committed = readFileSync(target, 'utf8'); } catch { /* new file */ }
  if (committed === text) continue;
  if (check) stale.push(file);
  else writeFileSync(target, text);
}
if (stale.length > 0) {
  console.error(`schema: ${stale.join(', ')} differ from src/shared/report.ts; run \`node scripts/schema.mjs\` and commit the result`);
  process.exit(1);
}
console.log(check ? 'schema: up to date' : `schema: written to ${out}`);
