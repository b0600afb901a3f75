import type { BackendRequest } from '../../src/shared/report';

/**
 * The backend the engine tests run on: wasm, or FLATNESS_TEST_BACKEND (e.g. onnxruntime) to run
 * the same float64-reference checks on another backend's kernels.
 */
export function testBackend(): BackendRequest {
  return (process.env.FLATNESS_TEST_BACKEND as BackendRequest | undefined) ?? 'wasm';
}
