import type { TwoLayerModel } from '../../model/types';
import { transposeToFloat32 } from '../transpose';
import { OnnxGraph, attr } from './graph';
import { hasSecondDerivative, onnxActivation, onnxFirstDerivative, onnxSecondDerivative, onnxStep } from './activations';
import { addInputNormsSquared, addOutputs, addPreactivations } from './network';
import { type Feed, type FeedTensor, type OnnxRunner, OnnxSession } from './runtime';
import { createLaneSession } from './sessionThread';
import { cachedSession, releaseCachedSessions } from './sessionCache';

/**
 * The curvature-sums pass of one chunk on onnxruntime (see analysis/curvatureSums.ts for the
 * quantities). Every column sum is a product L M of a k x rows left operand (ones, ||u_i||^2,
 * and under cross-entropy the per-sample terms, transposed in JavaScript) with a rows x m matrix,
 * so nothing is transposed on the backend and few rows x m matrices are formed: terms linear in
 * the probabilities, such as sum_i ||u_i||^2 sigma'(z_ij)^2 sum_o p_io A_oj^2, are the c x m
 * product ((||u||^2 p)^T sigma'^2) combined with A∘A in float64 JavaScript.
 *
 * When the sums need no per-sample loss terms (squared error with sigma'' = 0 almost everywhere:
 * ReLU, leaky ReLU, abs, linear) the whole chunk is one run; otherwise the forward run returns z
 * and f, JavaScript computes the float64 per-sample terms, and the sums run takes z back.
 */
export interface CurvatureKernelOptions {
  crossEntropy: boolean;
  /** Lambda = scale * I under squared error. */
  squaredErrorScale: number;
  /** ||a_j||^2 per neuron. */
  outputNormSquared: Float64Array;
  withDiagonal: boolean;
  /** Per-neuron near-kink thresholds (kinkCorrection.ts), or null for smooth activations. */
  thresholds: Float32Array | null;
}

export interface ChunkForward {
  /** rows x c. */
  outputs: Float32Array;
  /** ||u_i||^2 per row. */
  inputNormSquared: Float32Array;
  /** z, rows x m, the float32 values the sums used (returned where kinks are screened). */
  preactivations: Float32Array | null;
  /** A fused kernel's sums, computed in the same run. */
  fusedSums: ChunkSums | null;
  /**
   * Chunk rows where some z_ij may be within its threshold of a kink (a float32 screen with some
   * slack): the caller corrects those rows in float64 (kinkCorrection.ts decides exactly).
   */
  nearKinkRows: number[];
  /** Prefix of the values the forward run kept on the session's thread for the sums run. */
  keptAs: string | null;
  /** The lane that ran the forward part: the sums run goes there too (it holds the kept values). */
  lane: number;
}

/** Per-sample terms computed in JavaScript, as float32 for the backend. */
export interface PerSampleTerms {
  /** tr Lambda_i, per row. */
  lossHessianTraces: Float32Array;
  /** dl/df, rows x c. */
  gradients: Float32Array;
  /** softmax(f), rows x c, under cross-entropy. */
  probabilities: Float32Array | null;
}

/** The chunk's contributions to the per-neuron sums (length m each), not yet divided by n. */
export interface ChunkSums {
  active: ArrayLike<number>;
  neuronA: Float64Array;
  neuronB: Float64Array;
  neuronC: Float64Array | null;
  /** The w-block and the a-block of sum_p theta_p^2 H_pp, when requested. */
  diagonalW: Float64Array | null;
  diagonalA: Float64Array | null;
}

/** Slack on the float32 near-kink screen: the exact test in kinkCorrection.ts decides. */
const KINK_SCREEN_SLACK = 1 + 1e-3;

let nextChunkKey = 1;

/**
 * Releases the curvature pass's sessions of `model` (the cache owner): an analysis runs the pass
 * once, and the optional analyses after it (the spectrum's Hessian-vector products, above all)
 * should not share the memory with the pass's arenas.
 */
export function releaseCurvatureSessions(model: TwoLayerModel): Promise<void> {
  return releaseCachedSessions(model, 'curvature-');
}

