import { tf } from '../compute/tf';
import type { AnyDataset } from '../data/types';
import { dataChunks, isStreamed, readRows } from '../data/rows';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import { type LossSpec, type TargetLayout, evaluateSampleLoss, targetLayoutOf } from '../math/losses';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from '../compute/context';
import { type PreactivationChunk, defaultChunkRows, forEachPreactivationChunk } from '../compute/preactivations';
import { type ParameterLayout, parameterLayout } from './parameterVector';
import { backendProduct } from './backendProducts';
import { transposeToFloat32 } from '../compute/transpose';
import { FastScalarProducts } from './fastScalarProducts';
import { type HvpChunkState, type HvpChunkSums, type HvpKernel, type HvpNetwork, type ReadyChunkState, TfjsHvpKernel } from './hvpKernel';
import { OnnxHvpKernel } from './hvpKernelOnnx';
import { onnxKernelsActive } from '../compute/backend';

/**
 * Where the two d x m products of a Hessian-vector product run: in float64 JavaScript (exact
 * enough for tiny networks, used by the tests) or on the active tfjs backend (float32 products,
 * float64 accumulation across chunks). 'auto' picks the backend above ~1e6 multiply-adds.
 */
export type ProductPath = 'float64' | 'backend';

export interface LossOperatorOptions {
  chunkRows?: number;
  products?: 'auto' | ProductPath;
  /** Per-chunk activation derivatives are kept between products while they fit in this many bytes. */
  cacheBudgetBytes?: number;
  /** Whether the backend kernel's cache may hold pre-activations (default: defaultCachePolicy). */
  cachePreactivations?: boolean;
  /**
   * One output, piecewise-linear activation, squared error, tfjs backend products: do all O(n m)
   * work as backend products (fastScalarProducts.ts). Default true; false forces the general path.
   */
  fastPath?: boolean;
}

export const DEFAULT_CACHE_BUDGET_BYTES = 384 * 1024 * 1024;
/** The default for data streamed from disk, whose point is memory that does not grow with n. */
export const STREAMED_CACHE_BUDGET_BYTES = 96 * 1024 * 1024;

/** Streamed data on onnxruntime: the cache holds per-sample loss terms only, up to this many bytes. */
export const STREAMED_TERMS_BUDGET_BYTES = 32 * 1024 * 1024;

/**
 * What the backend kernel's cache may hold by default. For streamed data on onnxruntime, no
 * pre-activations: chunks with and without cached pre-activations need two Hessian-vector-product
 * sessions, and each session's memory arena keeps its peak. With both, the spectrum of 1M streamed
 * rows (d 50, m 256) peaked at 705 MB; with the recomputing session alone, at about 510 MB. The
 * per-sample loss terms (4 bytes per row and output) are still kept, within a smaller budget.
 */
export function defaultCachePolicy(data: AnyDataset): { budgetBytes: number; preactivations: boolean } {
  if (!isStreamed(data)) return { budgetBytes: DEFAULT_CACHE_BUDGET_BYTES, preactivations: true };
  if (onnxKernelsActive()) return { budgetBytes: STREAMED_TERMS_BUDGET_BYTES, preactivations: false };
  return { budgetBytes: STREAMED_CACHE_BUDGET_BYTES, preactivations: true };
}

/** What one chunk of samples contributes, derived from its pre-activations z. */
interface ChunkState {
  start: number;
  rows: number;
  /** rows x m each: sigma(z), sigma'(z), sigma''(z) (null for piecewise-linear activations). */
  sigma: Float64Array;
  sigmaPrime: Float64Array;
  sigmaSecond: Float64Array | null;
  /** rows x c: g_i = dl/df. */
  lossGradient: Float64Array;
  /** rows x c: softmax probabilities (cross-entropy only). */
  probabilities: Float64Array | null;
  /** rows x d: the chunk's inputs as read from the data set. */
  inputs: Float32Array;
}

