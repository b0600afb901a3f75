import { BACKEND_REQUESTS } from '../engine/compute/backend';
import { LOSS_KINDS } from '../engine/math/losses';
import type { TrajectoryRequest } from '../engine/trajectory/run';
import { decimalOption, oneOfOption, parseVerbOptions, usageError } from './options';
import { colorWanted, targetColumnsOption } from './args';

export const TRAJECTORY_USAGE = `Usage:
  flatness-lens trajectory --data D [--test T] [options] CKPT... | DIR

Analyzes every checkpoint of a training run (files, or folders of .pt/.pth/.ckpt/.safetensors/
.npz/.h5/.keras files) in training order: by the step or epoch stored in the checkpoint or
in its file name, else by modification time. The data is loaded once for all of them.

Options:
  --data PATH            training data (.npz, .npy, .csv, .json, .pt)
  --test PATH            test data: each checkpoint's measured test loss
  --targets PATH, --target-columns LIST, --activation A, --loss L, --backend B, --tolerance T,
  --max-file-mb N        as for analyze
  --top-eigenvalue       largest Hessian eigenvalue of each checkpoint (Lanczos)
  --predict              calibrated predicted test loss of each checkpoint (one calibration per run)
  --skip-unreadable      record checkpoints that cannot be read and go on (default: stop with exit 2)
  --json OUT, --html OUT, --csv OUT   write the trajectory (- for standard output)
  --quiet, --no-color`;

export interface TrajectoryCommand {
  kind: 'trajectory';
  request: TrajectoryRequest;
  jsonPath?: string;
  htmlPath?: string;
  csvPath?: string;
  quiet: boolean;
  color: boolean;
}

/** The trajectory verb's options (everything after `trajectory`; table in optionTables.ts). */
export function parseTrajectoryCommand(args: string[]): TrajectoryCommand | { kind: 'help'; text: string } {
  const { values, positionals } = parseVerbOptions('trajectory', args, true);
  if (values.help) return { kind: 'help', text: TRAJECTORY_USAGE };
  if (values.data === undefined) throw usageError('--data is required');
  if (positionals.length === 0) throw usageError('trajectory needs checkpoint files or a folder of checkpoints');
  const request: TrajectoryRequest = {
    checkpoints: positionals,
    dataPath: values.data,
    skipFailures: values['skip-unreadable'] ?? false,
    topEigenvalue: values['top-eigenvalue'] ?? false,
    predict: values.predict ?? false,
  };
  if (values.test !== undefined) request.testDataPath = values.test;
  if (values.targets !== undefined) request.targetsPath = values.targets;
  const targetColumns = targetColumnsOption(values['target-columns']);
  if (targetColumns !== undefined) request.targetColumns = targetColumns;
  if (values.activation !== undefined) request.activation = values.activation;
  const loss = oneOfOption(values.loss, LOSS_KINDS, 'loss');
  if (loss !== undefined) request.loss = loss;
  const backend = oneOfOption(values.backend, BACKEND_REQUESTS, 'backend');
  if (backend !== undefined) request.backend = backend;
  const tolerance = decimalOption(values.tolerance, 'tolerance');
  if (tolerance !== undefined) request.interpolationTolerance = tolerance;
  const maxFileMb = decimalOption(values['max-file-mb'], 'max-file-mb', { positive: true });
  if (maxFileMb !== undefined) request.maxFileBytes = Math.floor(maxFileMb * 1024 * 1024);
  const chunkRows = decimalOption(values['chunk-rows'], 'chunk-rows', { positive: true });
  if (chunkRows !== undefined) request.chunkRows = Math.max(1, Math.floor(chunkRows));
  return {
    kind: 'trajectory',
    request,
    ...(values.json !== undefined ? { jsonPath: values.json } : {}),
    ...(values.html !== undefined ? { htmlPath: values.html } : {}),
    ...(values.csv !== undefined ? { csvPath: values.csv } : {}),
    quiet: values.quiet ?? false,
    color: colorWanted(values['no-color']),
  };
}
