import { FlatnessLensError, isFlatnessLensError } from '../engine/errors';
import { analyzeFiles } from '../engine/analyze';
import { terminalSummary } from '../engine/report/terminal';
import { renderHtml } from '../engine/report/html';
import { analyzeInputs, checkOutputs, writeOutputs, writesToStdout } from './outputs';
import { TOOL_VERSION } from '../engine/version';
import { type AnalyzeCommand, type Command, USAGE, parseCommand } from './args';
import { runCompare } from './compare';
import { withProgress } from './progress';
import { runTrajectory } from './trajectory';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERRUPTED = 130;

async function runAnalyze(command: AnalyzeCommand, signal: AbortSignal): Promise<void> {
  const outputs = { '--json': command.jsonPath, '--html': command.htmlPath };
  checkOutputs(outputs, analyzeInputs(command.request));
  const report = await withProgress(command.quiet, (onProgress) => analyzeFiles(command.request, { signal, onProgress }));
  // Render everything before writing anything: a failure leaves no partial set of files.
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const html = command.htmlPath ? renderHtml(report) : null;
  writeOutputs(outputs, (label) => (label === '--json' ? json : html ?? ''));
  if (!command.quiet && !writesToStdout(outputs)) {
    process.stdout.write(`${terminalSummary(report, { color: command.color })}\n`);
    const written = [command.jsonPath, command.htmlPath].filter(Boolean);
    if (written.length) process.stdout.write(`\nWrote ${written.join(' and ')}\n`);
  }
}

async function dispatch(command: Command, signal: AbortSignal): Promise<void> {
  switch (command.kind) {
    case 'help': process.stdout.write(`${command.text ?? USAGE}\n`); return;
    case 'version': process.stdout.write(`flatness-lens ${TOOL_VERSION}\n`); return;
    case 'analyze': return runAnalyze(command, signal);
    case 'compare': return runCompare(command, signal);
    case 'trajectory': return runTrajectory(command, signal);
  }
}

/** Runs the CLI and returns the exit status; never throws. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  // Ctrl-C stops at once: outputs are written synchronously at the very end (all or none), so
  // exiting here never leaves a partial set; HDF5 parsing runs in a thread that exit ends too.
  const onInterrupt = () => {
    controller.abort();
    process.stderr.write('\nflatness-lens: interrupted\n');
    process.exit(EXIT_INTERRUPTED);
  };
  process.on('SIGINT', onInterrupt);
  try {
    await dispatch(parseCommand(argv), controller.signal);
    return EXIT_OK;
  } catch (error) {
    if (isFlatnessLensError(error)) {
      process.stderr.write(`flatness-lens: ${error.message}\n`);
      return error.code === 'internal' ? EXIT_INTERNAL : EXIT_BAD_INPUT;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`flatness-lens: internal error (please report it with this trace):\n${message}\n`);
    return EXIT_INTERNAL;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((status) => { process.exitCode = status; }, () => { process.exitCode = EXIT_INTERNAL; });
}

export { FlatnessLensError };
