import { tf } from './tf';
import { checkWebGpuHealth } from './webgpu';

/**
 * Reads a tensor back to JavaScript. Asynchronous because GPU backends can only map their
 * buffers asynchronously (tfjs's dataSync needs an OffscreenCanvas on WebGPU, which Node lacks);
 * on wasm and cpu it resolves at once. A GPU error or lost device since the last read throws
 * GpuDeviceFailure instead of returning the zeros a failed dispatch leaves behind.
 */
export async function readFloat32(tensor: tf.Tensor): Promise<Float32Array> {
  checkWebGpuHealth();
  const values = await tensor.data();
  checkWebGpuHealth();
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/** Reads several tensors (one readback round for all of them on a GPU) and disposes them. */
export async function readAndDispose(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  try {
    checkWebGpuHealth();
    const values = await Promise.all(tensors.map((tensor) => tensor.data()));
    checkWebGpuHealth();
    return values.map((value) => (value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>)));
  } finally {
    for (const tensor of tensors) tensor.dispose();
  }
}

/**
 * Runs a backend product and reads it back. The typed array is not returned from tf.tidy: tidy
 * walks its result looking for tensors, key by key, which takes seconds on millions of entries.
 */
export async function backendProductAsync(compute: () => tf.Tensor): Promise<Float32Array> {
  const result = tf.tidy(compute);
  return (await readAndDispose([result]))[0]!;
}
