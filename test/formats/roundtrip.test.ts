import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { initBackend } from '../../src/engine/compute/backend';
import type { Dataset } from '../../src/engine/data/types';
import { loadModel } from '../../src/engine/load/modelLoader';
import { makeLossSpec } from '../../src/engine/math/losses';
import type { TwoLayerModel } from '../../src/engine/model/types';
import { activationOf, formatFixture, loadReference, prng, referenceIds } from './helpers';

/**
 * Round trip: each fixture, loaded through the registry, gives the same flatness terms as the
 * same network written as F64 safetensors by the fixture script (read by the safetensors loader).
 * The safetensors twin was written from the framework's own reading of the weights.
 */
function makeDataset(d: number, c: number, n: number, seed: number, classes: boolean): Dataset {
  const random = prng(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const inputs = new Float32Array(n * d).map(() => gaussian());
  const targets = classes
    ? new Float32Array(n).map(() => Math.floor(random() * c))
    : new Float32Array(n * c).map(() => gaussian());
  return {
    n, d, targetDim: classes ? 1 : c, inputs, targets,
    source: { path: 'generated', format: 'memory', inputName: 'X', targetName: 'y', notes: [] },
  };
}

function flatness(sums: Awaited<ReturnType<typeof computeCurvatureSums>>): number {
  let total = sums.outputBiasTerm;
  for (let j = 0; j < sums.neuronA.length; j++) total += sums.neuronA[j]! + sums.neuronB[j]! + sums.neuronC[j]!;
  return total;
}

describe('every format round-trips to the same flatness numbers as safetensors', () => {
  before(async () => {
    await initBackend('cpu');
  });

  for (const id of referenceIds()) {
    it(id, async () => {
      const ref = loadReference(id);
      const activation = activationOf(ref.activation);
      const model: TwoLayerModel = await loadModel(formatFixture(ref.file), { activation });
      const twin = await loadModel(formatFixture(ref.safetensors), { activation });
      assert.equal(twin.source.format, 'safetensors');
      const losses = ref.outputDim >= 2 ? (['mse', 'ce'] as const) : (['mse'] as const);
      for (const kind of losses) {
        const data = makeDataset(ref.inputDim, ref.outputDim, 96, 1234, kind === 'ce');
        const loss = makeLossSpec(kind, ref.outputDim);
        const fromFile = await computeCurvatureSums(model, data, loss, { withInvariantDiagonal: true });
        const fromTwin = await computeCurvatureSums(twin, data, loss, { withInvariantDiagonal: true });
        assert.ok(Number.isFinite(flatness(fromFile)) && flatness(fromFile) !== 0, `${id} ${kind}: flatness ${flatness(fromFile)}`);
        assert.equal(flatness(fromFile), flatness(fromTwin), `${id} ${kind}: flatness`);
        assert.deepEqual(Array.from(fromFile.neuronA), Array.from(fromTwin.neuronA));
        assert.deepEqual(Array.from(fromFile.neuronB), Array.from(fromTwin.neuronB));
        assert.deepEqual(Array.from(fromFile.neuronC), Array.from(fromTwin.neuronC));
        assert.equal(fromFile.lossValue, fromTwin.lossValue);
        assert.equal(fromFile.invariantDiagonal, fromTwin.invariantDiagonal);
      }
    });
  }
});