/**
 * The empirical loss of a two-layer network as an operator: its value, its exact gradient and
 * exact Hessian-vector products in closed form (FLATNESS.md section 2 without the trace), in
 * the parameter order of parameterVector.ts. Nothing is differentiated numerically or by tfjs:
 *
 *   Rz = V_W x + v_b,   Rf = sum_j (V_a_j sigma(z_j) + a_j sigma'(z_j) Rz_j) + v_c,   Rg = Lambda Rf
 *   (Hv)_a_j = mean_i [Rg sigma(z_j) + g sigma'(z_j) Rz_j]
 *   (Hv)_(w_j, b_j) = mean_i [((Rg . a_j + g . V_a_j) sigma'(z_j) + (g . a_j) sigma''(z_j) Rz_j) u_i]
 *   (Hv)_c = mean_i Rg
 *
 * The sigma'' term is the C_j curvature of f for non-piecewise-linear activations.
 */
export class LossOperator {
  readonly layout: ParameterLayout;
  readonly targetLayout: TargetLayout;
  readonly products: ProductPath;
  /** What runs the Hessian-vector products (reported by the benchmark, checked by the tests). */
  get productKernel(): 'float64' | 'scalar-output' | 'tfjs' | 'onnxruntime' {
    if (this.fast) return 'scalar-output';
    if (this.kernel) return this.kernel instanceof OnnxHvpKernel ? 'onnxruntime' : 'tfjs';
    return 'float64';
  }

  /** Chunks whose pre-activations the backend kernel keeps (the others recompute them per pass). */
  get cachedPreactivationChunks(): number {
    return this.backendChunks.filter((chunk) => chunk.preactivations !== null).length;
  }

  /** Number of Hessian-vector products evaluated so far. */
  productCount = 0;
  lossValue = 0;
  gradient: Float64Array;

  private readonly chunkRows: number;
  private readonly activation;
  private readonly outputByNeuron: Float64Array; // m x c
  private cache: ChunkState[] | null = null;
  private fast: FastScalarProducts | null = null;
  /** Backend products: the batched per-chunk kernel (hvpKernel.ts) and each chunk's fixed state. */
  private kernel: HvpKernel | null = null;
  private backendChunks: HvpChunkState[] = [];

  private constructor(
    readonly model: TwoLayerModel,
    readonly data: AnyDataset,
    readonly loss: LossSpec,
    products: ProductPath,
    chunkRows: number,
    targetLayout: TargetLayout,
  ) {
    this.layout = parameterLayout(model);
    this.targetLayout = targetLayout;
    this.products = products;
    this.chunkRows = chunkRows;
    this.activation = makeActivation(model.activation);
    const { hiddenDim: m, outputDim: c } = model;
    this.outputByNeuron = new Float64Array(m * c);
    for (let o = 0; o < c; o++) {
      for (let j = 0; j < m; j++) this.outputByNeuron[j * c + o] = model.outputWeights[o * m + j]!;
    }
    this.gradient = new Float64Array(this.layout.size);
  }

