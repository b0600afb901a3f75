import { tf } from './tf';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { type LossSpec, argmax, evaluateSampleLoss, targetClass, targetLayout } from '../math/losses';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from './context';
import { defaultChunkRows } from './preactivations';
import { ResidentNetwork } from './residentNetwork';
import { backendProductAsync } from './read';

export interface LossEvaluation {
  loss: number;
  meanSquaredError: number | null;
  accuracy: number | null;
}

/**
 * One forward pass over the data on the backend (both layers as matrix products), with the loss
 * accumulated in float64: the baseline the exact trace is measured against, and the test-loss
 * evaluation.
 */
export async function evaluateLoss(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  context?: ComputeContext,
  chunkRows = defaultChunkRows(model),
): Promise<LossEvaluation> {
  const { inputDim: d, outputDim: c } = model;
  const layout = targetLayout(loss, model, data);
  const network = new ResidentNetwork(model);
  let lossSum = 0;
  let squaredResidualSum = 0;
  let correct = 0;
  const row = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);
  try {
    for (let start = 0; start < data.n; start += chunkRows) {
      throwIfCancelled(context);
      const rows = Math.min(chunkRows, data.n - start);
      const outputs = await backendProductAsync(() => {
        const chunk = tf.tensor2d(data.inputs.subarray(start * d, (start + rows) * d), [rows, d]);
        return network.forward(chunk).outputs;
      });
      for (let r = 0; r < rows; r++) {
        const i = start + r;
        for (let o = 0; o < c; o++) row[o] = outputs[r * c + o]!;
        lossSum += evaluateSampleLoss(loss, layout, row, data.targets, i, gradient, probabilities);
        if (layout === 'regression') {
          for (let o = 0; o < c; o++) squaredResidualSum += (row[o]! - data.targets[i * c + o]!) ** 2;
        } else if (argmax(row) === targetClass(layout, data.targets, i, c)) {
          correct++;
        }
      }
      context?.onProgress?.('forward', (start + rows) / data.n);
      await yieldToEventLoop();
    }
  } finally {
    network.dispose();
  }
  return {
    loss: lossSum / data.n,
    meanSquaredError: layout === 'regression' ? squaredResidualSum / (data.n * c) : null,
    accuracy: layout === 'regression' ? null : correct / data.n,
  };
}
