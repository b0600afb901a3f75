import type { TrajectoryCommand } from './trajectoryArgs';
import { analyzeTrajectory } from '../engine/trajectory/run';
import { listCheckpoints } from '../engine/trajectory/checkpointFiles';
import { trajectoryCsv, trajectoryHtml, trajectoryPageHeader, trajectoryText } from '../engine/trajectory/render';
import { checkOutputs, filesRead, writeOutputs, writesToStdout } from './outputs';
import { createProgress } from './progress';

/** Every checkpoint of a run, one JSON (and HTML/CSV), terminal sparklines. */
export async function runTrajectory(command: TrajectoryCommand, signal: AbortSignal): Promise<void> {
  const { request } = command;
  const outputs = { '--json': command.jsonPath, '--html': command.htmlPath, '--csv': command.csvPath };
  const data = [request.dataPath, request.testDataPath, request.targetsPath];
  const checkpoints = listCheckpoints(request.checkpoints, data.filter((p): p is string => p !== undefined)).map((file) => file.path);
  // Checked before the analysis: no output may replace a checkpoint or the data.
  checkOutputs(outputs, filesRead([...checkpoints, ...data]));
  const progress = createProgress({ quiet: command.quiet });
  let report;
  try {
    report = await analyzeTrajectory(request, { signal, onProgress: progress.update });
  } finally {
    progress.done();
  }
  // Rendered before anything is written, then written all or none.
  const rendered: Record<string, string> = {
    '--json': `${JSON.stringify(report, null, 2)}\n`,
    '--html': command.htmlPath ? trajectoryHtml(report, trajectoryPageHeader(report)) : '',
    '--csv': command.csvPath ? trajectoryCsv(report) : '',
  };
  writeOutputs(outputs, (label) => rendered[label] ?? '');
  if (!command.quiet && !writesToStdout(outputs)) {
    process.stdout.write(`${trajectoryText(report, { color: command.color })}\n`);
    const written = [command.jsonPath, command.htmlPath, command.csvPath].filter(Boolean);
    if (written.length) process.stdout.write(`\nWrote ${written.join(', ')}\n`);
  }
}
