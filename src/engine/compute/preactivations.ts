import { tf } from './tf';
import type { AnyDataset } from '../data/types';
import { dataChunks } from '../data/rows';
import type { TwoLayerModel } from '../model/types';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from './context';
import { transposeToFloat32 } from './transpose';
import { readAndDispose } from './read';
import { currentWebGpu } from './webgpu';

/**
 * Rows per chunk. wasm and cpu: about 4M float32 values of the widest per-chunk matrix (16 MB),
 * which keeps it in cache-friendly pieces. WebGPU: up to 16M values (64 MB) within the device's
 * storage-buffer limit, since every chunk costs a dispatch and a readback round trip.
 */
export function defaultChunkRows(model: TwoLayerModel): number {
  const width = Math.max(model.hiddenDim, model.inputDim, 1);
  const gpu = currentWebGpu();
  if (gpu !== null) {
    const values = Math.min(1 << 24, Math.floor(gpu.limits.maxStorageBufferBindingSize / 4));
    return Math.max(64, Math.min(65536, Math.floor(values / width)));
  }
  return Math.max(64, Math.min(8192, Math.floor((1 << 22) / width)));
}

export interface PreactivationChunk {
  /** First row of the chunk in the dataset. */
  start: number;
  rows: number;
  /** rows x d inputs and rows x targetDim targets of the chunk, as read from the data set. */
  inputs: Float32Array;
  targets: Float32Array;
  /** rows x m row-major: z_ij = w_j . x_i + b_j, float32 from the backend. */
  preactivations: Float32Array;
  /** rows x m: sum_l w_jl^2 u_il^2 (with the bias entry), when requested. */
  squaredWeightedNorms: Float32Array | null;
}

export interface PreactivationOptions {
  chunkRows?: number;
  /** Also compute (u_i^2) . (w_j^2), needed by the invariant diagonal sum. */
  withSquaredWeightedNorms?: boolean;
}

/**
 * Streams z = X W^T + b over the data in chunks on the active tfjs backend. W is uploaded once
 * as a d x m matrix: on the wasm backend a transposed-operand matMul is about 10x slower than
 * the plain product, so the transpose is paid once here instead of on every chunk.
 */
export async function forEachPreactivationChunk(
  model: TwoLayerModel,
  data: AnyDataset,
  visit: (chunk: PreactivationChunk) => void | Promise<void>,
  options: PreactivationOptions = {},
  context?: ComputeContext,
  stage = 'forward',
): Promise<void> {
  const { inputDim: d, hiddenDim: m } = model;
  const chunkRows = options.chunkRows ?? defaultChunkRows(model);
  const weightTensor = tf.tensor2d(transposeToFloat32(model.hiddenWeights, m, d), [d, m]);
  const biasTensor = model.hiddenBias ? tf.tensor1d(Float32Array.from(model.hiddenBias)) : null;
  const squaredWeightTensor = options.withSquaredWeightedNorms ? tf.square(weightTensor) : null;
  const squaredBiasTensor = options.withSquaredWeightedNorms && biasTensor ? tf.square(biasTensor) : null;
  try {
    for await (const { start, rows, inputs: chunkData, targets } of dataChunks(data, chunkRows)) {
      throwIfCancelled(context);
      const results = tf.tidy(() => {
        const inputs = tf.tensor2d(chunkData, [rows, d]);
        let z = tf.matMul(inputs, weightTensor);
        if (biasTensor) z = tf.add(z, biasTensor);
        if (!squaredWeightTensor) return [z];
        let q = tf.matMul(tf.square(inputs), squaredWeightTensor);
        if (squaredBiasTensor) q = tf.add(q, squaredBiasTensor);
        return [z, q];
      });
      const [preactivations, squaredWeightedNorms] = await readAndDispose(results);
      await visit({ start, rows, inputs: chunkData, targets, preactivations: preactivations!, squaredWeightedNorms: squaredWeightedNorms ?? null });
      context?.onProgress?.(stage, Math.min(1, (start + rows) / data.n));
      await yieldToEventLoop();
    }
  } finally {
    weightTensor.dispose();
    biasTensor?.dispose();
    squaredWeightTensor?.dispose();
    squaredBiasTensor?.dispose();
  }
}
