import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrajectoryCommand } from './trajectoryArgs';
import { analyzeTrajectory } from '../engine/trajectory/run';
import { trajectoryCsv, trajectoryHtml, trajectoryText } from '../engine/trajectory/render';
import { checkOutputPath, writeFileAtomic } from '../engine/report/writeAtomic';
import { badInput } from '../engine/errors';

function realOrResolved(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** Outputs must never land on an input (a checkpoint, a folder's checkpoint, the data). */
function checkOutputsAgainstInputs(command: TrajectoryCommand, outputs: string[]): void {
  const { request } = command;
  const inputs = new Set<string>();
  for (const input of [...request.checkpoints, request.dataPath, request.testDataPath, request.targetsPath]) {
    if (input === undefined) continue;
    inputs.add(realOrResolved(input));
  }
  for (const output of outputs) {
    const resolved = realOrResolved(output);
    if (inputs.has(resolved)) throw badInput(output, 'this output would overwrite an input file');
    const parent = path.dirname(resolved);
    // A checkpoint folder given as input: refuse outputs inside it with a checkpoint's name.
    if (inputs.has(parent) && /\.(pt|pth|ckpt|safetensors|npz|h5|hdf5|keras)$/i.test(output)) {
      throw badInput(output, 'this output would be written among the checkpoints it reads');
    }
  }
}

/** Every checkpoint of a run, one JSON (and HTML/CSV), terminal sparklines. */
export async function runTrajectory(command: TrajectoryCommand, signal: AbortSignal): Promise<void> {
  const outputs = [command.jsonPath, command.htmlPath, command.csvPath].filter((o): o is string => o !== undefined && o !== '-');
  for (const output of outputs) checkOutputPath(output);
  checkOutputsAgainstInputs(command, outputs);
  const progress = !command.quiet && process.stderr.isTTY
    ? (stage: string, fraction: number) => process.stderr.write(`\r${stage} ${String(Math.floor(fraction * 100)).padStart(3)}%\u001b[K`)
    : undefined;
  const report = await analyzeTrajectory(command.request, {
    signal,
    ...(progress ? { onProgress: progress } : {}),
  });
  if (progress) process.stderr.write('\r\u001b[K');
  // Render everything before writing anything: a failure leaves no partial set of files.
  const rendered: Array<[string | undefined, string]> = [
    [command.jsonPath, `${JSON.stringify(report, null, 2)}\n`],
    [command.htmlPath, command.htmlPath ? trajectoryHtml(report) : ''],
    [command.csvPath, command.csvPath ? trajectoryCsv(report) : ''],
  ];
  for (const [target, contents] of rendered) {
    if (target === '-') process.stdout.write(contents);
    else if (target !== undefined) writeFileAtomic(target, contents);
  }
  if (!command.quiet && !rendered.some(([target]) => target === '-')) {
    process.stdout.write(`${trajectoryText(report, { color: command.color })}\n`);
    if (outputs.length) process.stdout.write(`\nWrote ${outputs.join(', ')}\n`);
  }
}