export class OnnxCurvatureKernel {
  /** One run per chunk: no per-sample loss terms are needed. */
  readonly fused: boolean;
  private readonly ones: Float32Array;
  private readonly outputSquares: Float64Array;
  private readonly largestThreshold: number;
  /** Values kept on the session's thread for sums runs that have not run yet. */
  private readonly outstanding = new Set<string>();
  private nextLane = 0;

  private constructor(
    private readonly model: TwoLayerModel,
    private readonly options: CurvatureKernelOptions,
    private readonly main: OnnxRunner,
    private readonly sums: OnnxRunner | null,
    maxRows: number,
  ) {
    this.fused = sums === null;
    this.ones = new Float32Array(maxRows).fill(1);
    this.outputSquares = model.outputWeights.map((v) => v * v);
    this.largestThreshold = options.thresholds ? options.thresholds.reduce((a, b) => Math.max(a, b), 0) : 0;
  }

  /**
   * `model` is the network the float32 work runs on; `cacheOwner` (the caller's model, from which
   * `model` is derived) keys the cached sessions. The sessions run on the session threads
   * (sessionThread.ts), so the caller may keep several chunks in flight; `chunks` is how many
   * the pass has: a single chunk cannot be spread over lanes, so it runs on this thread's session
   * (all intra-op threads, no messages).
   */
  static async create(model: TwoLayerModel, cacheOwner: TwoLayerModel, options: CurvatureKernelOptions, maxRows: number, chunks: number): Promise<OnnxCurvatureKernel> {
    const fused = !options.crossEntropy && !hasSecondDerivative(model.activation);
    const lanes = chunks > 1;
    const create = lanes ? createLaneSession : (graph: Uint8Array) => OnnxSession.create(graph);
    const where = lanes ? 'lanes' : 'here';
    const key = JSON.stringify({ activation: model.activation, ce: options.crossEntropy, diagonal: options.withDiagonal, kinks: options.thresholds !== null });
    if (fused) {
      const main = await cachedSession(cacheOwner, `curvature-fused ${where} ${key}`, () => buildFused(model, options), create);
      return new OnnxCurvatureKernel(model, options, main, null, maxRows);
    }
    const forwardKey = JSON.stringify({ activation: model.activation, kinks: options.thresholds !== null });
    const main = await cachedSession(cacheOwner, `curvature-forward ${where} ${forwardKey}`, () => buildForward(model, options.thresholds !== null), create);
    const sums = await cachedSession(cacheOwner, `curvature-sums ${where} ${key}`, () => buildSums(model, options), create);
    return new OnnxCurvatureKernel(model, options, main, sums, maxRows);
  }

  /**
   * The forward part of the chunk (in a fused kernel, the whole chunk). `inputs` is rows x d.
   * A split kernel keeps the inputs on the session's thread when the sums run needs them again
   * (the diagonal); z and ||u||^2 come back here and go to the sums run without a copy.
   */
  async forward(inputs: Float32Array, rows: number): Promise<ChunkForward> {
    const feeds: Record<string, FeedTensor> = { X: { data: inputs, dims: [rows, this.model.inputDim] } };
    const lane = this.nextLane++ % this.main.lanes;
    if (this.fused) {
      feeds.ones = this.onesRow(rows);
      const results = await this.main.run(feeds, undefined, { lane });
      return {
        outputs: results.F!, inputNormSquared: results.norm_squared!, preactivations: results.Z ?? null,
        fusedSums: this.combine(results), nearKinkRows: this.nearKinkRows(results), keptAs: null, lane,
      };
    }
    const keptAs = `curvature chunk ${nextChunkKey++}`;
    const keep: Record<string, string> = {};
    if (this.options.withDiagonal) {
      keep.X = `${keptAs} X`;
      this.outstanding.add(keep.X);
    }
    const results = await this.main.run(feeds, undefined, { keep, lane });
    return {
      outputs: results.F!, inputNormSquared: results.norm_squared!, preactivations: results.Z!,
      fusedSums: null, nearKinkRows: this.nearKinkRows(results), keptAs, lane,
    };
  }

