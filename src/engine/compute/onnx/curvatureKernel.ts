import type { TwoLayerModel } from '../../model/types';
import { transposeToFloat32 } from '../transpose';
import { OnnxGraph, attr } from './graph';
import { hasSecondDerivative, onnxActivation, onnxFirstDerivative, onnxSecondDerivative, onnxStep } from './activations';
import { addInputNormsSquared, addOutputs, addPreactivations } from './network';
import type { OnnxSession } from './runtime';
import { cachedSession } from './sessionCache';

/**
 * The curvature-sums pass of one chunk on onnxruntime (see analysis/curvatureSums.ts for the
 * quantities). Column sums are products of a 1 x rows (or k x rows) weight row with the rows x m
 * matrix, so nothing is transposed. When the sums need no per-sample loss terms (squared error
 * with sigma'' = 0 almost everywhere: ReLU, leaky ReLU, abs, linear) the whole chunk is one run;
 * otherwise the forward run returns z and f, JavaScript computes the float64 per-sample terms,
 * and the sums run takes z back.
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

/** Column sums of the chunk (length m each), not yet divided by n. */
export interface ChunkSums {
  active: Float32Array;
  /** Squared error: sum_i ||u_i||^2 sigma'(z_ij)^2. */
  slopeSquares: Float32Array | null;
  /** Squared error: sum_i sigma(z_ij)^2. */
  activationSquares: Float32Array | null;
  /** Cross-entropy: sum_i tr(Lambda_i) sigma(z_ij)^2. */
  neuronA: Float32Array | null;
  /** Cross-entropy: sum_i ||u_i||^2 sigma'(z_ij)^2 a_j^T Lambda_i a_j. */
  neuronB: Float32Array | null;
  neuronC: Float32Array | null;
  /** The w-block of sum_p theta_p^2 H_pp (squared error: already times scale ||a_j||^2). */
  diagonalW: Float32Array | null;
  /** Cross-entropy: the a-block of the diagonal sum. */
  diagonalA: Float32Array | null;
  nearKinks: number;
}

const SUM_OUTPUTS = ['active_slopes', 'active', 'slope_squares', 'activation_squares', 'neuron_a', 'neuron_b', 'neuron_c', 'diagonal_w', 'diagonal_a', 'near_kinks'] as const;

export class OnnxCurvatureKernel {
  /** One run per chunk: no per-sample loss terms are needed. */
  readonly fused: boolean;
  private readonly ones: Float32Array;
  private pendingSums: ChunkSums | null = null;

  private constructor(
    private readonly model: TwoLayerModel,
    private readonly options: CurvatureKernelOptions,
    private readonly main: OnnxSession,
    private readonly sums: OnnxSession | null,
    private readonly zOnly: () => Promise<OnnxSession>,
    maxRows: number,
  ) {
    this.fused = sums === null;
    this.ones = new Float32Array(maxRows).fill(1);
  }

  /**
   * `model` is the network the float32 work runs on; `cacheOwner` (the caller's model, from which
   * `model` is derived) keys the cached sessions.
   */
  static async create(model: TwoLayerModel, cacheOwner: TwoLayerModel, options: CurvatureKernelOptions, maxRows: number): Promise<OnnxCurvatureKernel> {
    const fused = !options.crossEntropy && !hasSecondDerivative(model.activation);
    const key = JSON.stringify({ activation: model.activation, ce: options.crossEntropy, scale: options.squaredErrorScale, diagonal: options.withDiagonal, kinks: options.thresholds !== null });
    const zOnly = () => cachedSession(cacheOwner, 'curvature-z', () => {
      const g = new OnnxGraph();
      addPreactivations(g, model, g.input('X', ['rows', model.inputDim]), 'Z');
      g.output('Z', ['rows', model.hiddenDim]);
      return g.build();
    });
    if (fused) {
      const main = await cachedSession(cacheOwner, `curvature-fused ${key}`, () => buildFused(model, options));
      return new OnnxCurvatureKernel(model, options, main, null, zOnly, maxRows);
    }
    const main = await cachedSession(cacheOwner, 'curvature-forward', () => buildForward(model));
    const sums = await cachedSession(cacheOwner, `curvature-sums ${key}`, () => buildSums(model, options));
    return new OnnxCurvatureKernel(model, options, main, sums, zOnly, maxRows);
  }

  /** The forward part of the chunk (in a fused kernel, the whole chunk). `inputs` is rows x d. */
  async forward(inputs: Float32Array, rows: number): Promise<ChunkForward & { preactivations: Float32Array | null }> {
    const feeds = { X: { data: inputs, dims: [rows, this.model.inputDim] }, ...(this.fused ? { ones: this.onesRow(rows) } : {}) };
    const results = await this.main.run(feeds);
    if (this.fused) this.pendingSums = readSums(results);
    return { outputs: results.F!, inputNormSquared: results.norm_squared!, preactivations: results.Z ?? null };
  }

