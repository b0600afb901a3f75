/**
 * Samples within float32 rounding of a ReLU kink: the active set, B_j and the invariant diagonal
 * must follow the exact float64 sign of z_ij, not the float32 product's rounding.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { testBackend } from '../helpers/testBackend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { makeLossSpec } from '../../src/engine/math/losses';
import { randomData, randomModel, relativeError } from '../helpers/tinyNetworks';

before(async () => { await initBackend(testBackend()); });

test('ReLU and leaky ReLU: samples 1e-10 from a kink are counted by their exact sign', async () => {
  const random = new SeededRandom(80);
  for (const activation of [{ name: 'relu' as const }, { name: 'leaky_relu' as const, slope: 0.2 }]) {
    const d = 6;
    const m = 12;
    const model = randomModel({ d, m, c: 1, hiddenBias: true, outputBias: false, activation }, random);
    const data = randomData(40, d, 1, random);
    // Neuron j's kink passes within +-1e-10 of sample j: the bias makes z_jj = sign * 1e-10 exactly in float64.
    const signs: number[] = [];
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let l = 0; l < d; l++) dot += model.hiddenWeights[j * d + l]! * data.inputs[j * d + l]!;
      const sign = j % 2 ? 1 : -1;
      model.hiddenBias![j] = -dot + sign * 1e-10;
      let exact = model.hiddenBias![j]!;
      for (let l = 0; l < d; l++) exact += model.hiddenWeights[j * d + l]! * data.inputs[j * d + l]!;
      signs.push(exact > 0 ? 1 : -1);
    }
    const sums = await computeCurvatureSums(model, data, makeLossSpec('mse', 1), { withInvariantDiagonal: true });
    const alpha = activation.name === 'leaky_relu' ? activation.slope : 0;
    let invariant = 0;
    for (let j = 0; j < m; j++) {
      let active = 0;
      let b = 0;
      let a = 0;
      const outputSquared = model.outputWeights[j]! ** 2;
      for (let i = 0; i < data.n; i++) {
        let z = model.hiddenBias![j]!;
        let normSquared = 1;
        let weighted = model.hiddenBias![j]! ** 2;
        for (let l = 0; l < d; l++) {
          z += model.hiddenWeights[j * d + l]! * data.inputs[i * d + l]!;
          normSquared += data.inputs[i * d + l]! ** 2;
          weighted += (model.hiddenWeights[j * d + l]! * data.inputs[i * d + l]!) ** 2;
        }
        const slope = z > 0 ? 1 : alpha;
        const sigma = z > 0 ? z : alpha * z;
        if (z > 0) active++;
        b += 2 * outputSquared * slope * slope * normSquared;
        a += 2 * sigma * sigma;
        invariant += 2 * outputSquared * (slope * slope * weighted + sigma * sigma);
      }
      assert.equal(sums.activeSamples[j], active, `${activation.name} neuron ${j}: active samples (kink sample sign ${signs[j]})`);
      assert.ok(relativeError(sums.neuronB[j]!, b / data.n) < 1e-5, `${activation.name} neuron ${j}: B ${sums.neuronB[j]} vs ${b / data.n}`);
      assert.ok(relativeError(sums.neuronA[j]!, a / data.n) < 1e-4, `${activation.name} neuron ${j}: A`);
    }
    assert.ok(relativeError(sums.invariantDiagonal!, invariant / data.n) < 1e-5, `${activation.name}: invariant diagonal`);
  }
});
