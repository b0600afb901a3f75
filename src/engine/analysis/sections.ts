import type { Report } from '../../shared/report';
import type { SectionSwitches } from '../../shared/analysisRequest';
import type { AnyDataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import type { CurvatureSums } from './curvatureSums';

export type { SectionSwitches };

export interface SectionInput {
  model: TwoLayerModel;
  /** In memory or streamed: an analysis that needs it in memory calls materialize (data/rows.ts). */
  data: AnyDataset;
  testData: AnyDataset | null;
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

