import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlatnessLensError } from '../errors';

/** `-` as an output path: standard output. */
export const STDOUT = '-';

/** One output of a run: `label` names it in errors (e.g. '--json'). */
export interface OutputTarget {
  label: string;
  path: string;
}

export interface OutputFile extends OutputTarget {
  contents: string;
}

function refuse(target: string, message: string): FlatnessLensError {
  return new FlatnessLensError('bad-input', message, target);
}

/**
 * Where `target` would be written, after following `..`, `.` and symbolic links (of the folder
 * and of the file itself when it exists), with its identity (device and inode) when it exists.
 * Fails, naming the file, when it cannot be written: a missing folder, or an existing path that
 * is not a regular file (a folder, a device node such as /dev/null, a FIFO).
 */
function resolveOutput(target: string): { real: string; id: string | null } {
  const absolute = path.resolve(target);
  const directory = path.dirname(absolute);
  let realDirectory: string;
  try {
    realDirectory = fs.realpathSync(directory);
    if (!fs.statSync(realDirectory).isDirectory()) throw new Error('not a folder');
  } catch {
    throw refuse(target, `the folder ${directory} does not exist`);
  }
  let info: fs.Stats;
  try {
    info = fs.statSync(absolute);
  } catch {
    return { real: path.join(realDirectory, path.basename(absolute)), id: null };
  }
  if (info.isDirectory()) throw refuse(target, 'is a folder, not a file');
  if (!info.isFile()) throw refuse(target, 'exists and is not a regular file (a device, FIFO or socket); reports are written only to regular or new files');
  return { real: fs.realpathSync(absolute), id: `${info.dev}:${info.ino}` };
}

function identity(file: string): { real: string; id: string } | null {
  try {
    const info = fs.statSync(file);
    return { real: fs.realpathSync(file), id: `${info.dev}:${info.ino}` };
  } catch {
    return null;
  }
}

/**
 * Checks every output of a run before anything is computed or written: each must be writable
 * (see resolveOutput), no two may be the same file, at most one may be standard output, and
 * none may be any of the inputs, however named (`..`, `.`, symbolic or hard links).
 */
export function checkOutputTargets(outputs: readonly OutputTarget[], inputs: readonly string[]): void {
  const toStdout = outputs.filter((output) => output.path === STDOUT);
  if (toStdout.length > 1) {
    throw new FlatnessLensError('bad-input', `${toStdout.map((output) => output.label).join(' and ')} cannot both write to standard output (-)`);
  }
  const inputIds = new Map<string, string>();
  const inputReals = new Map<string, string>();
  for (const input of inputs) {
    const found = identity(input);
    if (found === null) continue;
    inputIds.set(found.id, input);
    inputReals.set(found.real, input);
  }
  const seen = new Map<string, OutputTarget>();
  for (const output of outputs) {
    if (output.path === STDOUT) continue;
    const { real, id } = resolveOutput(output.path);
    const input = (id !== null ? inputIds.get(id) : undefined) ?? inputReals.get(real);
    if (input !== undefined) {
      throw refuse(output.path, `${output.label} would overwrite the input ${input}; choose another output file`);
    }
    const other = seen.get(real);
    if (other !== undefined) throw refuse(output.path, `${other.label} and ${output.label} name the same file; give each its own`);
    seen.set(real, output);
  }
}

/**
 * Writes a run's outputs all or none: every file goes to a temporary sibling first, then all
 * are renamed into place; if any step fails the temporaries are removed and the files already
 * replaced get their previous contents back. Standard output (`-`) is written last.
 */
export function writeOutputFiles(files: readonly OutputFile[]): void {
  const staged: Array<{ file: OutputFile; target: string; temporary: string; existed: boolean; backup: string | null }> = [];
  const stamp = `${process.pid}.${Date.now()}`;
  try {
    for (const file of files) {
      if (file.path === STDOUT) continue;
      const { real } = resolveOutput(file.path);
      const temporary = path.join(path.dirname(real), `.${path.basename(real)}.${stamp}.tmp`);
      staged.push({ file, target: real, temporary, existed: fs.existsSync(real), backup: null });
      fs.writeFileSync(temporary, file.contents, { flag: 'wx' });
    }
  } catch (error) {
    for (const entry of staged) fs.rmSync(entry.temporary, { force: true });
    throw writeError(staged.at(-1)?.file.path, error);
  }
  const renamed: typeof staged = [];
  try {
    for (const entry of staged) {
      if (entry.existed) {
        const backup = `${entry.temporary}.previous`;
        try {
          fs.linkSync(entry.target, backup);
          entry.backup = backup;
        } catch {
          // a file system without hard links: no way back for this file, the rename still is atomic
        }
      }
      fs.renameSync(entry.temporary, entry.target);
      renamed.push(entry);
    }
  } catch (error) {
    for (const entry of renamed) {
      if (entry.backup !== null) fs.renameSync(entry.backup, entry.target);
      else if (!entry.existed) fs.rmSync(entry.target, { force: true });
    }
    for (const entry of staged) {
      fs.rmSync(entry.temporary, { force: true });
      if (entry.backup !== null) fs.rmSync(entry.backup, { force: true });
    }
    throw writeError(staged[renamed.length]?.file.path, error);
  }
  for (const entry of staged) if (entry.backup !== null) fs.rmSync(entry.backup, { force: true });
  for (const file of files) if (file.path === STDOUT) process.stdout.write(file.contents);
}

function writeError(target: string | undefined, error: unknown): FlatnessLensError {
  const reason = error instanceof Error ? error.message : String(error);
  return new FlatnessLensError('bad-input', `cannot write the report: ${reason}`, target);
}

/** Writes one file through a temporary sibling and a rename, so a reader never sees half a report. */
export function writeFileAtomic(target: string, contents: string): void {
  writeOutputFiles([{ label: 'output', path: target, contents }]);
}

/** Fails, naming the file, when `target` cannot be written: call for every output before writing any. */
export function checkOutputPath(target: string): string {
  return path.dirname(resolveOutput(target).real);
}
