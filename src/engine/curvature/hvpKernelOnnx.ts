import { OnnxGraph, attr } from '../compute/onnx/graph';
import { OnnxSession } from '../compute/onnx/runtime';
import { onnxActivation, onnxFirstDerivative, onnxSecondDerivative } from '../compute/onnx/activations';
import {
  type DirectionLayout, type HvpBatch, type HvpChunkSums, type HvpForward, type HvpGradientSums,
  type HvpKernel, type HvpNetwork, type ReadyChunkState, augmentedInputs, transposed, transposedHidden,
} from './hvpKernel';

/**
 * The per-chunk work of a batch of Hessian-vector products (the formulas in hvpKernel.ts) as one
 * onnxruntime graph per chunk, the k directions stacked on a leading axis so that every product
 * is a batched MatMul on MLAS's multi-threaded kernels. Rows and k are symbolic: one session
 * serves every chunk and batch size. Z is fed from the prepare pass's cache, or recomputed in the
 * graph (a second session) for chunks beyond the memory budget.
 */
export class OnnxHvpKernel implements HvpKernel {
  readonly du: number;
  private readonly sessions = new Map<'cached' | 'recomputed' | 'forward' | 'gradient', Promise<OnnxSession>>();

  constructor(private readonly network: HvpNetwork) {
    this.du = network.hasHiddenBias ? network.d + 1 : network.d;
  }

  private session(variant: 'cached' | 'recomputed' | 'forward' | 'gradient'): Promise<OnnxSession> {
    let session = this.sessions.get(variant);
    if (!session) {
      const model = variant === 'forward' ? this.buildForward() : variant === 'gradient' ? this.buildGradient() : this.build(variant === 'cached');
      session = OnnxSession.create(model);
      this.sessions.set(variant, session);
    }
    return session;
  }

  dispose(): void {
    for (const session of this.sessions.values()) void session.then((s) => s.release(), () => undefined);
    this.sessions.clear();
  }

  private hiddenWeights(g: OnnxGraph): string {
    const { m, d } = this.network;
    return g.initializer('WT', transposedHidden(this.network.hiddenWeights, this.network.hiddenBias, m, d), [this.du, m]);
  }

  /** Z = U [W | b]^T and sigma(Z) A^T. */
  private buildForward(): Uint8Array {
    const { m, c } = this.network;
    const g = new OnnxGraph();
    const z = g.op('MatMul', [g.input('U', ['rows', this.du]), this.hiddenWeights(g)], {}, 'Z');
    const aT = g.initializer('AT', transposed(this.network.outputWeights, c, m), [m, c]);
    g.op('MatMul', [onnxActivation(g, z, this.network.activation), aT], {}, 'F');
    g.output('Z', ['rows', m]);
    g.output('F', ['rows', c]);
    return g.build();
  }

  /** U^T ((G A) o S') and G^T S. */
  private buildGradient(): Uint8Array {
    const { m, c, activation } = this.network;
    const g = new OnnxGraph();
    const u = g.input('U', ['rows', this.du]);
    const z = g.input('Z', ['rows', m]);
    const gradient = g.input('G', ['rows', c]);
    const a = g.initializer('A', Float32Array.from(this.network.outputWeights), [c, m]);
    const delta = g.op('Mul', [g.op('MatMul', [gradient, a]), onnxFirstDerivative(g, z, activation)]);
    g.op('Gemm', [u, delta], { transA: attr.int(1) }, 'hidden');
    g.op('Gemm', [gradient, onnxActivation(g, z, activation)], { transA: attr.int(1) }, 'output');
    g.output('hidden', [this.du, m]);
    g.output('output', [c, m]);
    return g.build();
  }

  async forward(inputs: Float32Array, rows: number): Promise<HvpForward> {
    const session = await this.session('forward');
    const results = await session.run({ U: { data: augmentedInputs(inputs, rows, this.network.d, this.du), dims: [rows, this.du] } });
    return { preactivations: results.Z!, outputs: results.F! };
  }

  async gradient(inputs: Float32Array, rows: number, preactivations: Float32Array, lossGradient: Float32Array): Promise<HvpGradientSums> {
    const { m, c, d } = this.network;
    const session = await this.session('gradient');
    const results = await session.run({
      U: { data: augmentedInputs(inputs, rows, d, this.du), dims: [rows, this.du] },
      Z: { data: preactivations, dims: [rows, m] },
      G: { data: lossGradient, dims: [rows, c] },
    });
    return { hidden: results.hidden!, output: results.output! };
  }

