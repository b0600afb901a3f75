import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isNpy } from '../../io/npy';
import type { Dataset } from '../../data/types';
import { badInput } from '../../errors';
import { buildDataset, type DataArray } from '../datasetBuilder';
import type { DataFormat, DataLoadOptions } from '../formatTypes';
import { describeMagic, readFileChecked } from '../readFileChecked';
import { npyToDataArray } from './npzData';
import { own } from '../../io/own';

const TOKEN_SWAPS: Record<string, string[]> = {
  x: ['y', 'Y'],
  inputs: ['targets'],
  features: ['labels'],
};

/**
 * The rule for finding the targets of an inputs .npy when no targetsPath is given: split the
 * name (without .npy) at '_', '-' and '.', take the LAST token that is X/x (or inputs,
 * features), swap it for y then Y (targets, labels), and use the first such file in the same
 * folder. data_X.npy -> data_y.npy, X.npy -> y.npy, X_train.npy -> y_train.npy.
 */
export function targetCandidates(inputsPath: string): string[] {
  const name = basename(inputsPath).replace(/\.npy$/i, '');
  const parts = name.split(/([_.-])/); // keep the separators at odd indices
  for (let index = parts.length - 1; index >= 0; index -= 2) {
    const swaps = own(TOKEN_SWAPS, parts[index]!.toLowerCase());
    if (swaps === undefined) continue;
    return swaps.map((swap) => {
      const copy = [...parts];
      copy[index] = swap;
      return join(dirname(inputsPath), `${copy.join('')}.npy`);
    });
  }
  return [];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The targets file of an inputs .npy: the one given, or the first sibling found by the X -> y rule;
 * refused with the names tried when there is none.
 */
export async function findTargetsPath(path: string, options: DataLoadOptions): Promise<string> {
  if (options.targetsPath !== undefined) return options.targetsPath;
  const candidates = targetCandidates(path);
  for (const candidate of candidates) {
    if (await exists(candidate)) return candidate;
  }
  const tried = candidates.length > 0 ? `looked for ${candidates.map((c) => basename(c)).join(' and ')}` : 'the name has no X/x token to swap for y';
  throw badInput(path, `a single .npy holds only the inputs and no targets file was found (${tried}); name the files like data_X.npy and data_y.npy or pass the targets file`);
}

/** The refusal of a targets file that is not an .npy. */
export function targetsNotNpy(targetsPath: string, head: Uint8Array): Error {
  return badInput(targetsPath, `the targets file is not a NumPy .npy array (${describeMagic(head)}); it must hold the targets as one .npy`);
}

export async function loadNpyPairData(bytes: Uint8Array, path: string, options: DataLoadOptions): Promise<Dataset> {
  const targetsPath = await findTargetsPath(path, options);
  const inputs: DataArray = npyToDataArray(bytes, path, basename(path), false);
  const targetBytes = await readFileChecked(targetsPath, options.maxFileBytes);
  if (!isNpy(targetBytes)) throw targetsNotNpy(targetsPath, targetBytes);
  const targets: DataArray = npyToDataArray(targetBytes, targetsPath, basename(targetsPath), false);
  return buildDataset(inputs, targets, {
    path,
    format: 'npy-pair',
    notes: [`targets read from ${targetsPath}`],
  });
}

export const npyPairDataFormat: DataFormat = {
  name: 'npy-pair',
  description: 'a pair of .npy files: the inputs file, and the targets given explicitly or found by swapping X for y in the name (data_X.npy + data_y.npy)',
  sniff: (bytes) => isNpy(bytes),
  load: loadNpyPairData,
};