  /** One streamed pass: loss, gradient, and (within the memory budget) the cached chunk states. */
  static async prepare(
    model: TwoLayerModel,
    data: AnyDataset,
    loss: LossSpec,
    options: LossOperatorOptions = {},
    context?: ComputeContext,
    keepCache = true,
  ): Promise<LossOperator> {
    const { inputDim: d, hiddenDim: m, outputDim: c } = model;
    const requested = options.products ?? 'auto';
    const products: ProductPath = requested !== 'auto' ? requested : data.n * m * d >= 1e6 ? 'backend' : 'float64';
    const chunkRows = options.chunkRows ?? defaultChunkRows(model);
    const operator = new LossOperator(model, data, loss, products, chunkRows, await targetLayoutOf(loss, model, data));
    const needSecond = !operator.activation.piecewiseLinear;
    const bytesPerRow = 8 * (m * (needSecond ? 3 : 2) + 2 * c) + 4 * d;
    const policy = defaultCachePolicy(data);
    const budget = options.cacheBudgetBytes ?? policy.budgetBytes;
    // On onnxruntime the batched kernel's MLAS products beat these tfjs products (W1's spectrum: 4.6 s against 7.5 s).
    const fastEligible = keepCache && (options.fastPath ?? true) && products === 'backend' && c === 1 && !onnxKernelsActive()
      && loss.kind !== 'ce' && operator.activation.piecewiseLinear
      && data.n * FastScalarProducts.bytesPerRow(m) <= budget;
    const fast = fastEligible ? new FastScalarProducts(operator.layout, model.outputWeights, loss.squaredErrorScale, data.n) : null;
    const cache: ChunkState[] | null = products === 'float64' && keepCache && data.n * bytesPerRow <= budget ? [] : null;
    const useKernel = products === 'backend' && !fast;
    if (useKernel) {
      const network: HvpNetwork = {
        d, m, c, hasHiddenBias: operator.layout.hasHiddenBias, activation: model.activation,
        piecewiseLinear: operator.activation.piecewiseLinear, outputWeights: model.outputWeights,
        hiddenWeights: model.hiddenWeights, hiddenBias: model.hiddenBias, crossEntropy: loss.kind === 'ce',
        scale: loss.squaredErrorScale,
      };
      operator.kernel = onnxKernelsActive() ? new OnnxHvpKernel(network) : new TfjsHvpKernel(network);
      try {
        await operator.kernelPass(keepCache ? budget : 0, options.cachePreactivations ?? policy.preactivations, context);
      } catch (error) {
        operator.dispose();
        throw error;
      }
      if (!keepCache) operator.dispose();
      return operator;
    }

    const gradient = operator.gradient;
    let lossSum = 0;
    await forEachPreactivationChunk(model, data, async (chunk) => {
      const { state, lossSum: chunkLoss } = operator.buildChunkState(chunk);
      lossSum += chunkLoss;
      await operator.accumulateGradient(state, gradient);
      if (fast) await fast.addChunk(state, chunk.inputs);
      if (cache) cache.push(state);
    }, { chunkRows }, context, 'gradient');
    const n = data.n;
    for (let p = 0; p < gradient.length; p++) gradient[p] = gradient[p]! / n;
    operator.lossValue = lossSum / n;
    operator.cache = cache;
    operator.fast = fast;
    return operator;
  }

  /**
   * The prepare pass on the kernel: per chunk the forward products, the per-sample loss terms in
   * float64 JavaScript, then the gradient products. Within `budget` bytes each chunk keeps its G
   * (and P), then its pre-activations too; what is not kept is recomputed per batch of directions
   * (one forward product, and the loss terms), so memory does not grow with n beyond the budget.
   */
  private async kernelPass(budget: number, cachePreactivations: boolean, context?: ComputeContext): Promise<void> {
    const { hiddenDim: m, outputDim: c, inputDim: d } = this.model;
    const kernel = this.kernel!;
    const gradient = this.gradient;
    let cachedBytes = 0;
    let lossSum = 0;
    for await (const chunk of dataChunks(this.data, this.chunkRows)) {
      throwIfCancelled(context);
      const { rows, start } = chunk;
      const forward = await kernel.forward(chunk.inputs, rows);
      const terms = this.lossTerms(forward.outputs, chunk.targets, rows);
      lossSum += terms.lossSum;
      const sums = await kernel.gradient(chunk.inputs, rows, forward.preactivations, terms.lossGradient);
      this.addChunkSums({ hidden: sums.hidden, output: sums.output, outputBias: terms.biasSums }, gradient, m, c, d);
      const termBytes = 4 * rows * c * (terms.probabilities ? 2 : 1);
      const keepTerms = cachedBytes + termBytes <= budget;
      if (keepTerms) cachedBytes += termBytes;
      const keepPreactivations = cachePreactivations && keepTerms && cachedBytes + 4 * rows * m <= budget;
      if (keepPreactivations) cachedBytes += 4 * rows * m;
      this.backendChunks.push({
        start, rows,
        lossGradient: keepTerms ? terms.lossGradient : null,
        probabilities: keepTerms ? terms.probabilities : null,
        preactivations: keepPreactivations ? forward.preactivations : null,
      });
      context?.onProgress?.('gradient', Math.min(1, (start + rows) / this.data.n));
      await yieldToEventLoop();
    }
    const n = this.data.n;
    for (let p = 0; p < gradient.length; p++) gradient[p] = gradient[p]! / n;
    this.lossValue = lossSum / n;
  }

