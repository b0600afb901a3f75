import { existsSync } from 'node:fs';
import * as nodePath from 'node:path';

/** How a worker thread is started: a script file, or code to evaluate. */
export interface ThreadScript {
  script: string;
  eval: boolean;
}

/**
 * The entry of a worker thread started by the module at `callerFile`: in a bundle, the bundled
 * script `bundledName` beside it (null where it is missing); in the TypeScript sources (tests, a
 * checkout run through tsx), `sourceName` in the caller's folder, loaded through tsx.
 */
export function threadScript(callerFile: string, sourceName: string, bundledName: string): ThreadScript | null {
  const folder = nodePath.dirname(callerFile);
  if (callerFile.endsWith('.ts')) {
    const source = nodePath.join(folder, sourceName);
    return { script: `require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(folder)}] })); require(${JSON.stringify(source)});`, eval: true };
  }
  const bundled = nodePath.join(folder, bundledName);
  return existsSync(bundled) ? { script: bundled, eval: false } : null;
}
