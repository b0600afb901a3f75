import type { CompareCommand } from './args';
import { compareModels } from '../engine/predict/compare';
import { comparisonHtml, comparisonText } from '../engine/report/comparisonText';
import { checkOutputs, compareInputs, writeOutputs, writesToStdout } from './outputs';
import { withProgress } from './progress';

/** Several models on one data set, sharing one calibration, ranked by predicted test loss. */
export async function runCompare(command: CompareCommand, signal: AbortSignal): Promise<void> {
  const outputs = { '--json': command.jsonPath, '--html': command.htmlPath };
  checkOutputs(outputs, compareInputs(command.request));
  const comparison = await withProgress(command.quiet, (onProgress) => compareModels(command.request, { signal, onProgress }));
  const json = `${JSON.stringify(comparison, null, 2)}\n`;
  const html = command.htmlPath ? comparisonHtml(comparison) : null;
  writeOutputs(outputs, (label) => (label === '--json' ? json : html ?? ''));
  if (!command.quiet && !writesToStdout(outputs)) {
    process.stdout.write(`${comparisonText(comparison)}\n`);
    const written = [command.jsonPath, command.htmlPath].filter(Boolean);
    if (written.length) process.stdout.write(`\nWrote ${written.join(' and ')}\n`);
  }
}
