/**
 * One watched training folder, without VS Code: finds checkpoint files as they appear, waits
 * until a file has stopped changing (a training loop may still be writing it), analyzes only
 * new or rewritten files, one at a time, and keeps the points in training order. The extension
 * (trainingWatcher.ts) drives it with file events and a poll, and draws what it reports.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrajectoryFailure, TrajectoryPoint } from '../shared/trajectory';
import { orderPoints } from '../shared/trajectory';
import { isCheckpointName } from '../engine/trajectory/checkpointFiles';

/** A file must keep the same size and modification time this long before it is analyzed. */
export const SETTLE_MS = 1000;

export interface AnalyzeCheckpoint {
  (file: string): Promise<TrajectoryPoint>;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** When this size and time were first seen. */
  since: number;
  /** The modification time of the version analyzed (or that failed), if any. */
  doneMtimeMs?: number;
}

export interface TrainingRunSnapshot {
  points: TrajectoryPoint[];
  pending: string[];
  failures: TrajectoryFailure[];
}

export class TrainingRun {
  private readonly seen = new Map<string, Seen>();
  private readonly points = new Map<string, TrajectoryPoint>();
  private readonly failures = new Map<string, string>();
  private readonly queue: string[] = [];
  private running: string | null = null;
  private stopped = false;
  private draining: Promise<void> | null = null;

  constructor(
    readonly folder: string,
    private readonly analyze: AnalyzeCheckpoint,
    private readonly onChange: (snapshot: TrainingRunSnapshot) => void,
    /** Files in the folder that are not checkpoints (the training and test data). */
    private readonly exclude: readonly string[] = [],
    private readonly now: () => number = Date.now,
    private readonly settleMs = SETTLE_MS,
  ) {}

  /** Looks at the folder once: new or changed files start settling, settled ones are queued. */
  scan(): void {
    if (this.stopped) return;
    let names: string[];
    try {
      names = fs.readdirSync(this.folder);
    } catch {
      return; // the folder went away: nothing to add
    }
    const excluded = new Set(this.exclude.map((file) => path.resolve(file)));
    const time = this.now();
    let queued = false;
    for (const name of names.filter(isCheckpointName).sort()) {
      const file = path.join(this.folder, name);
      if (excluded.has(path.resolve(file))) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        continue;
      }
      if (!stat.isFile()) continue;
      const previous = this.seen.get(file);
      if (!previous || previous.size !== stat.size || previous.mtimeMs !== stat.mtimeMs) {
        this.seen.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, since: time, ...(previous?.doneMtimeMs !== undefined ? { doneMtimeMs: previous.doneMtimeMs } : {}) });
        continue;
      }
      const settled = time - previous.since >= this.settleMs;
      const done = previous.doneMtimeMs === stat.mtimeMs;
      if (settled && !done && this.running !== file && !this.queue.includes(file)) {
        this.queue.push(file);
        queued = true;
      }
    }
    if (queued) {
      this.report();
      this.drain();
    }
  }

  /** Whether some file is still settling (the caller keeps polling meanwhile). */
  get settling(): boolean {
    return [...this.seen.entries()].some(([file, seen]) => seen.doneMtimeMs !== seen.mtimeMs && this.running !== file && !this.queue.includes(file));
  }

  snapshot(): TrainingRunSnapshot {
    return {
      points: orderPoints([...this.points.values()]),
      pending: [...(this.running ? [this.running] : []), ...this.queue].map((file) => path.basename(file)),
      failures: [...this.failures.entries()].map(([file, message]) => ({ path: file, message })),
    };
  }

  /** Resolves when the queue is empty (for tests and for a final report). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = (async () => {
      while (!this.stopped && this.queue.length > 0) {
        const file = this.queue.shift()!;
        this.running = file;
        const mtimeMs = this.seen.get(file)?.mtimeMs;
        try {
          const point = await this.analyze(file);
          this.points.set(file, point);
          this.failures.delete(file);
        } catch (error) {
          this.failures.set(file, error instanceof Error ? error.message : String(error));
          this.points.delete(file);
        }
        const seen = this.seen.get(file);
        if (seen && mtimeMs !== undefined) seen.doneMtimeMs = mtimeMs;
        this.running = null;
        if (!this.stopped) this.report();
      }
    })().finally(() => {
      this.draining = null;
    });
  }

  private report(): void {
    this.onChange(this.snapshot());
  }
}