  /** Chunks that run at the same time. */
  get lanes(): number {
    return this.main.lanes;
  }

  /** Drops what forward runs kept for sums runs that will not run (a cancelled or failed pass). */
  async forgetKept(): Promise<void> {
    if (this.outstanding.size === 0) return;
    const keys = [...this.outstanding];
    this.outstanding.clear();
    await this.main.forget(keys);
  }

  /**
   * The chunk's sums, given its forward part and (for a split kernel) the per-sample terms. A split
   * kernel gives z and ||u||^2 to the session: the caller must be done with them.
   */
  async columnSums(rows: number, forward: ChunkForward, terms: PerSampleTerms): Promise<ChunkSums> {
    if (this.sums === null) {
      if (forward.fusedSums === null) throw new Error('ONNX curvature kernel: a fused chunk without its sums');
      return forward.fusedSums;
    }
    const { hiddenDim: m, outputDim: c } = this.model;
    const keptAs = forward.keptAs;
    if (keptAs === null || forward.preactivations === null) throw new Error('ONNX curvature kernel: a split chunk without its forward values');
    const keptKeys: string[] = [];
    const feeds: Record<string, Feed> = {
      Z: { data: forward.preactivations, dims: [rows, m], move: true },
      norm_squared: { data: forward.inputNormSquared, dims: [rows], move: true },
      ones: this.onesRow(rows),
    };
    if (this.options.withDiagonal) {
      keptKeys.push(`${keptAs} X`);
      feeds.X = { kept: keptKeys[0]! };
    }
    if (hasSecondDerivative(this.model.activation)) feeds.G = { data: terms.gradients, dims: [rows, c] };
    const p = terms.probabilities;
    if (this.options.crossEntropy && p) {
      // [tr Lambda; (p - p^2)^T], 1 (+ c) x rows: transposed here (small) instead of on the backend.
      const diagonal = this.options.withDiagonal;
      const leftActivations = new Float32Array((diagonal ? 1 + c : 1) * rows);
      leftActivations.set(terms.lossHessianTraces);
      if (diagonal) {
        for (let r = 0; r < rows; r++) {
          for (let o = 0; o < c; o++) {
            const value = p[r * c + o]!;
            leftActivations[(1 + o) * rows + r] = value - value * value;
          }
        }
      }
      feeds.P = { data: p, dims: [rows, c] };
      feeds.left_activations = { data: leftActivations, dims: [diagonal ? 1 + c : 1, rows] };
    }
    const results = await this.sums.run(feeds, undefined, { forget: keptKeys, lane: forward.lane });
    for (const key of keptKeys) this.outstanding.delete(key);
    return this.combine(results);
  }

  private onesRow(rows: number): FeedTensor {
    return { data: this.ones.subarray(0, rows), dims: [1, rows] };
  }

  /** Rows the kernel's float32 screen flags as possibly near a kink. */
  private nearKinkRows(results: Record<string, Float32Array>): number[] {
    const rows: number[] = [];
    const smallest = results.kink_min;
    const norms = results.norm_squared!;
    if (this.options.thresholds && smallest) {
      const limit = this.largestThreshold * KINK_SCREEN_SLACK;
      for (let r = 0; r < smallest.length; r++) if (!(smallest[r]! > limit * Math.sqrt(norms[r]!))) rows.push(r);
    }
    return rows;
  }

