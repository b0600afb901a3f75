import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxGraph, attr } from '../../src/engine/compute/onnx/graph';
import { OnnxSession } from '../../src/engine/compute/onnx/runtime';
import { ProtoWriter } from '../../src/engine/compute/onnx/protobuf';
import { SeededRandom } from '../../src/engine/math/random';

function randomFloat32(length: number, random: SeededRandom): Float32Array {
  return Float32Array.from({ length }, () => random.normal());
}

const sessions: OnnxSession[] = [];
async function session(graph: OnnxGraph): Promise<OnnxSession> {
  const created = await OnnxSession.create(graph.build());
  sessions.push(created);
  return created;
}
after(async () => { for (const s of sessions) await s.release(); });

describe('protobuf writer', () => {
  test('varints, negative int64s, fixed32 floats and nested messages use the wire format', () => {
    const bytes = new ProtoWriter().int(1, 300).int(2, -1).float(3, 1.5).message(4, (w) => w.string(1, 'ab')).finish();
    assert.deepEqual(Array.from(bytes), [
      0x08, 0xac, 0x02,
      0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
      0x1d, 0x00, 0x00, 0xc0, 0x3f,
      0x22, 0x04, 0x0a, 0x02, 0x61, 0x62,
    ]);
  });
});

describe('ONNX graph builder run by onnxruntime', () => {
  test('relu(X W + b) with W as an initializer and symbolic rows matches float64 JavaScript', async () => {
    const random = new SeededRandom(3);
    const d = 7;
    const m = 5;
    const rows = 11;
    const weights = randomFloat32(d * m, random);
    const bias = randomFloat32(m, random);
    const inputs = randomFloat32(rows * d, random);
    const graph = new OnnxGraph();
    const x = graph.input('X', ['rows', d]);
    const z = graph.op('Add', [graph.op('MatMul', [x, graph.initializer('W', weights, [d, m])]), graph.initializer('b', bias, [m])]);
    graph.op('Relu', [z], {}, 'Y');
    graph.output('Y', ['rows', m]);
    const { Y } = await (await session(graph)).run({ X: { data: inputs, dims: [rows, d] } });
    assert.equal(Y!.length, rows * m);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        let exact = bias[j]!;
        for (let l = 0; l < d; l++) exact += inputs[r * d + l]! * weights[l * m + j]!;
        const expected = Math.max(0, exact);
        assert.ok(Math.abs(Y![r * m + j]! - expected) <= 1e-5 * (1 + Math.abs(expected)), `(${r}, ${j}): ${Y![r * m + j]} vs ${expected}`);
      }
    }
  });

  test('attributes, int64 constants and scalars: LeakyRelu, ReduceSum over rows, ReduceSumSquare over columns', async () => {
    const random = new SeededRandom(5);
    const rows = 9;
    const m = 4;
    const values = randomFloat32(rows * m, random);
    const graph = new OnnxGraph();
    const x = graph.input('X', ['rows', m]);
    const leaky = graph.op('LeakyRelu', [x], { alpha: attr.float(0.25) });
    graph.op('ReduceSum', [graph.op('Mul', [leaky, graph.scalar(2)]), graph.int64s([0])], { keepdims: attr.int(0) }, 'columns');
    graph.op('ReduceSumSquare', [x], { axes: attr.ints([1]), keepdims: attr.int(0) }, 'norms');
    graph.output('columns', [m]);
    graph.output('norms', ['rows']);
    const s = await session(graph);
    const { columns, norms } = await s.run({ X: { data: values, dims: [rows, m] } });
    for (let j = 0; j < m; j++) {
      let expected = 0;
      for (let r = 0; r < rows; r++) { const v = values[r * m + j]!; expected += 2 * (v > 0 ? v : 0.25 * v); }
      assert.ok(Math.abs(columns![j]! - expected) <= 1e-5 * (1 + Math.abs(expected)));
    }
    for (let r = 0; r < rows; r++) {
      let expected = 0;
      for (let j = 0; j < m; j++) expected += values[r * m + j]! ** 2;
      assert.ok(Math.abs(norms![r]! - expected) <= 1e-5 * (1 + expected));
    }
    const only = await s.run({ X: { data: values, dims: [rows, m] } }, ['norms']);
    assert.deepEqual(Object.keys(only), ['norms']);
  });

  test('a name used twice and an output that does not exist are refused', () => {
    const graph = new OnnxGraph();
    graph.input('X', [1]);
    assert.throws(() => graph.input('X', [1]), /already used/);
    assert.throws(() => graph.output('Y', [1]), /no value named 'Y'/);
    assert.throws(() => graph.initializer('W', new Float32Array(3), [2, 2]), /3 values for shape \[2, 2\]/);
  });
});
