import type { AnyDataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { LossOperator } from '../curvature/lossOperator';
import { computeSpectra } from '../curvature/spectrum';

/** Largest Hessian eigenvalue of the training loss by Lanczos on exact Hessian-vector products. */
export async function topHessianEigenvalue(model: TwoLayerModel, data: AnyDataset, loss: LossSpec, context?: ComputeContext): Promise<number | null> {
  const operator = await LossOperator.prepare(model, data, loss, {}, context);
  try {
    const [result] = await computeSpectra(operator, [{ scaling: null }], { topK: 1, bottomK: 0, probes: 1 }, context);
    return result?.report.top[0] ?? null;
  } finally {
    operator.dispose();
  }
}
