import type { CompareCommand } from './args';
import { FlatnessLensError } from '../engine/errors';

/** Several models on one data set; implemented with the generalization-prediction analysis. */
export async function runCompare(command: CompareCommand, signal: AbortSignal): Promise<void> {
  void command;
  void signal;
  throw new FlatnessLensError('unsupported', 'compare is not available in this build');
}
