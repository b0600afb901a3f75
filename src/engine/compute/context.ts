import { CancelledError } from '../errors';

/** What a long computation may be given: a way to be cancelled and a place to report progress. */
export interface ComputeContext {
  signal?: AbortSignal;
  /** fraction in [0, 1] of the current stage. */
  onProgress?: (stage: string, fraction: number) => void;
}

export function throwIfCancelled(context: ComputeContext | undefined): void {
  if (context?.signal?.aborted) throw new CancelledError();
}

/** Lets timers, messages and cancellation requests run between chunks of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
