import type { ComputeContext } from './context';

/** One named stage of a run, with its share of the run's expected cost (any positive unit). */
export interface PlannedStage {
  /** The stage name the computation reports (ComputeContext.onProgress). */
  name: string;
  /** What the user is shown; the name when absent. */
  label?: string;
  weight: number;
}

/**
 * Turns the per-stage fractions the computations report into one fraction of the whole run, for
 * the progress bars: each planned stage covers a part of [0, 1] in proportion to its expected
 * cost, and the reported fraction never goes back. A report names a stage at or after the
 * current one (the stages before it count as done); a name not ahead in the plan (an inner step
 * such as one Hessian-vector product, or a stage run again after a GPU fallback) keeps the
 * current stage where it is. Reports go out as (the current stage's label, overall fraction).
 */
export class ProgressPlan {
  private readonly starts: number[] = [];
  private readonly shares: number[] = [];
  private current = 0;
  private reported = 0;

  constructor(private readonly stages: readonly PlannedStage[], private readonly report: (stage: string, fraction: number) => void) {
    const total = stages.reduce((sum, stage) => sum + Math.max(0, stage.weight), 0);
    let start = 0;
    for (const stage of stages) {
      const share = total > 0 ? Math.max(0, stage.weight) / total : 0;
      this.starts.push(start);
      this.shares.push(share);
      start += share;
    }
  }

  /** A context for the computations: same cancellation, progress through this plan. */
  context(outer: ComputeContext | undefined): ComputeContext {
    return { ...(outer?.signal ? { signal: outer.signal } : {}), onProgress: (stage, fraction) => this.update(stage, fraction) };
  }

  update(stage: string, fraction: number): void {
    let index = -1;
    for (let k = this.current; k < this.stages.length; k++) {
      if (this.stages[k]!.name === stage) {
        index = k;
        break;
      }
    }
    if (index >= 0) {
      this.current = index;
      const within = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
      this.reported = Math.max(this.reported, this.starts[index]! + this.shares[index]! * within);
    }
    this.emit();
  }

  /** The run is over: 1, under the last stage's label. */
  finish(): void {
    this.current = Math.max(0, this.stages.length - 1);
    this.reported = 1;
    this.emit();
  }

  private emit(): void {
    const stage = this.stages[this.current];
    if (stage) this.report(stage.label ?? stage.name, Math.min(1, this.reported));
  }
}

/** Runs `work` with its progress reported through `stages`, ending at 1; without a listener, as is. */
export async function withPlan<T>(
  stages: readonly PlannedStage[],
  context: ComputeContext | undefined,
  work: (context: ComputeContext | undefined) => Promise<T>,
): Promise<T> {
  const listener = context?.onProgress;
  if (!listener) return work(context);
  const plan = new ProgressPlan(stages, listener);
  const result = await work(plan.context(context));
  plan.finish();
  return result;
}