  /** Per-sample loss terms of a chunk from its outputs sigma(Z) A^T (float32), in float64. */
  private lossTerms(outputs: Float32Array, targets: Float32Array, rows: number): {
    lossSum: number; lossGradient: Float32Array; probabilities: Float32Array | null; biasSums: Float64Array;
  } {
    const c = this.model.outputDim;
    const outputBias = this.model.outputBias;
    const output = new Float64Array(c);
    const sampleGradient = new Float64Array(c);
    const sampleProbabilities = new Float64Array(c);
    const lossGradient = new Float32Array(rows * c);
    const probabilities = this.loss.kind === 'ce' ? new Float32Array(rows * c) : null;
    const biasSums = new Float64Array(c);
    let lossSum = 0;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < c; o++) output[o] = outputs[r * c + o]! + (outputBias ? outputBias[o]! : 0);
      lossSum += evaluateSampleLoss(this.loss, this.targetLayout, output, targets, r, sampleGradient, sampleProbabilities);
      for (let o = 0; o < c; o++) {
        lossGradient[r * c + o] = sampleGradient[o]!;
        biasSums[o] = biasSums[o]! + sampleGradient[o]!;
        if (probabilities) probabilities[r * c + o] = sampleProbabilities[o]!;
      }
    }
    return { lossSum, lossGradient, probabilities, biasSums };
  }

  /** Frees the cached backend tensors. */
  dispose(): void {
    this.cache = null;
    this.fast?.dispose();
    this.fast = null;
    this.backendChunks = [];
    this.kernel?.dispose();
    this.kernel = null;
  }



  private buildChunkState(chunk: PreactivationChunk): { state: ChunkState; lossSum: number } {
    const { hiddenDim: m, outputDim: c } = this.model;
    const { rows, start } = chunk;
    const z = chunk.preactivations;
    const activation = this.activation;
    const needSecond = !activation.piecewiseLinear;
    const sigma = new Float64Array(rows * m);
    const sigmaPrime = new Float64Array(rows * m);
    const sigmaSecond = needSecond ? new Float64Array(rows * m) : null;
    for (let e = 0; e < rows * m; e++) {
      const value = z[e]!;
      sigma[e] = activation.value(value);
      sigmaPrime[e] = activation.firstDerivative(value);
      if (sigmaSecond) sigmaSecond[e] = activation.secondDerivative(value);
    }
    const lossGradient = new Float64Array(rows * c);
    const probabilities = this.loss.kind === 'ce' ? new Float64Array(rows * c) : null;
    const output = new Float64Array(c);
    const sampleGradient = new Float64Array(c);
    const sampleProbabilities = new Float64Array(c);
    const outputBias = this.model.outputBias;
    let lossSum = 0;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < c; o++) output[o] = outputBias ? outputBias[o]! : 0;
      for (let j = 0; j < m; j++) {
        const s = sigma[r * m + j]!;
        if (s !== 0) for (let o = 0; o < c; o++) output[o] = output[o]! + this.outputByNeuron[j * c + o]! * s;
      }
      lossSum += evaluateSampleLoss(this.loss, this.targetLayout, output, chunk.targets, r,
        sampleGradient, sampleProbabilities);
      lossGradient.set(sampleGradient, r * c);
      if (probabilities) probabilities.set(sampleProbabilities, r * c);
    }
    return { state: { start, rows, sigma, sigmaPrime, sigmaSecond, lossGradient, probabilities, inputs: chunk.inputs }, lossSum };
  }

  /** Visits every chunk state, from the cache or recomputed from a fresh pass over the data. */
  private async forEachChunkState(visit: (state: ChunkState) => Promise<void>, context?: ComputeContext): Promise<void> {
    if (this.cache) {
      for (const state of this.cache) {
        throwIfCancelled(context);
        await visit(state);
      }
      await yieldToEventLoop();
      return;
    }
    await forEachPreactivationChunk(this.model, this.data, async (chunk) => {
      await visit(this.buildChunkState(chunk).state);
    }, { chunkRows: this.chunkRows }, context, 'hessian-vector product');
  }

  /** Adds the unnormalized (sum over samples) gradient of one chunk into `out`. */
  private async accumulateGradient(state: ChunkState, out: Float64Array): Promise<void> {
    const { hiddenDim: m, outputDim: c } = this.model;
    const layout = this.layout;
    const a = this.outputByNeuron;
    const { rows, sigma, sigmaPrime, lossGradient } = state;
    const deltas = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) {
        const s = sigma[r * m + j]!;
        let projected = 0;
        for (let o = 0; o < c; o++) {
          const g = lossGradient[r * c + o]!;
          projected += g * a[j * c + o]!;
          if (s !== 0) out[layout.outputWeightsOffset + o * m + j] = out[layout.outputWeightsOffset + o * m + j]! + g * s;
        }
        const delta = projected * sigmaPrime[r * m + j]!;
        deltas[r * m + j] = delta;
        if (layout.hasHiddenBias) out[layout.hiddenBiasOffset + j] = out[layout.hiddenBiasOffset + j]! + delta;
      }
      if (layout.hasOutputBias) {
        for (let o = 0; o < c; o++) out[layout.outputBiasOffset + o] = out[layout.outputBiasOffset + o]! + lossGradient[r * c + o]!;
      }
    }
    await this.backProject(state, deltas, 1, [out]);
  }

  /**
   * outs[b][W block] += deltas_b^T X_chunk, where deltas is rows x (batch m) row-major with the
   * b-th vector's neurons at columns b m .. b m + m - 1.
   */
  private async backProject(state: ChunkState, deltas: Float64Array, batch: number, outs: Float64Array[]): Promise<void> {
    const { hiddenDim: m, inputDim: d } = this.model;
    const { rows } = state;
    const width = batch * m;
    const inputs = state.inputs;
    if (this.products === 'backend') {
      // Transposed here (tiled, cache-friendly) so that the backend product needs no transposed operand.
      const transposed = transposeToFloat32(deltas, rows, width);
      const product = await backendProduct(() => tf.matMul(tf.tensor2d(transposed, [width, rows]), tf.tensor2d(inputs, [rows, d])));
      for (let b = 0; b < batch; b++) {
        const out = outs[b]!;
        const offset = b * m * d;
        for (let e = 0; e < m * d; e++) out[e] = out[e]! + product[offset + e]!;
      }
      return;
    }
    for (let b = 0; b < batch; b++) {
      const out = outs[b]!;
      for (let r = 0; r < rows; r++) {
        const inputOffset = r * d;
        for (let j = 0; j < m; j++) {
          const delta = deltas[r * width + b * m + j]!;
          if (delta === 0) continue;
          const weightOffset = j * d;
          for (let l = 0; l < d; l++) out[weightOffset + l] = out[weightOffset + l]! + delta * inputs[inputOffset + l]!;
        }
      }
    }
  }

  /** rows x (batch m): V_W x_i for each direction (their hidden biases are added by the row kernel). */
  private projectDirections(state: ChunkState, vs: Float64Array[]): Float64Array {
    const { hiddenDim: m, inputDim: d } = this.model;
    const { rows } = state;
    const batch = vs.length;
    const width = batch * m;
    const projected = new Float64Array(rows * width);
    const inputs = state.inputs;
    for (let b = 0; b < batch; b++) {
      const v = vs[b]!;
      for (let r = 0; r < rows; r++) {
        const inputOffset = r * d;
        for (let j = 0; j < m; j++) {
          let sum = 0;
          const weightOffset = j * d;
          for (let l = 0; l < d; l++) sum += v[weightOffset + l]! * inputs[inputOffset + l]!;
          projected[r * width + b * m + j] = sum;
        }
      }
    }
    return projected;
  }

  /**
   * Backend path: every chunk's R-operator work as batched products (hvpKernel.ts), the chunks'
   * float32 sums accumulated in float64.
   */
  private async batchedProducts(vs: Float64Array[], context?: ComputeContext): Promise<Float64Array[]> {
    const { hiddenDim: m, outputDim: c, inputDim: d } = this.model;
    const layout = this.layout;
    const kernel = this.kernel!;
    const outs = vs.map(() => new Float64Array(layout.size));
    const batch = await kernel.begin(vs, layout);
    try {
      const chunks = this.backendChunks;
      // The next chunk's rows are read while this one is computed (from disk when streamed).
      const read = (k: number) => {
        const pending = k < chunks.length ? readRows(this.data, chunks[k]!.start, chunks[k]!.rows) : null;
        pending?.catch(() => undefined);
        return pending;
      };
      let pending = read(0);
      for (const [k, kept] of chunks.entries()) {
        throwIfCancelled(context);
        const { inputs, targets } = await pending!;
        pending = read(k + 1);
        let state = kept;
        if (!kept.lossGradient) {
          const forward = await kernel.forward(inputs, kept.rows);
          const terms = this.lossTerms(forward.outputs, targets, kept.rows);
          state = { ...kept, lossGradient: terms.lossGradient, probabilities: terms.probabilities, preactivations: forward.preactivations };
        }
        const sums = await batch.chunk(inputs, state as ReadyChunkState);
        sums.forEach((chunkSums, b) => this.addChunkSums(chunkSums, outs[b]!, m, c, d));
        context?.onProgress?.('hessian-vector product', Math.min(1, (state.start + state.rows) / this.data.n));
        await yieldToEventLoop();
      }
    } finally {
      batch.release();
    }
    const n = this.data.n;
    for (const out of outs) for (let p = 0; p < out.length; p++) out[p] = out[p]! / n;
    return outs;
  }

  private addChunkSums(sums: HvpChunkSums | { hidden: Float32Array; output: Float32Array; outputBias: Float64Array }, out: Float64Array, m: number, c: number, d: number): void {
    const layout = this.layout;
    const { hidden, output, outputBias } = sums;
    for (let l = 0; l < d; l++) {
      const row = l * m;
      for (let j = 0; j < m; j++) out[j * d + l] = out[j * d + l]! + hidden[row + j]!;
    }
    if (layout.hasHiddenBias) {
      for (let j = 0; j < m; j++) out[layout.hiddenBiasOffset + j] = out[layout.hiddenBiasOffset + j]! + hidden[d * m + j]!;
    }
    const outputOffset = layout.outputWeightsOffset;
    for (let e = 0; e < c * m; e++) out[outputOffset + e] = out[outputOffset + e]! + output[e]!;
    if (layout.hasOutputBias) {
      for (let o = 0; o < c; o++) out[layout.outputBiasOffset + o] = out[layout.outputBiasOffset + o]! + outputBias[o]!;
    }
  }

  /** H v, exact, in parameter order. */
  async hessianVectorProduct(v: Float64Array, context?: ComputeContext): Promise<Float64Array> {
    return (await this.hessianVectorProducts([v], context))[0]!;
  }

  /**
   * H v for several directions in one pass over the data: the per-sample work is memory-bound
   * on the cached activation derivatives, so a batch costs little more than one product.
   */
  async hessianVectorProducts(vs: Float64Array[], context?: ComputeContext): Promise<Float64Array[]> {
    const { hiddenDim: m, outputDim: c } = this.model;
    const layout = this.layout;
    const batch = vs.length;
    if (batch === 0) return [];
    for (const v of vs) {
      if (v.length !== layout.size) throw new RangeError(`direction has ${v.length} entries, expected ${layout.size}`);
    }
    if (this.fast) {
      throwIfCancelled(context);
      const results = await this.fast.products(vs);
      this.productCount += batch;
      await yieldToEventLoop();
      return results;
    }
    if (this.kernel) {
      const results = await this.batchedProducts(vs, context);
      this.productCount += batch;
      return results;
    }
    const kernels: KernelInput[] = vs.map((v) => {
      const va = new Float64Array(m * c); // V_a, m x c neuron-major
      for (let o = 0; o < c; o++) {
        for (let j = 0; j < m; j++) va[j * c + o] = v[layout.outputWeightsOffset + o * m + j]!;
      }
      return {
        m, c, a: this.outputByNeuron, va,
        vb: layout.hasHiddenBias ? v.slice(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m) : new Float64Array(m),
        vc: layout.hasOutputBias ? v.slice(layout.outputBiasOffset, layout.outputBiasOffset + c) : new Float64Array(c),
        isCrossEntropy: this.loss.kind === 'ce', scale: this.loss.squaredErrorScale,
        outputBlock: new Float64Array(m * c), hiddenBiasBlock: new Float64Array(m), outputBiasBlock: new Float64Array(c),
        rf: new Float64Array(c), rg: new Float64Array(c),
      };
    });
    const width = batch * m;
    const outs = vs.map(() => new Float64Array(layout.size));
    const rowKernel = c === 1 ? scalarOutputRow : generalRow;
    let deltas = new Float64Array(0);
    await this.forEachChunkState(async (state) => {
      const rz = this.projectDirections(state, vs);
      if (deltas.length !== state.rows * width) deltas = new Float64Array(state.rows * width);
      for (let r = 0; r < state.rows; r++) {
        for (let b = 0; b < batch; b++) rowKernel(kernels[b]!, state, r, rz, r * width + b * m, deltas);
      }
      await this.backProject(state, deltas, batch, outs);
    }, context);
    const n = this.data.n;
    for (let b = 0; b < batch; b++) {
      const out = outs[b]!;
      const kernel = kernels[b]!;
      for (let o = 0; o < c; o++) {
        for (let j = 0; j < m; j++) out[layout.outputWeightsOffset + o * m + j] = kernel.outputBlock[j * c + o]!;
      }
      if (layout.hasHiddenBias) out.set(kernel.hiddenBiasBlock, layout.hiddenBiasOffset);
      if (layout.hasOutputBias) out.set(kernel.outputBiasBlock, layout.outputBiasOffset);
      for (let p = 0; p < out.length; p++) out[p] = out[p]! / n;
    }
    this.productCount += batch;
    return outs;
  }
}

