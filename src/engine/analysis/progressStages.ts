import type { SectionSwitches } from '../../shared/analysisRequest';
import type { PlannedStage } from '../compute/progressPlan';

/**
 * The stages of an analysis and of a comparison, each weighted by its expected cost in rough
 * seconds on 2 CPU cores (bench/results/optional.json: W1, d 50, m 512, n 4096; the prediction's
 * budget is fixed, so its stages do not grow with the data). Only the proportions matter: they
 * keep the overall progress moving at about the same pace through every stage.
 */
export interface WorkSize {
  /** Training rows, hidden width and input dimension. */
  n: number;
  m: number;
  d: number;
  /** Test rows (0 without test data). */
  testRows: number;
}

/** One pass over the data costs about this many seconds per n m d multiply-adds. */
const SECONDS_PER_PASS_WORK = 1e-8;

const pass = (rows: number, size: WorkSize): number => Math.max(0.05, rows * size.m * size.d * SECONDS_PER_PASS_WORK);

/** Backend start (wasm or onnxruntime sessions): about a second the first time. */
const BACKEND = { name: 'backend', weight: 1 } as const;
/** The flattest-interpolator search and the reference family of the calibration (DEFAULT_PREDICTION_BUDGET). */
const FLATTEST_SECONDS = 5;
const CALIBRATION_SECONDS = 12;

export function analysisStages(switches: SectionSwitches, size: WorkSize): PlannedStage[] {
  const stages: PlannedStage[] = [BACKEND, { name: 'flatness', weight: pass(size.n, size) }];
  if (size.testRows > 0) stages.push({ name: 'forward', label: 'test loss', weight: pass(size.testRows, size) });
  // The landscape alone needs only the top eigenvector: a short Lanczos run.
  if (switches.spectrum) stages.push({ name: 'Lanczos', weight: 40 * pass(size.n, size) });
  else if (switches.landscape) stages.push({ name: 'Lanczos', weight: 4 * pass(size.n, size) });
  if (switches.sharpness) stages.push({ name: 'sharpness', weight: 25 * pass(size.n, size) });
  if (switches.landscape) stages.push({ name: 'landscape', weight: 5 * pass(size.n, size) });
  if (switches.predict) stages.push({ name: 'flattest', weight: FLATTEST_SECONDS }, { name: 'calibration', weight: CALIBRATION_SECONDS });
  return stages;
}

/**
 * Compare Models: each model's core analysis and top eigenvalue; the first model that can be
 * predicted also trains the shared flattest search and calibration.
 */
export function comparisonStages(models: number, size: WorkSize): PlannedStage[] {
  const stages: PlannedStage[] = [BACKEND];
  for (let k = 0; k < models; k++) {
    const model = models > 1 ? `model ${k + 1}/${models} ` : '';
    stages.push({ name: 'flatness', label: `${model}flatness`, weight: pass(size.n, size) });
    if (size.testRows > 0) stages.push({ name: 'forward', label: `${model}test loss`, weight: pass(size.testRows, size) });
    if (k === 0) stages.push({ name: 'flattest', weight: FLATTEST_SECONDS }, { name: 'calibration', weight: CALIBRATION_SECONDS });
    stages.push({ name: 'Lanczos', label: `${model}top eigenvalue`, weight: 4 * pass(size.n, size) });
  }
  return stages;
}
