import type { tf } from '../compute/tf';
import { backendProductAsync } from '../compute/read';

/**
 * Runs a backend product and reads it back, asynchronously: GPU backends (WebGPU) can only map
 * their buffers asynchronously.
 */
export function backendProduct(compute: () => tf.Tensor): Promise<Float32Array> {
  return backendProductAsync(compute);
}