  /**
   * The chunk's column sums. `preactivations` is the z the forward part returned (null for a
   * fused kernel, whose sums came with the forward run).
   */
  async columnSums(inputs: Float32Array, rows: number, forward: ChunkForward & { preactivations: Float32Array | null }, terms: PerSampleTerms): Promise<ChunkSums> {
    if (this.sums === null) {
      const sums = this.pendingSums;
      this.pendingSums = null;
      if (sums === null) throw new Error('ONNX curvature kernel: columnSums before forward');
      return sums;
    }
    const { inputDim: d, hiddenDim: m, outputDim: c } = this.model;
    const feeds: Record<string, { data: Float32Array; dims: readonly number[] }> = {
      Z: { data: forward.preactivations!, dims: [rows, m] },
      norm_squared: { data: forward.inputNormSquared, dims: [rows] },
      ones: this.onesRow(rows),
    };
    if (this.options.withDiagonal) feeds.X = { data: inputs, dims: [rows, d] };
    if (this.options.crossEntropy) {
      feeds.P = { data: terms.probabilities!, dims: [rows, c] };
      feeds.traces = { data: terms.lossHessianTraces, dims: [1, rows] };
    }
    if (hasSecondDerivative(this.model.activation)) feeds.G = { data: terms.gradients, dims: [rows, c] };
    return readSums(await this.sums.run(feeds));
  }

  /** z for the chunk, for the near-kink correction (a fused kernel does not return it). */
  async preactivations(inputs: Float32Array, rows: number, forward: { preactivations: Float32Array | null }): Promise<Float32Array> {
    if (forward.preactivations) return forward.preactivations;
    const { Z } = await (await this.zOnly()).run({ X: { data: inputs, dims: [rows, this.model.inputDim] } });
    return Z!;
  }

  private onesRow(rows: number) {
    return { data: this.ones.subarray(0, rows), dims: [1, rows] };
  }
}

function readSums(results: Record<string, Float32Array>): ChunkSums {
  const get = (name: string) => results[name] ?? null;
  let active = get('active');
  let slopeSquares = get('slope_squares');
  const both = get('active_slopes');
  if (both) {
    const m = both.length / 2;
    active = both.subarray(0, m);
    slopeSquares = both.subarray(m);
  }
  return {
    active: active!,
    slopeSquares,
    activationSquares: get('activation_squares'),
    neuronA: get('neuron_a'),
    neuronB: get('neuron_b'),
    neuronC: get('neuron_c'),
    diagonalW: get('diagonal_w'),
    diagonalA: get('diagonal_a'),
    nearKinks: get('near_kinks')?.[0] ?? 0,
  };
}

function buildForward(model: TwoLayerModel): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('X', ['rows', model.inputDim]);
  const z = addPreactivations(g, model, x, 'Z');
  addOutputs(g, model, z, 'F');
  addInputNormsSquared(g, model, x, 'norm_squared');
  g.output('Z', ['rows', model.hiddenDim]);
  g.output('F', ['rows', model.outputDim]);
  g.output('norm_squared', ['rows']);
  return g.build();
}

function buildFused(model: TwoLayerModel, options: CurvatureKernelOptions): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('X', ['rows', model.inputDim]);
  const ones = g.input('ones', [1, 'rows']);
  const z = addPreactivations(g, model, x);
  const { activations } = addOutputs(g, model, z, 'F');
  const norm = addInputNormsSquared(g, model, x, 'norm_squared');
  g.output('F', ['rows', model.outputDim]);
  g.output('norm_squared', ['rows']);
  addSums(g, model, options, { x, z, norm, ones, activations, probabilities: null, traces: null, gradients: null });
  return g.build();
}

function buildSums(model: TwoLayerModel, options: CurvatureKernelOptions): Uint8Array {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const g = new OnnxGraph();
  const z = g.input('Z', ['rows', m]);
  const norm = g.input('norm_squared', ['rows']);
  const ones = g.input('ones', [1, 'rows']);
  const x = options.withDiagonal ? g.input('X', ['rows', d]) : null;
  const probabilities = options.crossEntropy ? g.input('P', ['rows', c]) : null;
  const traces = options.crossEntropy ? g.input('traces', [1, 'rows']) : null;
  const gradients = hasSecondDerivative(model.activation) ? g.input('G', ['rows', c]) : null;
  addSums(g, model, options, { x, z, norm, ones, activations: onnxActivation(g, z, model.activation), probabilities, traces, gradients });
  return g.build();
}