/** One direction's constants and accumulators for the per-sample R-operator work. */
interface KernelInput {
  m: number;
  c: number;
  /** a_j and the direction's V_a_j, both m x c neuron-major. */
  a: Float64Array;
  va: Float64Array;
  /** The direction's hidden bias (m) and output bias (c), zeros when absent. */
  vb: Float64Array;
  vc: Float64Array;
  isCrossEntropy: boolean;
  scale: number;
  outputBlock: Float64Array;
  hiddenBiasBlock: Float64Array;
  outputBiasBlock: Float64Array;
  /** Scratch: R{f} and R{g} of the current sample. */
  rf: Float64Array;
  rg: Float64Array;
}

/**
 * Per-sample R-operator work for sample r of a chunk, any number of outputs. rz and deltas hold
 * this direction's m neurons at [offset, offset + m) of the row.
 */
function generalRow(
  k: KernelInput, state: ChunkState, r: number, rz: Float32Array | Float64Array, offset: number, deltas: Float64Array,
): void {
  const { m, c, a, va, vb, vc, rf, rg, outputBlock, hiddenBiasBlock, outputBiasBlock } = k;
  const { sigma, sigmaPrime, sigmaSecond, lossGradient, probabilities } = state;
  const rowOffset = r * m;
  for (let o = 0; o < c; o++) rf[o] = vc[o]!;
  for (let j = 0; j < m; j++) {
    const s = sigma[rowOffset + j]!;
    const tangent = sigmaPrime[rowOffset + j]! * (rz[offset + j]! + vb[j]!);
    for (let o = 0; o < c; o++) rf[o] = rf[o]! + va[j * c + o]! * s + a[j * c + o]! * tangent;
  }
  if (k.isCrossEntropy) {
    let pDotRf = 0;
    for (let o = 0; o < c; o++) pDotRf += probabilities![r * c + o]! * rf[o]!;
    for (let o = 0; o < c; o++) rg[o] = probabilities![r * c + o]! * (rf[o]! - pDotRf);
  } else {
    for (let o = 0; o < c; o++) rg[o] = k.scale * rf[o]!;
  }
  for (let j = 0; j < m; j++) {
    const s = sigma[rowOffset + j]!;
    const sp = sigmaPrime[rowOffset + j]!;
    const rzj = rz[offset + j]! + vb[j]!;
    let rgDotA = 0;
    let gDotVa = 0;
    let gDotA = 0;
    for (let o = 0; o < c; o++) {
      const g = lossGradient[r * c + o]!;
      outputBlock[j * c + o] = outputBlock[j * c + o]! + rg[o]! * s + g * sp * rzj;
      rgDotA += rg[o]! * a[j * c + o]!;
      gDotVa += g * va[j * c + o]!;
      gDotA += g * a[j * c + o]!;
    }
    let delta = (rgDotA + gDotVa) * sp;
    if (sigmaSecond) delta += gDotA * sigmaSecond[rowOffset + j]! * rzj;
    deltas[offset + j] = delta;
    hiddenBiasBlock[j] = hiddenBiasBlock[j]! + delta;
  }
  for (let o = 0; o < c; o++) outputBiasBlock[o] = outputBiasBlock[o]! + rg[o]!;
}