  /** The graph's k x m products as per-neuron sums, in float64. */
  private combine(results: Record<string, Float32Array>): ChunkSums {
    const { hiddenDim: m, outputDim: c } = this.model;
    const { crossEntropy, withDiagonal, squaredErrorScale: scale, outputNormSquared } = this.options;
    const relu = this.model.activation.name === 'relu';
    const stepSums = results.step_sums!;
    const activationSums = results.activation_sums!;
    const neuronA = new Float64Array(m);
    const neuronB = new Float64Array(m);
    const diagonalW = withDiagonal ? new Float64Array(m) : null;
    const diagonalA = withDiagonal ? new Float64Array(m) : null;
    /** sum_o A_oj^2 rows[offset + o][j]: a c x m product contracted with A∘A. */
    const withOutputSquares = (values: Float32Array, offset: number, j: number) => {
      let total = 0;
      for (let o = 0; o < c; o++) total += this.outputSquares[o * m + j]! * values[(offset + o) * m + j]!;
      return total;
    };
    for (let j = 0; j < m; j++) {
      if (crossEntropy) {
        neuronA[j] = activationSums[j]!;
        neuronB[j] = results.neuron_b![j]!;
        if (diagonalW && diagonalA) {
          diagonalW[j] = results.diagonal_gauss_newton![j]!;
          diagonalA[j] = withOutputSquares(activationSums, 1, j);
        }
      } else {
        const slopeSquares = relu ? stepSums[m + j]! : results.slope_sums![j]!;
        neuronA[j] = scale * c * activationSums[j]!;
        neuronB[j] = scale * outputNormSquared[j]! * slopeSquares;
        if (diagonalW && diagonalA) {
          diagonalW[j] = scale * outputNormSquared[j]! * results.diagonal_slopes![j]!;
          diagonalA[j] = scale * outputNormSquared[j]! * activationSums[j]!;
        }
      }
      if (diagonalW && results.diagonal_curvature) diagonalW[j] = diagonalW[j]! + results.diagonal_curvature[j]!;
    }
    return {
      active: stepSums.subarray(0, m),
      neuronA,
      neuronB,
      neuronC: results.neuron_c ? Float64Array.from(results.neuron_c) : null,
      diagonalW,
      diagonalA,
    };
  }
}

function buildForward(model: TwoLayerModel, kinks: boolean): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('X', ['rows', model.inputDim]);
  const z = addPreactivations(g, model, x, 'Z');
  addOutputs(g, model, z, 'F');
  addInputNormsSquared(g, model, x, 'norm_squared');
  g.output('Z', ['rows', model.hiddenDim]);
  g.output('F', ['rows', model.outputDim]);
  g.output('norm_squared', ['rows']);
  if (kinks) addKinkScreen(g, z);
  return g.build();
}

/** min_j |z_ij| per row, screened in JavaScript against the largest threshold times ||u_i||. */
function addKinkScreen(g: OnnxGraph, z: string): void {
  g.op('ReduceMin', [g.op('Abs', [z])], { axes: attr.ints([1]), keepdims: attr.int(0) }, 'kink_min');
  g.output('kink_min', ['rows']);
}

function buildFused(model: TwoLayerModel, options: CurvatureKernelOptions): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('X', ['rows', model.inputDim]);
  const ones = g.input('ones', [1, 'rows']);
  // z goes back to JavaScript only where the near-kink correction may need it.
  const z = addPreactivations(g, model, x, options.thresholds ? 'Z' : undefined);
  const { activations } = addOutputs(g, model, z, 'F');
  const norm = addInputNormsSquared(g, model, x, 'norm_squared');
  g.output('F', ['rows', model.outputDim]);
  g.output('norm_squared', ['rows']);
  if (options.thresholds) {
    g.output('Z', ['rows', model.hiddenDim]);
    addKinkScreen(g, z);
  }
  addSums(g, model, options, { x, z, norm, ones, activations });
  return g.build();
}

function buildSums(model: TwoLayerModel, options: CurvatureKernelOptions): Uint8Array {
  const { inputDim: d, hiddenDim: m } = model;
  const g = new OnnxGraph();
  const z = g.input('Z', ['rows', m]);
  const norm = g.input('norm_squared', ['rows']);
  const ones = g.input('ones', [1, 'rows']);
  const x = options.withDiagonal ? g.input('X', ['rows', d]) : null;
  addSums(g, model, options, { x, z, norm, ones, activations: onnxActivation(g, z, model.activation) });
  return g.build();
}

interface SumInputs {
  x: string | null;
  z: string;
  norm: string;
  ones: string;
  activations: string;
}

