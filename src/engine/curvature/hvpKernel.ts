import { tf } from '../compute/tf';
import type { ActivationSpec } from '../model/types';
import { activationFirstDerivative, activationSecondDerivative, applyActivation } from '../compute/activationTensors';
import { readAndDispose } from '../compute/read';

/**
 * The per-chunk work of a batch of Hessian-vector products as backend matrix products (float32),
 * for k directions V at once. With U = [X | 1] (rows x du, the 1 column only with a hidden bias),
 * Z = U [W | b]^T, S = sigma(Z), S' and S'' its derivatives, A the c x m output weights, G = dl/df
 * and P the softmax probabilities (rows x c), per direction (V_W, v_b, V_a, v_c):
 *
 *   RZ = U [V_W | v_b]^T,  T = S' o RZ,  Rf = S V_a^T + T A^T + v_c
 *   Rg = scale Rf (squared error)  or  P o Rf - P o rowsum(P o Rf) (cross-entropy)
 *   delta = (Rg A + G V_a) o S' + (G A) o S'' o RZ
 *   out_[W | b] = U^T delta (du x m),  out_a = Rg^T S + G^T T (c x m),  out_c = colsum(Rg)
 *
 * The caller sums the chunks' outputs in float64. No product has a transposed operand (tfjs-wasm
 * runs those ~40x slower): U^T and Rg^T are transposed explicitly, once per chunk and direction.
 */
export interface HvpNetwork {
  d: number;
  m: number;
  c: number;
  hasHiddenBias: boolean;
  activation: ActivationSpec;
  piecewiseLinear: boolean;
  /** c x m row-major (the model's layout). */
  outputWeights: Float64Array;
  /** m x d row-major and m (or null). */
  hiddenWeights: Float64Array;
  hiddenBias: Float64Array | null;
  crossEntropy: boolean;
  /** Lambda = scale I for the squared-error losses. */
  scale: number;
}

/** What a chunk contributes that does not depend on the directions (from the prepare pass). */
export interface HvpChunkState {
  start: number;
  rows: number;
  /** rows x c: g_i = dl/df, and the softmax probabilities for cross-entropy (null: not kept, recompute). */
  lossGradient: Float32Array | null;
  probabilities: Float32Array | null;
  /** rows x m pre-activations kept from the prepare pass (within the memory budget), else recomputed. */
  preactivations: Float32Array | null;
}

/** A chunk state with its loss terms at hand (kept, or recomputed for this batch). */
export type ReadyChunkState = HvpChunkState & { lossGradient: Float32Array };

/** One chunk's sums per direction, float32 from the backend. */
export interface HvpChunkSums {
  /** du x m: row l < d is sum_i x_il delta_ij, row d (with a hidden bias) sum_i delta_ij. */
  hidden: Float32Array;
  /** c x m and c. */
  output: Float32Array;
  outputBias: Float32Array;
}

interface DirectionTensors {
  /** du x m: [V_W | v_b]^T. */
  hiddenTransposed: tf.Tensor2D;
  /** c x m and m x c: V_a and V_a^T. */
  output: tf.Tensor2D;
  outputTransposed: tf.Tensor2D;
  /** 1 x c, or null when zero. */
  outputBias: tf.Tensor2D | null;
}

/** Where the blocks of a direction sit in the flat parameter vector (parameterVector.ts). */
export interface DirectionLayout {
  hiddenBiasOffset: number;
  outputWeightsOffset: number;
  outputBiasOffset: number;
}

/** A batch of directions on a kernel: each chunk's sums per direction, then release. */
export interface HvpBatch {
  /** `inputs` is the chunk's rows x d block. */
  chunk(inputs: Float32Array, state: ReadyChunkState): Promise<HvpChunkSums[]>;
  release(): void;
}

/** A chunk's forward pass: rows x m pre-activations and rows x c outputs sigma(Z) A^T (no output bias). */
export interface HvpForward {
  preactivations: Float32Array;
  outputs: Float32Array;
}

/** A chunk's gradient sums: U^T ((G A) o S') (du x m) and G^T S (c x m). */
export interface HvpGradientSums {
  hidden: Float32Array;
  output: Float32Array;
}

/**
 * A backend's implementation of the per-chunk work (tfjs here, onnxruntime in hvpKernelOnnx.ts):
 * the prepare pass (forward, then the gradient once JavaScript has the per-sample loss terms)
 * and batches of directions.
 */
export interface HvpKernel {
  forward(inputs: Float32Array, rows: number): Promise<HvpForward>;
  gradient(inputs: Float32Array, rows: number, preactivations: Float32Array, lossGradient: Float32Array): Promise<HvpGradientSums>;
  begin(vs: Float64Array[], layout: DirectionLayout): Promise<HvpBatch>;
  dispose(): void;
}

