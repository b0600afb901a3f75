#!/usr/bin/env node
// Mutation testing (StrykerJS) of the engine's critical modules, each scoped to the test files that
// cover it so a run takes minutes on 2 cores. Not part of `npm test`.
//   npm run mutation                 every module below
//   npm run mutation -- zip pickle   only those
// Reports: reports/mutation/<module>/mutation.html and mutation.json; scores in reports/mutation/summary.json.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Stryker } from '@stryker-mutator/core';

const root = resolve(import.meta.dirname, '..');

/** Each module: the source (line ranges where only part of a file is in scope) and its tests. */
export const MODULES = {
  bound: {
    mutate: ['src/engine/analysis/targetTerm.ts', 'src/engine/math/weightedMedian.ts', 'src/engine/analysis/flatness.ts:115-140'],
    tests: ['test/engine/certifiedBound.test.ts', 'test/mutation-killers/boundReasons.test.ts', 'test/mutation-killers/weightedMedian.test.ts'],
  },
  targets: {
    mutate: ['src/engine/math/losses.ts:38-132'],
    tests: ['test/engine/crossEntropyTargets.test.ts', 'test/mutation-killers/targets.test.ts'],
    // The engine's checks only: the CLI test of that file spawns a process per mutant.
    namePattern: 'accepted|refused|regression targets',
  },
  conformal: {
    mutate: ['src/engine/predict/conformal.ts'],
    tests: ['test/predict/calibration.test.ts', 'test/mutation-killers/conformal.test.ts'],
  },
  verdict: {
    mutate: ['src/engine/analysis/verdict.ts'],
    tests: ['test/predict/verdict.test.ts', 'test/mutation-killers/verdict.test.ts'],
  },
  pickle: {
    mutate: ['src/engine/load/layers/pickle.ts:86-116'],
    tests: ['test/mutation-killers/bounds.test.ts'],
  },
  zip: {
    mutate: ['src/engine/io/zip.ts:164-218'],
    tests: ['test/load/zip.test.ts', 'test/mutation-killers/bounds.test.ts', 'test/mutation-killers/zipEntries.test.ts'],
  },
};

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in MODULES)) {
    console.error(`unknown module '${name}'; known: ${Object.keys(MODULES).join(', ')}`);
    process.exit(2);
  }
}
const names = wanted.length ? wanted : Object.keys(MODULES);
const summaryPath = join(root, 'reports', 'mutation', 'summary.json');
const readSummary = () => (existsSync(summaryPath) ? JSON.parse(readFileSync(summaryPath, 'utf8')) : {});

for (const name of names) {
  const { mutate, tests, namePattern } = MODULES[name];
  const dir = join('reports', 'mutation', name);
  mkdirSync(join(root, dir), { recursive: true });
  const stryker = new Stryker({
    testRunner: 'tap',
    plugins: ['@stryker-mutator/tap-runner'],
    tap: {
      testFiles: tests,
      // node's own runner prints TAP; tsx compiles the instrumented TypeScript.
      nodeArgs: ['--import', 'tsx', '--test-reporter=tap', ...(namePattern ? [`--test-name-pattern=${namePattern}`] : []), '-r', '{{hookFile}}', '{{testFile}}'],
      forceBail: true,
    },
    mutate,
    coverageAnalysis: 'all',
    concurrency: 2,
    timeoutMS: 60_000,
    timeoutFactor: 3,
    reporters: ['html', 'json', 'clear-text'],
    htmlReporter: { fileName: join(dir, 'mutation.html') },
    jsonReporter: { fileName: join(dir, 'mutation.json') },
    tempDirName: join('reports', 'mutation', '.stryker-tmp'),
    ignorePatterns: ['dist', 'test-artifacts', '*.vsix', 'reports', 'docs/validation', 'bench', 'out'],
    disableTypeChecks: true,
    // Stryker rewrites tsconfig.json in its sandbox with TypeScript's JS API, which TypeScript 7 no
    // longer has; the sandbox keeps the same layout, so nothing there needs rewriting.
    tsconfigFile: 'no-tsconfig-rewrite.json',
    thresholds: { high: 90, low: 80, break: null },
    logLevel: 'warn',
    cleanTempDir: true,
  });
  const results = await stryker.runMutationTest();
  const count = (statuses) => results.filter((r) => statuses.includes(r.status)).length;
  const killed = count(['Killed', 'Timeout']);
  const survived = count(['Survived']);
  const noCoverage = count(['NoCoverage']);
  const detected = killed;
  const valid = killed + survived + noCoverage;
  const score = valid ? (100 * detected) / valid : NaN;
  const summary = readSummary();
  summary[name] = { mutate, tests, mutants: results.length, killed, survived, noCoverage, score: Math.round(score * 10) / 10 };
  console.log(`${name}: ${summary[name].score}% (${killed} killed, ${survived} survived, ${noCoverage} without coverage)`);
  for (const r of results.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')) {
    console.log(`  ${r.status} ${r.fileName}:${r.location.start.line} ${r.mutatorName}: ${r.replacement ?? ''}`.slice(0, 200));
  }
  mkdirSync(join(root, 'reports', 'mutation'), { recursive: true });
  writeFileSync(summaryPath, JSON.stringify(summary, null, 2) + '\n');
}