  private build(zFed: boolean): Uint8Array {
    const { m, c, activation, crossEntropy, scale } = this.network;
    const du = this.du;
    const g = new OnnxGraph();
    const u = g.input('U', ['rows', du]);
    const z = zFed
      ? g.input('Z', ['rows', m])
      : g.op('MatMul', [u, this.hiddenWeights(g)]);
    const gradient = g.input('G', ['rows', c]);
    const probabilities = crossEntropy ? g.input('P', ['rows', 1, c]) : null;
    // Directions side by side (column block b is direction b): plain 2D products over the rows.
    const vt = g.input('VT', [du, 'km']);
    const vaT = g.input('VAT', [m, 'kc']);
    const va = g.input('VA', [c, 'km']);
    const vc = g.input('VC', ['k', c]);
    const a = g.initializer('A', Float32Array.from(this.network.outputWeights), [c, m]);
    const aT = g.initializer('AT', transposed(this.network.outputWeights, c, m), [m, c]);
    const reshape = (value: string, shape: number[]): string => g.op('Reshape', [value, g.int64s(shape)]);
    const transA = { transA: attr.int(1) };

    const sigma = onnxActivation(g, z, activation);
    const sigmaPrime = reshape(onnxFirstDerivative(g, z, activation), [0, 1, m]); // rows x 1 x m
    const sigmaSecond = this.network.piecewiseLinear ? null : onnxSecondDerivative(g, z, activation);
    const rz = reshape(g.op('MatMul', [u, vt]), [0, -1, m]); // rows x k x m
    const tangent = g.op('Mul', [sigmaPrime, rz]);
    // N-D by 2D MatMuls run as one GEMM over the flattened leading axes.
    const rf = g.op('Add', [g.op('Add', [reshape(g.op('MatMul', [sigma, vaT]), [0, -1, c]), g.op('MatMul', [tangent, aT])]), vc]); // rows x k x c
    let rg: string;
    if (probabilities) {
      const weighted = g.op('Mul', [probabilities, rf]);
      rg = g.op('Sub', [weighted, g.op('Mul', [probabilities, g.op('ReduceSum', [weighted, g.int64s([2])], { keepdims: attr.int(1) })])]);
    } else {
      rg = g.op('Mul', [rf, g.scalar(scale)]);
    }
    let delta = g.op('Mul', [g.op('Add', [g.op('MatMul', [rg, a]), reshape(g.op('MatMul', [gradient, va]), [0, -1, m])]), sigmaPrime]);
    if (sigmaSecond) {
      const curvature = reshape(g.op('Mul', [g.op('MatMul', [gradient, a]), sigmaSecond]), [0, 1, m]);
      delta = g.op('Add', [delta, g.op('Mul', [curvature, rz])]);
    }
    // du x (k m) -> k x du x m
    const hidden = g.op('Gemm', [u, reshape(delta, [0, -1])], transA);
    g.op('Transpose', [reshape(hidden, [du, -1, m])], { perm: attr.ints([1, 0, 2]) }, 'hidden');
    // (k c) x m + (c x (k m) -> k x c x m)
    const direct = reshape(g.op('Gemm', [reshape(rg, [0, -1]), sigma], transA), [-1, c, m]);
    const curvatureOfOutputs = g.op('Transpose', [reshape(g.op('Gemm', [gradient, reshape(tangent, [0, -1])], transA), [c, -1, m])], { perm: attr.ints([1, 0, 2]) });
    g.op('Add', [direct, curvatureOfOutputs], {}, 'output');
    g.op('ReduceSum', [rg, g.int64s([0])], { keepdims: attr.int(0) }, 'output_bias');
    g.output('hidden', ['k', du, m]);
    g.output('output', ['k', c, m]);
    g.output('output_bias', ['k', c]);
    return g.build();
  }

  async begin(vs: Float64Array[], layout: DirectionLayout): Promise<HvpBatch> {
    const { d, m, c, hasHiddenBias } = this.network;
    const du = this.du;
    const k = vs.length;
    // Column block b of each matrix is direction b.
    const vt = new Float32Array(du * k * m);
    const vaT = new Float32Array(m * k * c);
    const va = new Float32Array(c * k * m);
    const vc = new Float32Array(k * c);
    vs.forEach((v, b) => {
      const hidden = transposedHidden(v.subarray(0, m * d), hasHiddenBias ? v.subarray(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m) : null, m, d);
      for (let l = 0; l < du; l++) vt.set(hidden.subarray(l * m, (l + 1) * m), l * k * m + b * m);
      const outputBlock = v.subarray(layout.outputWeightsOffset, layout.outputWeightsOffset + c * m);
      for (let o = 0; o < c; o++) {
        for (let j = 0; j < m; j++) {
          va[o * k * m + b * m + j] = outputBlock[o * m + j]!;
          vaT[j * k * c + b * c + o] = outputBlock[o * m + j]!;
        }
      }
      if (layout.outputBiasOffset >= 0) vc.set(v.subarray(layout.outputBiasOffset, layout.outputBiasOffset + c), b * c);
    });
    const directionFeeds = {
      VT: { data: vt, dims: [du, k * m] },
      VAT: { data: vaT, dims: [m, k * c] },
      VA: { data: va, dims: [c, k * m] },
      VC: { data: vc, dims: [k, c] },
    };
    return {
      chunk: async (inputs: Float32Array, state: ReadyChunkState): Promise<HvpChunkSums[]> => {
        const { rows } = state;
        const session = await this.session(state.preactivations ? 'cached' : 'recomputed');
        const results = await session.run({
          ...directionFeeds,
          U: { data: augmentedInputs(inputs, rows, d, du), dims: [rows, du] },
          ...(state.preactivations ? { Z: { data: state.preactivations, dims: [rows, m] } } : {}),
          G: { data: state.lossGradient, dims: [rows, c] },
          ...(state.probabilities ? { P: { data: state.probabilities, dims: [rows, 1, c] } } : {}),
        });
        const hidden = results.hidden!;
        const output = results.output!;
        const outputBias = results.output_bias!;
        return vs.map((_, b) => ({
          hidden: hidden.subarray(b * du * m, (b + 1) * du * m),
          output: output.subarray(b * c * m, (b + 1) * c * m),
          outputBias: outputBias.subarray(b * c, (b + 1) * c),
        }));
      },
      release: () => undefined,
    };
  }
}
