import type { CheckpointCounters } from '../../model/types';
import type { PickleValue } from './pickle';

const STEP_KEYS = ['global_step', 'step', 'iteration', 'iter'];
const EPOCH_KEYS = ['epoch'];

function counterOf(entries: ReadonlyMap<string, PickleValue>, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = entries.get(key);
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  }
  return undefined;
}

/**
 * The training counters a checkpoint dict stores beside the weights, e.g.
 * torch.save({'model': state_dict, 'optimizer': ..., 'epoch': 12}). Only plain non-negative
 * integers count; anything else (tensors, floats, strings) is ignored.
 */
export function checkpointCounters(entries: ReadonlyArray<readonly [string, PickleValue]>): CheckpointCounters | undefined {
  const byKey = new Map(entries.map(([key, value]) => [key.toLowerCase(), value]));
  const step = counterOf(byKey, STEP_KEYS);
  const epoch = counterOf(byKey, EPOCH_KEYS);
  if (step === undefined && epoch === undefined) return undefined;
  return { ...(step !== undefined ? { step } : {}), ...(epoch !== undefined ? { epoch } : {}) };
}
