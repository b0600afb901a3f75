import { parseArgs } from 'node:util';
import { BACKEND_REQUESTS } from '../engine/compute/backend';
import { LOSS_KINDS } from '../engine/math/losses';
import { FlatnessLensError } from '../engine/errors';
import type { AnalyzeRequest } from '../shared/analysisRequest';
import type { CompareRequest } from '../engine/predict/compare';
import { type TrajectoryCommand, parseTrajectoryCommand } from './trajectoryArgs';

export const USAGE = `Usage:
  flatness-lens analyze --model M --data D [options]
  flatness-lens compare --data D [--test T] [--json OUT] [--html OUT] M1 M2 ...
  flatness-lens trajectory --data D [--test T] [--json OUT] [--html OUT] [--csv OUT] CKPT... | DIR
  flatness-lens --help | --version

Analyze options:
  --model PATH           two-layer model (.safetensors, .npz, .json, .h5, .keras, .pt, .onnx, model.json)
  --data PATH            training data (.npz, .npy, .csv, .json, .pt)
  --targets PATH         targets file when --data is an inputs .npy
  --target-columns LIST  CSV target column names (comma separated) or a count of trailing columns
  --test PATH            test data: the report shows the measured test loss
  --activation A         activation when the file stores none: relu, leaky_relu:0.1, relu^2, square, abs,
                         linear, tanh, sigmoid, gelu, softplus, elu:1 (default: read from file, else relu)
  --loss L               mse (||f-y||^2, default) | mse-half (1/2 ||f-y||^2) | mse-mean (mean over outputs) | ce
  --backend B            auto (default) | tensorflow-gpu | tensorflow | wasm | cpu
  --tolerance T          interpolation tolerance on the mean squared residual (default 1e-4; ce: error rate 0)
  --json OUT             write the JSON report
  --html OUT             write a self-contained HTML report
  --spectrum --sharpness --landscape --predict --all   optional analyses
  --max-file-mb N        refuse input files larger than N MiB (default 2048)
  --quiet                print nothing but errors
  --no-color             plain terminal output

Exit status: 0 success, 2 bad input (message names the file and the problem), 1 internal error.`;

export interface AnalyzeCommand {
  kind: 'analyze';
  request: AnalyzeRequest;
  jsonPath?: string;
  htmlPath?: string;
  quiet: boolean;
  color: boolean;
}

export interface CompareCommand {
  kind: 'compare';
  request: CompareRequest;
  jsonPath?: string;
  htmlPath?: string;
  quiet: boolean;
  color: boolean;
}

export type Command = AnalyzeCommand | CompareCommand | TrajectoryCommand | { kind: 'help'; text?: string } | { kind: 'version' };

function usageError(message: string): FlatnessLensError {
  return new FlatnessLensError('bad-input', `${message}\n\n${USAGE}`);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], option: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw usageError(`--${option} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

function positiveNumber(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw usageError(`--${option} must be a non-negative number (got '${value}')`);
  return parsed;
}

export function parseCommand(argv: string[]): Command {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') return { kind: 'help' };
  if (verb === '--version' || verb === '-v' || verb === 'version') return { kind: 'version' };
  if (verb === 'trajectory') return parseTrajectoryCommand(rest);
  if (verb !== 'analyze' && verb !== 'compare') throw usageError(`unknown command '${verb}'`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: verb === 'compare',
      options: {
        model: { type: 'string' }, data: { type: 'string' }, targets: { type: 'string' },
        'target-columns': { type: 'string' }, test: { type: 'string' }, activation: { type: 'string' },
        loss: { type: 'string' }, backend: { type: 'string' }, tolerance: { type: 'string' },
        json: { type: 'string' }, html: { type: 'string' }, 'max-file-mb': { type: 'string' },
        'chunk-rows': { type: 'string' },
        spectrum: { type: 'boolean' }, sharpness: { type: 'boolean' }, landscape: { type: 'boolean' },
        predict: { type: 'boolean' }, all: { type: 'boolean' },
        quiet: { type: 'boolean' }, 'no-color': { type: 'boolean' }, help: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values;
  if (values.help) return { kind: 'help' };
  const loss = oneOf(values.loss, LOSS_KINDS, 'loss');
  const backend = oneOf(values.backend, BACKEND_REQUESTS, 'backend');
  const maxFileMb = positiveNumber(values['max-file-mb'], 'max-file-mb');
  const maxFileBytes = maxFileMb === undefined ? undefined : Math.floor(maxFileMb * 1024 * 1024);
  const color = !values['no-color'] && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  if (values.data === undefined) throw usageError('--data is required');
  if (verb === 'compare') {
    if (parsed.positionals.length < 1) throw usageError('compare needs at least one model path');
    return {
      kind: 'compare',
      request: { modelPaths: parsed.positionals, dataPath: values.data, testDataPath: values.test, activation: values.activation, loss, backend },
      jsonPath: values.json, htmlPath: values.html,
      quiet: values.quiet ?? false, color,
    };
  }
  if (values.model === undefined) throw usageError('--model is required');
  const rawColumns = values['target-columns'];
  const targetColumns = rawColumns === undefined ? undefined
    : /^\d+$/.test(rawColumns) ? Number(rawColumns) : rawColumns.split(',').map((s) => s.trim()).filter(Boolean);
  const chunkRows = positiveNumber(values['chunk-rows'], 'chunk-rows');
  const all = values.all ?? false;
  return {
    kind: 'analyze',
    request: {
      modelPath: values.model,
      dataPath: values.data,
      targetsPath: values.targets,
      targetColumns,
      testDataPath: values.test,
      activation: values.activation,
      loss,
      backend,
      interpolationTolerance: positiveNumber(values.tolerance, 'tolerance'),
      maxFileBytes,
      chunkRows: chunkRows === undefined ? undefined : Math.max(1, Math.floor(chunkRows)),
      sections: {
        spectrum: all || (values.spectrum ?? false),
        sharpness: all || (values.sharpness ?? false),
        landscape: all || (values.landscape ?? false),
        predict: all || (values.predict ?? false),
      },
    },
    jsonPath: values.json,
    htmlPath: values.html,
    quiet: values.quiet ?? false,
    color,
  };
}
