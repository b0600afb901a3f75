/**
 * Child process of bench/stream.ts for the spectrum: the CLI's analyze path (analyzeFiles) with a
 * short Lanczos run (top eigenvalue, at most 4 steps), so that the peak memory of the spectrum's passes
 * over a multi-gigabyte file is measured in minutes rather than hours. Peak memory per pass does
 * not depend on the number of steps (the Lanczos basis is steps x parameters, here 4 x 13 057).
 *
 *   npx tsx bench/streamChild.ts REQUEST_JSON OUT_JSON
 */
import * as fs from 'node:fs';
import { analyzeFiles } from '../src/engine/analyze';
import { setCurvatureSettings } from '../src/engine/curvature/section';
import type { AnalyzeRequest } from '../src/shared/analysisRequest';

async function main(): Promise<void> {
  const [requestJson, out] = process.argv.slice(2);
  const request = JSON.parse(requestJson!) as AnalyzeRequest;
  setCurvatureSettings({ spectrum: { topK: 1, bottomK: 0, maxSteps: 4, probes: 1 }, sharpness: {}, landscape: {} });
  const report = await analyzeFiles(request);
  fs.writeFileSync(out!, JSON.stringify(report));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
