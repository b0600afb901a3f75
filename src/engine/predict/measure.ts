import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import type { ReportFlatness } from '../../shared/report';
import { computeCurvatureSums } from '../analysis/curvatureSums';
import { buildFlatnessSection } from '../analysis/flatness';
import { type TrainingArrays, toDataset } from './trainer';

/** The flatness measures of a model on in-memory data, through the same engine core the report uses. */
export interface FlatnessMeasures {
  trace: number;
  normalized: number | null;
  lowerBound: number | null;
  ratio: number | null;
  pathNorm: number | null;
  invariantDiagonal: number | null;
  meanSquaredError: number;
  loss: number;
}

export function measuresFromSection(flatness: ReportFlatness, loss: number, meanSquaredError: number): FlatnessMeasures {
  return {
    trace: flatness.trace,
    normalized: flatness.normalized.value,
    lowerBound: flatness.lowerBound.value,
    ratio: flatness.ratio.value,
    pathNorm: flatness.pathNorm.value,
    invariantDiagonal: flatness.invariantDiagonal.value,
    meanSquaredError,
    loss,
  };
}

export async function measureFlatness(
  model: TwoLayerModel,
  arrays: TrainingArrays,
  loss: LossSpec,
  context?: ComputeContext,
): Promise<FlatnessMeasures> {
  const data = toDataset(arrays);
  const sums = await computeCurvatureSums(model, data, loss, { withInvariantDiagonal: true }, context);
  const flatness = buildFlatnessSection(model, loss, sums);
  return measuresFromSection(flatness, sums.lossValue, sums.meanSquaredError ?? NaN);
}
