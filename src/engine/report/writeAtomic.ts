import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlatnessLensError } from '../errors';

/** Writes a file through a temporary sibling and a rename, so a reader never sees half a report. */
export function writeFileAtomic(target: string, contents: string): void {
  const directory = checkOutputPath(target);
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(temporary, contents);
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new FlatnessLensError('bad-input', `cannot write the report: ${reason}`, target);
  }
}

/** Fails, naming the file, when `target` cannot be written: call for every output before writing any. */
export function checkOutputPath(target: string): string {
  const directory = path.dirname(path.resolve(target));
  if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory()) {
    throw new FlatnessLensError('bad-input', `the folder ${directory} does not exist`, target);
  }
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    throw new FlatnessLensError('bad-input', 'is a folder, not a file', target);
  }
  return directory;
}