/** The same for a single output (squared error), branch-free in the inner loops. */
function scalarOutputRow(
  k: KernelInput, state: ChunkState, r: number, rz: Float32Array | Float64Array, offset: number, deltas: Float64Array,
): void {
  const { m, a, va, vb, outputBlock, hiddenBiasBlock, outputBiasBlock } = k;
  const { sigma, sigmaPrime, sigmaSecond, lossGradient } = state;
  const rowOffset = r * m;
  let rf = k.vc[0]!;
  for (let j = 0; j < m; j++) {
    rf += va[j]! * sigma[rowOffset + j]! + a[j]! * sigmaPrime[rowOffset + j]! * (rz[offset + j]! + vb[j]!);
  }
  const rg = k.scale * rf;
  const g = lossGradient[r]!;
  if (sigmaSecond) {
    for (let j = 0; j < m; j++) {
      const sp = sigmaPrime[rowOffset + j]!;
      const rzj = rz[offset + j]! + vb[j]!;
      outputBlock[j] = outputBlock[j]! + rg * sigma[rowOffset + j]! + g * sp * rzj;
      const delta = (rg * a[j]! + g * va[j]!) * sp + g * a[j]! * sigmaSecond[rowOffset + j]! * rzj;
      deltas[offset + j] = delta;
      hiddenBiasBlock[j] = hiddenBiasBlock[j]! + delta;
    }
  } else {
    for (let j = 0; j < m; j++) {
      const sp = sigmaPrime[rowOffset + j]!;
      outputBlock[j] = outputBlock[j]! + rg * sigma[rowOffset + j]! + g * sp * (rz[offset + j]! + vb[j]!);
      const delta = (rg * a[j]! + g * va[j]!) * sp;
      deltas[offset + j] = delta;
      hiddenBiasBlock[j] = hiddenBiasBlock[j]! + delta;
    }
  }
  outputBiasBlock[0] = outputBiasBlock[0]! + rg;
}

