import { tf } from './tf';
import type { AnyDataset } from '../data/types';
import { dataChunks } from '../data/rows';
import type { TwoLayerModel } from '../model/types';
import { type LossSpec, argmax, evaluateSampleLoss, targetClass, targetLayoutOf } from '../math/losses';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from './context';
import { defaultChunkRows } from './preactivations';
import { ResidentNetwork } from './residentNetwork';
import { backendProductAsync } from './read';
import { onnxKernelsActive } from './backend';
import { OnnxForwardKernel } from './onnx/forwardKernel';

export interface LossEvaluation {
  loss: number;
  meanSquaredError: number | null;
  accuracy: number | null;
}

/**
 * One forward pass over the data on the backend (both layers as matrix products; onnxruntime's
 * kernels when that backend is active), with the loss
 * accumulated in float64: the baseline the exact trace is measured against, and the test-loss
 * evaluation.
 */
export async function evaluateLoss(
  model: TwoLayerModel,
  data: AnyDataset,
  loss: LossSpec,
  context?: ComputeContext,
  chunkRows = defaultChunkRows(model),
): Promise<LossEvaluation> {
  const { inputDim: d, outputDim: c } = model;
  const layout = await targetLayoutOf(loss, model, data);
  const kernel = onnxKernelsActive() ? await OnnxForwardKernel.create(model) : null;
  const network = kernel ? null : new ResidentNetwork(model);
  let lossSum = 0;
  let squaredResidualSum = 0;
  let correct = 0;
  const row = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);
  try {
    for await (const { start, rows, inputs, targets } of dataChunks(data, chunkRows)) {
      throwIfCancelled(context);
      const outputs = kernel
        ? await kernel.outputs(inputs, rows)
        : await backendProductAsync(() => network!.forward(tf.tensor2d(inputs, [rows, d])).outputs);
      for (let r = 0; r < rows; r++) {
        for (let o = 0; o < c; o++) row[o] = outputs[r * c + o]!;
        lossSum += evaluateSampleLoss(loss, layout, row, targets, r, gradient, probabilities);
        if (layout === 'regression') {
          for (let o = 0; o < c; o++) squaredResidualSum += (row[o]! - targets[r * c + o]!) ** 2;
        } else if (argmax(row) === targetClass(layout, targets, r, c)) {
          correct++;
        }
      }
      context?.onProgress?.('forward', (start + rows) / data.n);
      await yieldToEventLoop();
    }
  } finally {
    network?.dispose();
  }
  return {
    loss: lossSum / data.n,
    meanSquaredError: layout === 'regression' ? squaredResidualSum / (data.n * c) : null,
    accuracy: layout === 'regression' ? null : correct / data.n,
  };
}
