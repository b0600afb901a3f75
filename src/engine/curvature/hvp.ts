import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { LossOperator, type LossOperatorOptions } from './lossOperator';

export { LossOperator, type LossOperatorOptions } from './lossOperator';

/**
 * Exact Hessian-vector products H v of the empirical loss (closed form, streamed; see
 * lossOperator.ts), for one-off use. Repeated products should prepare one LossOperator and call
 * hessianVectorProducts on it: the per-sample quantities are then computed once and several
 * vectors share each pass over the data.
 */
export async function hessianVectorProducts(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  vectors: Float64Array[],
  context?: ComputeContext,
  options: LossOperatorOptions = {},
): Promise<Float64Array[]> {
  const operator = await LossOperator.prepare(model, data, loss, options, context);
  try {
    return await operator.hessianVectorProducts(vectors, context);
  } finally {
    operator.dispose();
  }
}
