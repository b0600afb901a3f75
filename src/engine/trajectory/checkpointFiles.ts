import * as fs from 'node:fs';
import * as path from 'node:path';
import { badInput } from '../errors';
import type { CheckpointStep } from '../../shared/trajectory';

/** File names a training loop writes checkpoints under (directories are filtered by these). */
export const CHECKPOINT_EXTENSIONS = ['.pt', '.pth', '.ckpt', '.safetensors', '.npz', '.h5', '.hdf5', '.keras'] as const;

export interface CheckpointFile {
  path: string;
  modifiedMs: number;
  fileStep: CheckpointStep;
}

export type CheckpointOrder = 'file-name' | 'modification-time' | 'as-given';

const NAMED_COUNTER = /(?:^|[^a-z])(global[_-]?step|step|steps|iteration|iter|it|epoch|ep|e)[_\-=.]?(\d+)(?!\d)/gi;
const ANY_INTEGER = /(?<!\d\.|\d)(\d+)(?!\d|\.\d)/g;

/**
 * The step or epoch a file name states: `epoch_012.pt`, `step-1500.safetensors`,
 * `checkpoint-300/…`, Keras's `weights.05-0.12.h5` (the first whole number that is not part of
 * a decimal), else nothing. A named counter wins over a bare number.
 */
export function stepFromFileName(fileName: string): CheckpointStep {
  const stem = path.basename(fileName).replace(/\.(pt|pth|ckpt|safetensors|npz|h5|hdf5|keras|json)$/i, '');
  let named: { value: number; kind: 'step' | 'epoch' } | null = null;
  for (const match of stem.matchAll(NAMED_COUNTER)) {
    const word = match[1]!.toLowerCase();
    const value = Number(match[2]);
    if (!Number.isSafeInteger(value)) continue;
    named = { value, kind: word === 'epoch' || word === 'ep' || word === 'e' ? 'epoch' : 'step' };
    break;
  }
  if (named) return { step: named.value, stepKind: named.kind, stepSource: 'file-name' };
  for (const match of stem.matchAll(ANY_INTEGER)) {
    const value = Number(match[1]);
    if (Number.isSafeInteger(value)) return { step: value, stepKind: null, stepSource: 'file-name' };
  }
  return { step: null, stepKind: null, stepSource: null };
}

export function isCheckpointName(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return CHECKPOINT_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

function describeFile(file: string): CheckpointFile {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw badInput(file, 'no such file or folder');
  }
  if (!stat.isFile()) throw badInput(file, 'not a regular file');
  return { path: file, modifiedMs: stat.mtimeMs, fileStep: stepFromFileName(file) };
}

/**
 * The checkpoints named on the command line: files as given, folders expanded to the
 * checkpoint files directly inside them. Paths in `exclude` (the training and test data) are
 * left out, so a folder holding both the data and the checkpoints works.
 */
export function listCheckpoints(inputs: readonly string[], exclude: readonly string[] = []): CheckpointFile[] {
  const excluded = new Set(exclude.map((file) => path.resolve(file)));
  const files: CheckpointFile[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    const resolved = path.resolve(file);
    if (excluded.has(resolved) || seen.has(resolved)) return;
    seen.add(resolved);
    files.push(describeFile(file));
  };
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      throw badInput(input, 'no such file or folder');
    }
    if (stat.isDirectory()) {
      const names = fs.readdirSync(input).filter(isCheckpointName).sort();
      const before = files.length;
      for (const name of names) {
        const file = path.join(input, name);
        let isFile = false;
        try {
          isFile = fs.statSync(file).isFile();
        } catch {
          // a dangling link or a file removed meanwhile: not a checkpoint
        }
        if (isFile) add(file);
      }
      if (files.length === before) {
        throw badInput(input, `the folder holds no checkpoint files (${CHECKPOINT_EXTENSIONS.join(', ')})`);
      }
    } else {
      add(input);
    }
  }
  if (files.length === 0) throw badInput(undefined, 'no checkpoints to analyze');
  return files;
}

/**
 * Training order: by the step or epoch in the file names when every name has one, else by
 * modification time (oldest first); ties keep the order given. The step stored inside a
 * checkpoint, read when it is loaded, can reorder the points afterwards (orderPoints).
 */
export function orderCheckpoints(files: readonly CheckpointFile[]): { files: CheckpointFile[]; order: CheckpointOrder } {
  const indexed = files.map((file, index) => ({ file, index }));
  if (files.length > 1 && files.every((file) => file.fileStep.step !== null)) {
    indexed.sort((a, b) => a.file.fileStep.step! - b.file.fileStep.step! || a.index - b.index);
    return { files: indexed.map(({ file }) => file), order: 'file-name' };
  }
  if (files.length > 1) {
    indexed.sort((a, b) => a.file.modifiedMs - b.file.modifiedMs || a.index - b.index);
    return { files: indexed.map(({ file }) => file), order: 'modification-time' };
  }
  return { files: [...files], order: 'as-given' };
}
