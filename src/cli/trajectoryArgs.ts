import { parseArgs } from 'node:util';
import { BACKEND_REQUESTS } from '../engine/compute/backend';
import { LOSS_KINDS } from '../engine/math/losses';
import { FlatnessLensError } from '../engine/errors';
import type { TrajectoryRequest } from '../engine/trajectory/run';

export const TRAJECTORY_USAGE = `Usage:
  flatness-lens trajectory --data D [--test T] [options] CKPT... | DIR

Analyses every checkpoint of a training run (files, or folders of .pt/.pth/.ckpt/.safetensors/
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
  --json OUT, --html OUT, --csv OUT   write the trajectory
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

function usageError(message: string): FlatnessLensError {
  return new FlatnessLensError('bad-input', `${message}\n\n${TRAJECTORY_USAGE}`);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`--${option} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

function decimal(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value)) throw usageError(`--${option} must be a non-negative decimal number (got '${value}')`);
  return Number(value);
}

/** The trajectory verb's options (everything after `trajectory`). */
export function parseTrajectoryCommand(args: string[]): TrajectoryCommand | { kind: 'help'; text: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        data: { type: 'string' }, targets: { type: 'string' }, 'target-columns': { type: 'string' }, test: { type: 'string' },
        activation: { type: 'string' }, loss: { type: 'string' }, backend: { type: 'string' }, tolerance: { type: 'string' },
        'max-file-mb': { type: 'string' }, 'chunk-rows': { type: 'string' },
        json: { type: 'string' }, html: { type: 'string' }, csv: { type: 'string' },
        'top-eigenvalue': { type: 'boolean' }, predict: { type: 'boolean' }, 'skip-unreadable': { type: 'boolean' },
        quiet: { type: 'boolean' }, 'no-color': { type: 'boolean' }, help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values;
  if (values.help) return { kind: 'help', text: TRAJECTORY_USAGE };
  if (values.data === undefined) throw usageError('--data is required');
  if (parsed.positionals.length === 0) throw usageError('trajectory needs checkpoint files or a folder of checkpoints');
  const maxFileMb = decimal(values['max-file-mb'], 'max-file-mb');
  const chunkRows = decimal(values['chunk-rows'], 'chunk-rows');
  const rawColumns = values['target-columns'];
  const targetColumns = rawColumns === undefined ? undefined
    : /^\d+$/.test(rawColumns) ? Number(rawColumns) : rawColumns.split(',').map((s) => s.trim()).filter(Boolean);
  const outputs = [values.json, values.html, values.csv].filter((o): o is string => o !== undefined && o !== '-');
  if (new Set(outputs).size !== outputs.length) throw usageError('--json, --html and --csv must name different files');
  const request: TrajectoryRequest = {
    checkpoints: parsed.positionals,
    dataPath: values.data,
    skipFailures: values['skip-unreadable'] ?? false,
    topEigenvalue: values['top-eigenvalue'] ?? false,
    predict: values.predict ?? false,
  };
  if (values.test !== undefined) request.testDataPath = values.test;
  if (values.targets !== undefined) request.targetsPath = values.targets;
  if (targetColumns !== undefined) request.targetColumns = targetColumns;
  if (values.activation !== undefined) request.activation = values.activation;
  const loss = oneOf(values.loss, LOSS_KINDS, 'loss');
  if (loss !== undefined) request.loss = loss;
  const backend = oneOf(values.backend, BACKEND_REQUESTS, 'backend');
  if (backend !== undefined) request.backend = backend;
  const tolerance = decimal(values.tolerance, 'tolerance');
  if (tolerance !== undefined) request.interpolationTolerance = tolerance;
  if (maxFileMb !== undefined) request.maxFileBytes = Math.floor(maxFileMb * 1024 * 1024);
  if (chunkRows !== undefined) request.chunkRows = Math.max(1, Math.floor(chunkRows));
  return {
    kind: 'trajectory',
    request,
    ...(values.json !== undefined ? { jsonPath: values.json } : {}),
    ...(values.html !== undefined ? { htmlPath: values.html } : {}),
    ...(values.csv !== undefined ? { csvPath: values.csv } : {}),
    quiet: values.quiet ?? false,
    color: !values['no-color'] && process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  };
}
