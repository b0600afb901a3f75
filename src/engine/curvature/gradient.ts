import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { LossOperator, type LossOperatorOptions } from './lossOperator';

export interface LossAndGradient {
  /** Empirical loss (1/n) sum_i l(f(x_i), y_i) in the loss spec's convention. */
  loss: number;
  /** dL/dtheta in parameterVector.ts order: W1 row-major, b1, W2 row-major, b2. */
  gradient: Float64Array;
}

/**
 * Exact loss and gradient in one streamed pass over the data (closed form, float64
 * accumulation; pre-activations from forEachPreactivationChunk).
 */
export async function lossAndGradient(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  context?: ComputeContext,
  options: LossOperatorOptions = {},
): Promise<LossAndGradient> {
  const operator = await LossOperator.prepare(model, data, loss, options, context, false);
  return { loss: operator.lossValue, gradient: operator.gradient };
}