export function transposedHidden(weights: Float64Array, bias: Float64Array | null, m: number, d: number): Float32Array {
  const du = bias ? d + 1 : d;
  const result = new Float32Array(du * m);
  for (let j = 0; j < m; j++) {
    const row = j * d;
    for (let l = 0; l < d; l++) result[l * m + j] = weights[row + l]!;
    if (bias) result[d * m + j] = bias[j]!;
  }
  return result;
}

/** rows x du: a chunk's rows x d inputs with a column of ones when du = d + 1 (a hidden bias). */
export function augmentedInputs(inputs: Float32Array, rows: number, d: number, du: number): Float32Array {
  if (du === d) return inputs;
  const result = new Float32Array(rows * du);
  for (let r = 0; r < rows; r++) {
    result.set(inputs.subarray(r * d, (r + 1) * d), r * du);
    result[r * du + d] = 1;
  }
  return result;
}

export function transposed(values: Float64Array | Float32Array, rows: number, cols: number): Float32Array {
  const result = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let col = 0; col < cols; col++) result[col * rows + r] = values[r * cols + col]!;
  return result;
}

/** The kernel on the active tfjs backend: network constants uploaded once, directions once per batch. */
export class TfjsHvpKernel implements HvpKernel {
  readonly du: number;
  private readonly outputWeights: tf.Tensor2D;
  private readonly outputWeightsTransposed: tf.Tensor2D;
  private hiddenTransposed: tf.Tensor2D | null = null;

  constructor(private readonly network: HvpNetwork) {
    const { d, m, c } = network;
    this.du = network.hasHiddenBias ? d + 1 : d;
    this.outputWeights = tf.tensor2d(Float32Array.from(network.outputWeights), [c, m]);
    this.outputWeightsTransposed = tf.tensor2d(transposed(network.outputWeights, c, m), [m, c]);
  }

  dispose(): void {
    this.outputWeights.dispose();
    this.outputWeightsTransposed.dispose();
    this.hiddenTransposed?.dispose();
    this.hiddenTransposed = null;
  }

  private hiddenWeightsTensor(): tf.Tensor2D {
    const { m, d } = this.network;
    if (!this.hiddenTransposed) {
      this.hiddenTransposed = tf.tensor2d(transposedHidden(this.network.hiddenWeights, this.network.hiddenBias, m, d), [this.du, m]);
    }
    return this.hiddenTransposed;
  }

  async forward(inputs: Float32Array, rows: number): Promise<HvpForward> {
    const weights = this.hiddenWeightsTensor();
    const tensors = tf.tidy(() => {
      const z = tf.matMul(tf.tensor2d(this.augmented(inputs, rows), [rows, this.du]), weights);
      return [z, tf.matMul(applyActivation(z, this.network.activation) as tf.Tensor2D, this.outputWeightsTransposed)];
    });
    const [preactivations, outputs] = await readAndDispose(tensors);
    return { preactivations: preactivations!, outputs: outputs! };
  }

  async gradient(inputs: Float32Array, rows: number, preactivations: Float32Array, lossGradient: Float32Array): Promise<HvpGradientSums> {
    const { m, c, activation } = this.network;
    const tensors = tf.tidy(() => {
      const u = tf.tensor2d(this.augmented(inputs, rows), [rows, this.du]);
      const z = tf.tensor2d(preactivations, [rows, m]);
      const g = tf.tensor2d(lossGradient, [rows, c]);
      const delta = tf.mul(tf.matMul(g, this.outputWeights), activationFirstDerivative(z, activation));
      return [tf.matMul(tf.transpose(u), delta), tf.matMul(tf.transpose(g), applyActivation(z, activation) as tf.Tensor2D)];
    });
    const [hidden, output] = await readAndDispose(tensors);
    return { hidden: hidden!, output: output! };
  }

  begin(vs: Float64Array[], layout: DirectionLayout): Promise<HvpBatch> {
    const directions = this.uploadDirections(vs, layout);
    return Promise.resolve({
      chunk: (inputs, state) => this.chunk(inputs, state, directions),
      release: () => TfjsHvpKernel.disposeDirections(directions),
    });
  }