function addSums(g: OnnxGraph, model: TwoLayerModel, options: CurvatureKernelOptions, values: SumInputs): void {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const { z, norm, ones, activations } = values;
  const crossEntropy = options.crossEntropy;
  const diagonal = options.withDiagonal && values.x !== null;
  const outputs: Array<[string, number]> = [];
  const product = (left: string, right: string, name: string, rows: number) => {
    g.op('MatMul', [left, right], {}, name);
    outputs.push([name, rows]);
  };
  const relu = model.activation.name === 'relu';
  const normRow = g.op('Reshape', [norm, g.int64s([1, -1])]);
  // For ReLU, sigma'(z)^2 = step(z) = sign(relu(z)).
  const step = relu ? g.op('Sign', [activations]) : onnxStep(g, z);
  let squaredSlopes = step;
  if (!relu) {
    const slope = onnxFirstDerivative(g, z, model.activation);
    squaredSlopes = g.op('Mul', [slope, slope]);
  }
  const squaredActivations = g.op('Mul', [activations, activations]);
  const outputRows = Float32Array.from(model.outputWeights);
  let outputRowsValue: string | null = null;
  const outputRowsInitializer = () => (outputRowsValue ??= g.initializer('output_rows', outputRows, [c, m]));
  let weightedNorms: string | null = null;
  if (diagonal) {
    const hiddenSquared = transposeToFloat32(model.hiddenWeights, m, d).map((v) => v * v);
    weightedNorms = g.op('MatMul', [g.op('Mul', [values.x!, values.x!]), g.initializer('hidden_t_squared', hiddenSquared, [d, m])]);
    if (model.hiddenBias) weightedNorms = g.op('Add', [weightedNorms, g.initializer('hidden_bias_squared', Float32Array.from(model.hiddenBias, (b) => Math.fround(b) ** 2), [m])]);
  }
  if (crossEntropy) {
    const probabilities = g.input('P', ['rows', c]);
    const leftActivations = g.input('left_activations', [diagonal ? 1 + c : 1, 'rows']);
    product(ones, step, 'step_sums', 1);
    // [tr Lambda; (p - p^2)^T] sigma^2: A, and the a-block of the diagonal contracted with A∘A later.
    product(leftActivations, squaredActivations, 'activation_sums', diagonal ? 1 + c : 1);
    // a_j^T Lambda_i a_j = p^T (A∘A) - (p^T A)^2 per entry: the difference of two sums over rows
    // would cancel in float32 where the softmax is confident.
    const projected = g.op('MatMul', [probabilities, outputRowsInitializer()]);
    const quadratic = g.op('Sub', [
      g.op('MatMul', [probabilities, g.initializer('output_rows_squared', outputRows.map((v) => v * v), [c, m])]),
      g.op('Mul', [projected, projected]),
    ]);
    const gaussNewton = g.op('Mul', [quadratic, squaredSlopes]);
    product(normRow, gaussNewton, 'neuron_b', 1);
    if (weightedNorms) product(ones, g.op('Mul', [gaussNewton, weightedNorms]), 'diagonal_gauss_newton', 1);
  } else {
    if (relu) {
      product(g.op('Concat', [ones, normRow], { axis: attr.int(0) }), step, 'step_sums', 2);
    } else {
      product(ones, step, 'step_sums', 1);
      product(normRow, squaredSlopes, 'slope_sums', 1);
    }
    product(ones, squaredActivations, 'activation_sums', 1);
    if (weightedNorms) product(ones, g.op('Mul', [squaredSlopes, weightedNorms]), 'diagonal_slopes', 1);
  }
  const curvatures = onnxSecondDerivative(g, z, model.activation);
  if (curvatures) {
    const gradients = g.input('G', ['rows', c]);
    const curvaturePerSample = g.op('Mul', [g.op('MatMul', [gradients, outputRowsInitializer()]), curvatures]);
    product(normRow, curvaturePerSample, 'neuron_c', 1);
    if (weightedNorms) product(ones, g.op('Mul', [curvaturePerSample, weightedNorms]), 'diagonal_curvature', 1);
  }
  for (const [name, rows] of outputs) g.output(name, [rows, m]);
}
