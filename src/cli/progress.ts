/**
 * Progress of long CLI runs on stderr. Nothing is shown for the first `delayMs` (quick analyses stay
 * quiet); after that a terminal gets one redrawn line with the stage name and a bar, and a pipe or
 * file gets an occasional plain line (on each new stage, else every `lineIntervalMs`). --quiet: nothing.
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  quiet: boolean;
  stream?: ProgressStream;
  now?: () => number;
  delayMs?: number;
  lineIntervalMs?: number;
}

export interface Progress {
  /** Engine callback: `fraction` in [0, 1] of `stage`. */
  readonly update: (stage: string, fraction: number) => void;
  /** Clears the terminal line; call before printing results or errors. */
  readonly done: () => void;
}

export const PROGRESS_DELAY_MS = 2000;
export const PROGRESS_LINE_INTERVAL_MS = 10_000;
const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

const SILENT: Progress = { update: () => undefined, done: () => undefined };

function clamp01(fraction: number): number {
  return Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

export function bar(fraction: number, width = BAR_WIDTH): string {
  const filled = Math.round(clamp01(fraction) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function createProgress(options: ProgressOptions): Progress {
  if (options.quiet) return SILENT;
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const delayMs = options.delayMs ?? PROGRESS_DELAY_MS;
  const lineIntervalMs = options.lineIntervalMs ?? PROGRESS_LINE_INTERVAL_MS;
  const tty = stream.isTTY === true;
  const start = now();
  let lastStage: string | null = null;
  let lastWrite = -Infinity;
  let drawn = false;

  const update = (stage: string, fraction: number): void => {
    const time = now();
    const elapsed = time - start;
    if (elapsed < delayMs) return;
    const newStage = stage !== lastStage;
    const percent = `${String(Math.floor(clamp01(fraction) * 100)).padStart(3)}%`;
    if (tty) {
      if (!newStage && time - lastWrite < REDRAW_INTERVAL_MS) return;
      const line = `${stage} ${bar(fraction)} ${percent}  ${seconds(elapsed)}`;
      const columns = stream.columns && stream.columns > 10 ? stream.columns - 1 : line.length;
      stream.write(`\r${line.slice(0, columns)}\u001b[K`);
      drawn = true;
    } else {
      if (!newStage && time - lastWrite < lineIntervalMs) return;
      stream.write(`flatness-lens: ${stage} ${percent.trimStart()} (${seconds(elapsed)})\n`);
    }
    lastStage = stage;
    lastWrite = time;
  };

  const done = (): void => {
    if (drawn) stream.write('\r\u001b[K');
    drawn = false;
  };
  return { update, done };
}

/** Runs one long step with progress on stderr (none with --quiet), clearing the display however it ends. */
export async function withProgress<T>(quiet: boolean, run: (onProgress: Progress['update']) => Promise<T>): Promise<T> {
  const progress = createProgress({ quiet });
  try {
    return await run(progress.update);
  } finally {
    progress.done();
  }
}
