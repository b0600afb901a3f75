import { tfjsShardPaths } from '../engine/load/layers/tfjsLayers';
import { targetCandidates } from '../engine/load/formats/npyPairData';
import type { AnalyzeRequest, CompareRequest } from '../shared/analysisRequest';
import { STDOUT, type OutputFile, type OutputTarget, checkOutputTargets, writeOutputFiles } from '../engine/report/writeAtomic';

/**
 * The CLI's outputs: checked against every input before the analysis runs (an output never
 * replaces an input), written all or none after it, `-` for standard output.
 */
export { STDOUT };

/** Every file a run reads from its paths: also TF.js weight shards and the targets .npy found by name. */
export function filesRead(paths: ReadonlyArray<string | undefined>): string[] {
  const files = paths.filter((file): file is string => file !== undefined);
  return files.flatMap((file) => [file, ...tfjsShardPaths(file), ...(/\.npy$/i.test(file) ? targetCandidates(file) : [])]);
}

export function analyzeInputs(request: AnalyzeRequest): string[] {
  return filesRead([request.modelPath, request.dataPath, request.targetsPath, request.testDataPath]);
}

export function compareInputs(request: CompareRequest): string[] {
  return filesRead([...request.modelPaths, request.dataPath, request.testDataPath]);
}

/** The outputs named by --json/--html (and any other), as targets for checking. */
export function outputTargets(outputs: Record<string, string | undefined>): OutputTarget[] {
  return Object.entries(outputs).flatMap(([label, path]) => (path === undefined ? [] : [{ label, path }]));
}

export function checkOutputs(outputs: Record<string, string | undefined>, inputs: readonly string[]): void {
  checkOutputTargets(outputTargets(outputs), inputs);
}

/** Writes the outputs (contents by label) all or none. */
export function writeOutputs(outputs: Record<string, string | undefined>, contents: (label: string) => string): void {
  const files: OutputFile[] = outputTargets(outputs).map((target) => ({ ...target, contents: contents(target.label) }));
  writeOutputFiles(files);
}

/** True when some output goes to standard output: the terminal summary then stays off it. */
export function writesToStdout(outputs: Record<string, string | undefined>): boolean {
  return Object.values(outputs).includes(STDOUT);
}
