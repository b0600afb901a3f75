import type { Report } from '../../shared/report';
import type { SectionSwitches } from '../../shared/analysisRequest';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import type { CurvatureSums } from './curvatureSums';

export type { SectionSwitches };

export interface SectionInput {
  model: TwoLayerModel;
  data: Dataset;
  testData: Dataset | null;
  loss: LossSpec;
  sums: CurvatureSums;
  /** The report so far; a section writes its own keys into it. */
  report: Report;
  switches: SectionSwitches;
  context: ComputeContext | undefined;
}

/**
 * An optional analysis that adds keys to the report. Each later feature (curvature, prediction)
 * registers one here, so the orchestrator needs no change when one is added.
 */
export interface AnalysisSection {
  /** Key in report.timings. */
  name: string;
  enabled(switches: SectionSwitches): boolean;
  run(input: SectionInput): Promise<void>;
}

