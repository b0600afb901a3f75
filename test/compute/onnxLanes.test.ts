/**
 * onnxruntime's session threads (src/engine/compute/onnx/sessionThread.ts): one lane per core,
 * values kept on their lane between the two runs of a chunk, feeds copied unless given up, and a
 * curvature pass whose float64 totals do not depend on which lane answers first.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { SeededRandom } from '../../src/engine/math/random';
import { initBackend } from '../../src/engine/compute/backend';
import { computeCurvatureSums } from '../../src/engine/analysis/curvatureSums';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { makeLossSpec } from '../../src/engine/math/losses';
import { OnnxGraph } from '../../src/engine/compute/onnx/graph';
import { createLaneSession, sessionThreadCensus } from '../../src/engine/compute/onnx/sessionThread';
import { releaseCurvatureSessions } from '../../src/engine/compute/onnx/curvatureKernel';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { kernelsLabel } from '../../src/shared/backendLabel';
import { CancelledError } from '../../src/engine/errors';
import type { Dataset } from '../../src/engine/data/types';
import { randomData, randomModel } from '../helpers/tinyNetworks';

function doublingGraph(): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('X', ['rows', 3]);
  g.op('Add', [x, x], {}, 'Y');
  g.output('Y', ['rows', 3]);
  return g.build();
}

describe('onnxruntime session lanes', () => {
  test('the session threads start with the first pass of several chunks, one per core, and only its report names them', async () => {
    const info = await initBackend('onnxruntime');
    assert.equal(info.lanes, undefined, 'the backend starts no session threads');
    assert.deepEqual(await sessionThreadCensus(), []);
    const random = new SeededRandom(3);
    const small = randomModel({ d: 5, m: 8, c: 1, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
    const data = randomData(300, 5, 1, random);
    const oneChunk = await analyzeLoaded(small, data, { backend: 'onnxruntime', chunkRows: 300 });
    assert.equal(oneChunk.backend.lanes, undefined);
    assert.deepEqual(await sessionThreadCensus(), [], 'a one-chunk analysis runs on this thread');
    const chunked = await analyzeLoaded(small, data, { backend: 'onnxruntime', chunkRows: 64 });
    assert.equal(chunked.backend.lanes, os.availableParallelism());
    assert.equal((await sessionThreadCensus()).length, os.availableParallelism());
    assert.match(kernelsLabel(chunked.backend) ?? '', new RegExp(`curvature pass on ${os.availableParallelism()} session thread`));
    assert.ok(Math.abs(chunked.flatness.trace - oneChunk.flatness.trace) <= 1e-6 * Math.abs(oneChunk.flatness.trace), `${chunked.flatness.trace} vs ${oneChunk.flatness.trace}`);
  });

  test('kept values stay on their lane, feed later runs and are forgotten; feeds are copied unless given up', async () => {
    await initBackend('onnxruntime');
    const session = await createLaneSession(doublingGraph());
    assert.equal(session.lanes, os.availableParallelism());
    const input = Float32Array.of(1, 2, 3, -4, 5, 6);
    const first = await session.run({ X: { data: input, dims: [2, 3] } }, undefined, { keep: { X: 'lanes test X', Y: 'lanes test Y' }, lane: 0 });
    assert.deepEqual(Array.from(first.Y!), [2, 4, 6, -8, 10, 12]);
    assert.deepEqual(Array.from(input), [1, 2, 3, -4, 5, 6], 'the caller keeps its array');
    const again = await session.run({ X: { kept: 'lanes test Y' } }, undefined, { lane: 0 });
    assert.deepEqual(Array.from(again.Y!), [4, 8, 12, -16, 20, 24]);
    if (session.lanes > 1) {
      await assert.rejects(session.run({ X: { kept: 'lanes test X' } }, undefined, { lane: 1 }), /no kept value 'lanes test X'/);
    }
    await session.run({ X: { kept: 'lanes test X' } }, undefined, { lane: 0, forget: ['lanes test X'] });
    await assert.rejects(session.run({ X: { kept: 'lanes test X' } }, undefined, { lane: 0 }), /no kept value 'lanes test X'/);
    await session.forget(['lanes test Y']);
    await assert.rejects(session.run({ X: { kept: 'lanes test Y' } }, undefined, { lane: 0 }), /no kept value 'lanes test Y'/);
    const given = Float32Array.of(1, 1, 1);
    const moved = await session.run({ X: { data: given, dims: [1, 3], move: true } }, undefined, { lane: 0 });
    assert.deepEqual(Array.from(moved.Y!), [2, 2, 2]);
    assert.equal(given.length, 0, 'a given-up feed moves to the thread');
    await session.release();
  });

  const random = new SeededRandom(5);
  const model = randomModel({ d: 7, m: 24, c: 3, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, random);
  const regression = randomData(700, 7, 3, random);
  const classes: Dataset = randomData(700, 7, 1, random, 3);

  test('the pass adds its chunks in order: repeated runs give the same float64 bits', async () => {
    await initBackend('onnxruntime');
    for (const [loss, data] of [['mse', regression], ['ce', classes]] as const) {
      const spec = makeLossSpec(loss, 3);
      const runs = [];
      for (let k = 0; k < 4; k++) runs.push(await computeCurvatureSums(model, data, spec, { chunkRows: 37, withInvariantDiagonal: true }));
      for (const run of runs.slice(1)) {
        assert.deepEqual(Array.from(run.neuronA), Array.from(runs[0]!.neuronA), `${loss} A`);
        assert.deepEqual(Array.from(run.neuronB), Array.from(runs[0]!.neuronB), `${loss} B`);
        assert.deepEqual(Array.from(run.activeSamples), Array.from(runs[0]!.activeSamples), `${loss} active`);
        assert.equal(run.lossValue, runs[0]!.lossValue, `${loss} loss`);
        assert.equal(run.invariantDiagonal, runs[0]!.invariantDiagonal, `${loss} diagonal`);
      }
    }
  });

  test('a pass cancelled with chunks in flight stops, and the next pass gives the same figures as before', async () => {
    await initBackend('onnxruntime');
    const spec = makeLossSpec('ce', 3);
    const before = await computeCurvatureSums(model, classes, spec, { chunkRows: 37, withInvariantDiagonal: true });
    const controller = new AbortController();
    let reports = 0;
    await assert.rejects(computeCurvatureSums(model, classes, spec, { chunkRows: 37, withInvariantDiagonal: true }, {
      signal: controller.signal,
      onProgress: () => { if (++reports === 2) controller.abort(); },
    }), CancelledError);
    for (const census of await sessionThreadCensus()) assert.equal(census.keptValues, 0, 'nothing kept for the chunks that never reached their sums run');
    const after = await computeCurvatureSums(model, classes, spec, { chunkRows: 37, withInvariantDiagonal: true });
    assert.deepEqual(Array.from(after.neuronB), Array.from(before.neuronB));
    assert.equal(after.invariantDiagonal, before.invariantDiagonal);
  });

  test('an analysis releases its curvature sessions after the pass (the optional analyses get the memory)', async () => {
    await initBackend('onnxruntime');
    const count = async () => (await sessionThreadCensus()).reduce((total, census) => total + census.sessions, 0);
    const fresh = randomModel({ d: 7, m: 24, c: 3, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, new SeededRandom(77));
    const before = await count();
    await computeCurvatureSums(fresh, classes, makeLossSpec('ce', 3), { chunkRows: 200 });
    assert.equal(await count(), before + 2 * os.availableParallelism(), 'a forward and a sums session per lane');
    await releaseCurvatureSessions(fresh);
    assert.equal(await count(), before);
  });

  test('sessions of models no longer referenced are released on the threads', async () => {
    await initBackend('onnxruntime');
    const count = async () => (await sessionThreadCensus()).reduce((total, census) => total + census.sessions, 0);
    const spec = makeLossSpec('ce', 3);
    const measureFresh = async (seed: number) => {
      const fresh = randomModel({ d: 7, m: 24, c: 3, hiddenBias: true, outputBias: true, activation: { name: 'relu' } }, new SeededRandom(seed));
      await computeCurvatureSums(fresh, classes, spec, { chunkRows: 200 });
    };
    const baseline = await count();
    for (let seed = 100; seed < 106; seed++) await measureFresh(seed);
    const grown = await count();
    assert.ok(grown >= baseline + 6 * os.availableParallelism(), `${grown} sessions after six models (from ${baseline})`);
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    let current = grown;
    for (let attempt = 0; attempt < 20 && current > baseline; attempt++) {
      collect();
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await count();
    }
    assert.ok(current <= baseline, `${current} sessions left on the threads after the six models were collected (from ${baseline})`);
  });
});
