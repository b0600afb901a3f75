/**
 * Where the browser tests find chromium: $FLATNESS_CHROMIUM, then $CHROMIUM_PATH, then the first
 * chromium-like executable on PATH. scripts/test.sh installs Debian's chromium with apt where it
 * is missing and apt is available; elsewhere the tests fail with what to install.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const ENV_VARIABLES = ['FLATNESS_CHROMIUM', 'CHROMIUM_PATH'] as const;
const NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

export const CHROMIUM_MISSING =
  'chromium was not found: set FLATNESS_CHROMIUM to a Chromium or Chrome executable, or put one on PATH ' +
  '(Debian/Ubuntu: sudo apt-get install chromium; `npm test` does this itself when run as root with apt)';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The chromium to drive, or null. A variable that names a missing file is an error, not a fallback. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  for (const variable of ENV_VARIABLES) {
    const value = env[variable];
    if (value) {
      if (!isExecutable(value)) throw new Error(`${variable}=${value} is not an executable file`);
      return value;
    }
  }
  for (const directory of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const name of NAMES) {
      const candidate = join(directory, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

/** The chromium to drive; throws the message that says what to install when there is none. */
export function requireChromium(): string {
  const found = findChromium();
  if (found === null) throw new Error(CHROMIUM_MISSING);
  return found;
}
