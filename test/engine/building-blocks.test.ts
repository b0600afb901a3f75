import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { erf } from '../../src/engine/math/special';
import { makeActivation, parseActivation } from '../../src/engine/math/activations';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { makeLossSpec } from '../../src/engine/math/losses';
import { isFlatnessLensError } from '../../src/engine/errors';
import { randomData, randomModel } from '../helpers/tinyNetworks';

describe('special functions and activations', () => {
  test('erf against tabulated values', () => {
    const table: Array<[number, number]> = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3.5, 0.9999992569016276], [-1.2, -0.9103139782296353]];
    for (const [x, expected] of table) assert.ok(Math.abs(erf(x) - expected) < 1e-13, `erf(${x}) = ${erf(x)}`);
  });

  test('activation values at known points', () => {
    const value = (text: string, z: number) => makeActivation(parseActivation(text)!).value(z);
    assert.ok(Math.abs(value('gelu', 1) - 0.8413447460685429) < 1e-12);
    assert.ok(Math.abs(value('softplus', 0) - Math.LN2) < 1e-15);
    assert.ok(Math.abs(value('elu:0.5', -1) - 0.5 * (Math.exp(-1) - 1)) < 1e-15);
    assert.equal(value('leaky_relu:0.2', -2), -0.4);
    assert.equal(value('relu^3', 2), 8);
    assert.equal(value('relu^3', -2), 0);
  });

  test('parsing names, aliases and parameters; degrees of homogeneity', () => {
    assert.deepEqual(parseActivation('ReLU'), { name: 'relu' });
    assert.deepEqual(parseActivation('leaky_relu(0.1)'), { name: 'leaky_relu', slope: 0.1 });
    assert.deepEqual(parseActivation('relu^2'), { name: 'relu_pow', power: 2 });
    assert.equal(parseActivation('identity')!.name, 'linear');
    assert.equal(parseActivation('swish'), null);
    assert.equal(parseActivation('leaky_relu:2'), null, 'slope must be below 1');
    const degree = (text: string) => makeActivation(parseActivation(text)!).homogeneityDegree;
    assert.deepEqual(['relu', 'leaky_relu', 'abs', 'linear', 'square', 'relu^3', 'tanh', 'gelu'].map(degree), [1, 1, 1, 1, 2, 3, null, null]);
  });
});

describe('compute backends', () => {
  test('a forced native backend runs where it is installed and is a clear error where not, and wasm and cpu both run', async () => {
    // Whether the optional @tensorflow/tfjs-node is installed depends on the machine: test both cases.
    let nativeInstalled = true;
    try { require.resolve('@tensorflow/tfjs-node'); } catch { nativeInstalled = false; }
    if (nativeInstalled) assert.equal((await initBackend('tensorflow')).name, 'tensorflow');
    else await assert.rejects(initBackend('tensorflow'), (error: unknown) => isFlatnessLensError(error) && /backend 'tensorflow' is not available.*tfjs-node/.test(error.message));
    const random = new SeededRandom(1);
    const model = randomModel({ d: 4, m: 6, c: 1, hiddenBias: true, outputBias: false, activation: { name: 'relu' } }, random);
    const data = randomData(300, 4, 1, random);
    const loss = makeLossSpec('mse', 1);
    const traces: number[] = [];
    for (const backend of ['wasm', 'cpu'] as const) {
      const info = await initBackend(backend);
      assert.equal(info.name, backend);
      const sums = await computeCurvatureSums(model, data, loss, { chunkRows: 64 });
      traces.push(sums.neuronA.reduce((s, v) => s + v, 0) + sums.neuronB.reduce((s, v) => s + v, 0));
    }
    assert.ok(Math.abs(traces[0]! - traces[1]!) < 1e-5 * traces[0]!, `wasm ${traces[0]} vs cpu ${traces[1]}`);
    const auto = await initBackend('auto');
    // onnxruntime-node is a dependency: auto takes it wherever its native binary loads.
    assert.ok(['onnxruntime', 'wasm', 'cpu'].includes(auto.name), auto.name);
  });

  test('chunking does not change the result, and cancellation stops the pass', async () => {
    await initBackend('wasm');
    const random = new SeededRandom(2);
    const model = randomModel({ d: 5, m: 7, c: 2, hiddenBias: true, outputBias: true, activation: { name: 'tanh' } }, random);
    const data = randomData(1000, 5, 1, random, 2);
    const loss = makeLossSpec('ce', 2);
    const whole = await computeCurvatureSums(model, data, loss, { chunkRows: 1000, withInvariantDiagonal: true });
    const pieces = await computeCurvatureSums(model, data, loss, { chunkRows: 37, withInvariantDiagonal: true });
    for (const key of ['neuronA', 'neuronB', 'neuronC'] as const) {
      whole[key].forEach((v, j) => assert.ok(Math.abs(v - pieces[key][j]!) <= 1e-5 * Math.abs(v) + 1e-9, `${key}[${j}]`));
    }
    assert.ok(Math.abs(whole.invariantDiagonal! - pieces.invariantDiagonal!) <= 1e-5 * Math.abs(whole.invariantDiagonal!));
    assert.ok(Math.abs(whole.lossValue - pieces.lossValue) < 1e-9);
    const controller = new AbortController();
    let chunks = 0;
    const pending = computeCurvatureSums(model, data, loss, { chunkRows: 10 }, {
      signal: controller.signal,
      onProgress: () => { chunks++; if (chunks === 3) controller.abort(); },
    });
    await assert.rejects(pending, (error: unknown) => isFlatnessLensError(error) && error.code === 'cancelled');
    assert.equal(chunks, 3, 'no chunk runs after the abort');
  });
});