interface SumInputs {
  x: string | null;
  z: string;
  norm: string;
  ones: string;
  activations: string;
  probabilities: string | null;
  traces: string | null;
  gradients: string | null;
}

function addSums(g: OnnxGraph, model: TwoLayerModel, options: CurvatureKernelOptions, values: SumInputs): void {
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const { z, norm, ones, activations } = values;
  const outputs: string[] = [];
  const columnSum = (weights: string, matrix: string, name: (typeof SUM_OUTPUTS)[number]) => {
    g.op('MatMul', [weights, matrix], {}, name);
    outputs.push(name);
  };
  const normRow = g.op('Reshape', [norm, g.int64s([1, -1])]);
  const positive = onnxStep(g, z);
  const isRelu = model.activation.name === 'relu';
  let squaredSlopes = positive;
  if (!isRelu) {
    const slope = onnxFirstDerivative(g, z, model.activation);
    squaredSlopes = g.op('Mul', [slope, slope]);
  }
  const squaredActivations = g.op('Mul', [activations, activations]);
  if (options.thresholds) {
    const limit = g.op('Mul', [g.op('Reshape', [g.op('Sqrt', [norm]), g.int64s([-1, 1])]), g.initializer('thresholds', options.thresholds, [1, m])]);
    const near = g.op('Cast', [g.op('LessOrEqual', [g.op('Abs', [z]), limit])], { to: attr.int(1) });
    g.op('ReduceSum', [near], { keepdims: attr.int(0) }, 'near_kinks');
    outputs.push('near_kinks');
  }
  if (isRelu && !options.crossEntropy) {
    columnSum(g.op('Concat', [ones, normRow], { axis: attr.int(0) }), positive, 'active_slopes');
  } else {
    columnSum(ones, positive, 'active');
  }
  const outputRows = Float32Array.from(model.outputWeights);
  let a: string | null = null;
  let aSquared: string | null = null;
  const outputRowsValue = () => (a ??= g.initializer('output_rows', outputRows, [c, m]));
  const outputRowsSquaredValue = () => (aSquared ??= g.initializer('output_rows_squared', outputRows.map((v) => v * v), [c, m]));
  let gaussNewton: string | null = null;
  if (values.probabilities) {
    const p = values.probabilities;
    const projected = g.op('MatMul', [p, outputRowsValue()]);
    const quadratic = g.op('Sub', [g.op('MatMul', [p, outputRowsSquaredValue()]), g.op('Mul', [projected, projected])]);
    gaussNewton = g.op('Mul', [quadratic, squaredSlopes]);
    columnSum(values.traces!, squaredActivations, 'neuron_a');
    columnSum(normRow, gaussNewton, 'neuron_b');
  } else {
    if (!isRelu) columnSum(normRow, squaredSlopes, 'slope_squares');
    columnSum(ones, squaredActivations, 'activation_squares');
  }
  let curvaturePerSample: string | null = null;
  const curvatures = onnxSecondDerivative(g, z, model.activation);
  if (curvatures && values.gradients) {
    curvaturePerSample = g.op('Mul', [g.op('MatMul', [values.gradients, outputRowsValue()]), curvatures]);
    columnSum(normRow, curvaturePerSample, 'neuron_c');
  }
  if (options.withDiagonal && values.x) {
    const hiddenSquared = transposeToFloat32(model.hiddenWeights, m, d).map((v) => v * v);
    let weightedNorms = g.op('MatMul', [g.op('Mul', [values.x, values.x]), g.initializer('hidden_t_squared', hiddenSquared, [d, m])]);
    if (model.hiddenBias) weightedNorms = g.op('Add', [weightedNorms, g.initializer('hidden_bias_squared', Float32Array.from(model.hiddenBias, (b) => Math.fround(b) ** 2), [m])]);
    let perSample = gaussNewton ?? g.op('Mul', [squaredSlopes, g.initializer('slope_weights', Float32Array.from(options.outputNormSquared, (v) => options.squaredErrorScale * v), [1, m])]);
    if (curvaturePerSample) perSample = g.op('Add', [perSample, curvaturePerSample]);
    columnSum(ones, g.op('Mul', [perSample, weightedNorms]), 'diagonal_w');
    if (values.probabilities) {
      const p = values.probabilities;
      const bernoulli = g.op('Sub', [p, g.op('Mul', [p, p])]);
      columnSum(ones, g.op('Mul', [g.op('MatMul', [bernoulli, outputRowsSquaredValue()]), squaredActivations]), 'diagonal_a');
    }
  }
  for (const name of outputs) g.output(name, name === 'near_kinks' ? [] : [name === 'active_slopes' ? 2 : 1, m]);
}
