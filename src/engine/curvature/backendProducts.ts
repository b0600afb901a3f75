import { tf } from '../compute/tf';

/**
 * Runs a backend product and reads it back. The typed array must not be returned from tf.tidy:
 * tidy walks its result looking for tensors, key by key, which takes seconds on millions of entries.
 */
export function backendProduct(compute: () => tf.Tensor): Float32Array {
  let values: Float32Array = new Float32Array(0);
  tf.tidy(() => {
    values = compute().dataSync() as Float32Array;
  });
  return values;
}