  /** Uploads a batch of directions (flat parameter vectors). */
  private uploadDirections(vs: Float64Array[], layout: DirectionLayout): DirectionTensors[] {
    const { d, m, c, hasHiddenBias } = this.network;
    return vs.map((v) => {
      const outputBlock = v.subarray(layout.outputWeightsOffset, layout.outputWeightsOffset + c * m);
      let outputBias: tf.Tensor2D | null = null;
      if (layout.outputBiasOffset >= 0) {
        const vc = Float32Array.from(v.subarray(layout.outputBiasOffset, layout.outputBiasOffset + c));
        if (vc.some((x) => x !== 0)) outputBias = tf.tensor2d(vc, [1, c]);
      }
      return {
        hiddenTransposed: tf.tensor2d(transposedHidden(v.subarray(0, m * d),
          hasHiddenBias ? v.subarray(layout.hiddenBiasOffset, layout.hiddenBiasOffset + m) : null, m, d), [this.du, m]),
        output: tf.tensor2d(Float32Array.from(outputBlock), [c, m]),
        outputTransposed: tf.tensor2d(transposed(outputBlock, c, m), [m, c]),
        outputBias,
      };
    });
  }

  private static disposeDirections(directions: DirectionTensors[]): void {
    for (const direction of directions) {
      direction.hiddenTransposed.dispose();
      direction.output.dispose();
      direction.outputTransposed.dispose();
      direction.outputBias?.dispose();
    }
  }

  private augmented(inputs: Float32Array, rows: number): Float32Array {
    return augmentedInputs(inputs, rows, this.network.d, this.du);
  }

  /** The sums of one chunk for every direction; `inputs` is the chunk's rows x d float32 block. */
  private async chunk(inputs: Float32Array, state: ReadyChunkState, directions: DirectionTensors[]): Promise<HvpChunkSums[]> {
    const { m, c, activation, crossEntropy, scale } = this.network;
    const { rows } = state;
    const du = this.du;
    const cached = state.preactivations;
    const hiddenTransposed = cached ? null : this.hiddenWeightsTensor();
    const a = this.outputWeights;
    const aT = this.outputWeightsTransposed;
    // Shared by every direction of the batch.
    const u = tf.tensor2d(this.augmented(inputs, rows), [rows, du]);
    const z = cached ? tf.tensor2d(cached, [rows, m]) : tf.tidy(() => tf.matMul(u, hiddenTransposed!));
    const g = tf.tensor2d(state.lossGradient, [rows, c]);
    const shared = {
      u,
      uT: tf.tidy(() => tf.transpose(u)),
      sigma: tf.tidy(() => tf.clone(applyActivation(z, activation))),
      sigmaPrime: tf.tidy(() => activationFirstDerivative(z, activation)),
      g,
      gT: tf.tidy(() => tf.transpose(g)),
      p: state.probabilities ? tf.tensor2d(state.probabilities, [rows, c]) : null,
      // (G A) o S'': the sigma'' term's per-sample weight, the same for every direction.
      curvature: this.network.piecewiseLinear ? null : tf.tidy(() => {
        const sigmaSecond = activationSecondDerivative(z, activation);
        return sigmaSecond ? tf.mul(tf.matMul(g, a), sigmaSecond) : tf.zerosLike(z);
      }),
    };
    try {
      const results: HvpChunkSums[] = [];
      for (const direction of directions) {
        const tensors = tf.tidy(() => {
          const rz = tf.matMul(shared.u, direction.hiddenTransposed);
          const tangent = tf.mul(shared.sigmaPrime, rz);
          let rf = tf.add(tf.matMul(shared.sigma, direction.outputTransposed), tf.matMul(tangent, aT));
          if (direction.outputBias) rf = tf.add(rf, direction.outputBias);
          let rg: tf.Tensor2D;
          if (crossEntropy) {
            const weighted = tf.mul(shared.p!, rf);
            rg = tf.sub(weighted, tf.mul(shared.p!, tf.sum(weighted, 1, true)));
          } else {
            rg = tf.mul(rf, scale);
          }
          let delta: tf.Tensor2D = tf.mul(tf.add(tf.matMul(rg, a), tf.matMul(shared.g, direction.output)), shared.sigmaPrime);
          if (shared.curvature) delta = tf.add(delta, tf.mul(shared.curvature, rz));
          const rgT = tf.transpose(rg);
          return [
            tf.matMul(shared.uT, delta),
            tf.add(tf.matMul(rgT, shared.sigma), tf.matMul(shared.gT, tangent)),
            tf.sum(rgT, 1),
          ];
        });
        const [hidden, output, outputBias] = await readAndDispose(tensors);
        results.push({ hidden: hidden!, output: output!, outputBias: outputBias! });
      }
      return results;
    } finally {
      for (const tensor of Object.values(shared)) tensor?.dispose();
      z.dispose();
    }
  }
}
