import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/engine/compute/backend';
import { randomFeatureInterpolator } from '../../src/engine/predict/randomFeatures';
import { toTrainingArrays } from '../../src/engine/predict/trainer';
import { SeededRandom } from '../../src/engine/math/random';
import { forward, randomData } from '../helpers/tinyNetworks';

/** Solves A x = b (dense, float64, partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[pivot]![k]!)) pivot = i;
    [m[k], m[pivot]] = [m[pivot]!, m[k]!];
    for (let i = k + 1; i < n; i++) {
      const f = m[i]![k]! / m[k]![k]!;
      for (let j = k; j <= n; j++) m[i]![j]! -= f * m[k]![j]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = m[i]![n]!;
    for (let j = i + 1; j < n; j++) sum -= m[i]![j]! * x[j]!;
    x[i] = sum / m[i]![i]!;
  }
  return x;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`random features: the minimum-norm interpolator, solved from a float32 Gram matrix and refined in float64 (${backend})`, async () => {
    await initBackend(backend);
    const random = new SeededRandom(3);
    const data = randomData(30, 4, 2, random);
    const arrays = toTrainingArrays(data);
    for (const width of [40, 120]) {
      const model = await randomFeatureInterpolator(arrays, width, { name: 'relu' }, 9, true);
      // Independent float64 features, Gram matrix and minimum-norm weights.
      const features = Array.from({ length: arrays.n }, (_, i) => Array.from({ length: width }, (_, j) => {
        let z = model.hiddenBias![j]!;
        for (let l = 0; l < arrays.d; l++) z += model.hiddenWeights[j * arrays.d + l]! * arrays.x[i * arrays.d + l]!;
        return Math.max(0, z);
      }));
      const gram = features.map((fi) => features.map((fk) => fi.reduce((sum, v, j) => sum + v * fk[j]!, 0)));
      for (let o = 0; o < arrays.c; o++) {
        const coefficients = solve(gram, Array.from({ length: arrays.n }, (_, i) => arrays.y[i * arrays.c + o]!));
        let worst = 0;
        let scale = 0;
        for (let j = 0; j < width; j++) {
          const expected = features.reduce((sum, fi, i) => sum + fi[j]! * coefficients[i]!, 0);
          worst = Math.max(worst, Math.abs(model.outputWeights[o * width + j]! - expected));
          scale = Math.max(scale, Math.abs(expected));
        }
        assert.ok(worst <= 1e-5 * scale, `width ${width}, output ${o}: weight error ${worst} against ${scale}`);
      }
      for (let i = 0; i < arrays.n; i++) {
        forward(model, arrays.x, i).forEach((value, o) => assert.ok(Math.abs(value - arrays.y[i * arrays.c + o]!) <= 1e-5, `width ${width}: row ${i} is not interpolated`));
      }
    }
  });
}
