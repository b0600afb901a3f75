import { BACKEND_REQUESTS } from '../engine/compute/backend';
import { LOSS_KINDS } from '../engine/math/losses';
import { FlatnessLensError } from '../engine/errors';
import type { AnalyzeRequest } from '../shared/analysisRequest';
import type { CompareRequest } from '../engine/predict/compare';
import { decimalOption, editDistance, oneOfOption, parseVerbOptions, usageError as baseUsageError } from './options';
import { VERB_OPTIONS } from './optionTables';
import { type TrajectoryCommand, parseTrajectoryCommand } from './trajectoryArgs';

export const USAGE = `Usage:
  flatness-lens analyze --model M --data D [options]
  flatness-lens compare --data D [--test T] [--json OUT] [--html OUT] M1 M2 ...
  flatness-lens trajectory --data D [--test T] [--json OUT] [--html OUT] [--csv OUT] CKPT... | DIR
  flatness-lens --help | --version

Analyze options:
  --model PATH           two-layer model (.safetensors, .npz, .json, .h5, .keras, .pt, .onnx, model.json)
  --data PATH            training data (.npz, .npy, .csv, .json, .pt)
  --targets PATH         targets .npy when --data is an inputs .npy (refused for other data formats)
  --target-columns LIST  CSV target column names (comma separated) or a count of trailing columns
  --test PATH            test data: the report shows the measured test loss
  --activation A         activation when the file stores none: relu, leaky_relu:0.1, relu^2, square, abs,
                         linear, tanh, sigmoid, gelu, softplus, elu:1 (default: read from file, else relu)
  --loss L               mse (||f-y||^2, default) | mse-half (1/2 ||f-y||^2) | mse-mean (mean over outputs) | ce
  --backend B            auto (default) | webgpu | tensorflow-gpu | tensorflow | onnxruntime | wasm | cpu
  --tolerance T          interpolation tolerance on the mean squared residual (default 1e-4; ce: error rate 0)
  --json OUT             write the JSON report (- for standard output)
  --html OUT             write a self-contained HTML report (- for standard output)
  --spectrum --sharpness --landscape --predict --all   optional analyses
  --max-file-mb N        refuse input files larger than N MiB (default 2048); streamed data is not bound by it
  --stream-above-mb N    read .npy, stored .npz and CSV data over N MiB by chunks from disk (default 64; 0: always)
  --quiet                print nothing but errors
  --no-color             plain terminal output

Compare options: --data, --test, --activation, --loss, --backend, --json, --html, --quiet, --no-color
(as for analyze); the models are the positional arguments.

Outputs never replace an input file and are written all or none.
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
  return baseUsageError(message);
}

export function targetColumnsOption(raw: string | undefined): string[] | number | undefined {
  if (raw === undefined) return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export function colorWanted(noColor: boolean | undefined): boolean {
  return !noColor && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}

export function parseCommand(argv: string[]): Command {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') return { kind: 'help' };
  if (verb === '--version' || verb === '-v' || verb === 'version') return { kind: 'version' };
  if (verb === 'trajectory') return parseTrajectoryCommand(rest);
  if (verb === 'compare') return parseCompare(rest);
  if (verb === 'analyze') return parseAnalyze(rest);
  const verbs = Object.keys(VERB_OPTIONS);
  const nearest = verbs.find((candidate) => editDistance(verb, candidate) <= 2);
  throw usageError(`unknown command '${verb}'${nearest ? `; did you mean ${nearest}?` : ''} (commands: ${verbs.join(', ')})`);
}

function parseCompare(args: string[]): CompareCommand | { kind: 'help' } {
  const { values, positionals } = parseVerbOptions('compare', args, true);
  if (values.help) return { kind: 'help' };
  if (values.data === undefined) throw usageError('--data is required');
  if (positionals.length < 1) throw usageError('compare needs at least one model path');
  const request: CompareRequest = { modelPaths: positionals, dataPath: values.data };
  if (values.test !== undefined) request.testDataPath = values.test;
  if (values.activation !== undefined) request.activation = values.activation;
  const loss = oneOfOption(values.loss, LOSS_KINDS, 'loss');
  if (loss !== undefined) request.loss = loss;
  const backend = oneOfOption(values.backend, BACKEND_REQUESTS, 'backend');
  if (backend !== undefined) request.backend = backend;
  return {
    kind: 'compare',
    request,
    ...(values.json !== undefined ? { jsonPath: values.json } : {}),
    ...(values.html !== undefined ? { htmlPath: values.html } : {}),
    quiet: values.quiet ?? false,
    color: colorWanted(values['no-color']),
  };
}

function parseAnalyze(args: string[]): AnalyzeCommand | { kind: 'help' } {
  const { values } = parseVerbOptions('analyze', args);
  if (values.help) return { kind: 'help' };
  if (values.data === undefined) throw usageError('--data is required');
  if (values.model === undefined) throw usageError('--model is required');
  const loss = oneOfOption(values.loss, LOSS_KINDS, 'loss');
  const backend = oneOfOption(values.backend, BACKEND_REQUESTS, 'backend');
  const maxFileMb = decimalOption(values['max-file-mb'], 'max-file-mb', { positive: true });
  const streamAboveMb = decimalOption(values['stream-above-mb'], 'stream-above-mb');
  const chunkRows = decimalOption(values['chunk-rows'], 'chunk-rows', { positive: true });
  const tolerance = decimalOption(values.tolerance, 'tolerance');
  const all = values.all ?? false;
  const request: AnalyzeRequest = {
    modelPath: values.model,
    dataPath: values.data,
    sections: {
      spectrum: all || (values.spectrum ?? false),
      sharpness: all || (values.sharpness ?? false),
      landscape: all || (values.landscape ?? false),
      predict: all || (values.predict ?? false),
    },
  };
  if (values.targets !== undefined) request.targetsPath = values.targets;
  const targetColumns = targetColumnsOption(values['target-columns']);
  if (targetColumns !== undefined) request.targetColumns = targetColumns;
  if (values.test !== undefined) request.testDataPath = values.test;
  if (values.activation !== undefined) request.activation = values.activation;
  if (loss !== undefined) request.loss = loss;
  if (backend !== undefined) request.backend = backend;
  if (tolerance !== undefined) request.interpolationTolerance = tolerance;
  if (maxFileMb !== undefined) request.maxFileBytes = Math.floor(maxFileMb * 1024 * 1024);
  if (streamAboveMb !== undefined) request.streamAboveBytes = Math.floor(streamAboveMb * 1024 * 1024);
  if (chunkRows !== undefined) request.chunkRows = Math.max(1, Math.floor(chunkRows));
  return {
    kind: 'analyze',
    request,
    ...(values.json !== undefined ? { jsonPath: values.json } : {}),
    ...(values.html !== undefined ? { htmlPath: values.html } : {}),
    quiet: values.quiet ?? false,
    color: colorWanted(values['no-color']),
  };
}
