import { tf } from '../compute/tf';
import { backendProduct } from './backendProducts';
import { transposeToFloat32 } from '../compute/transpose';
import type { ParameterLayout } from './parameterVector';

/**
 * Hessian-vector products for the common case of one output, a piecewise-linear activation
 * (sigma'' = 0: ReLU, leaky ReLU, abs, linear) and a squared-error loss, with every O(n m)
 * step done as a backend product and only O(n d) work per sample in JavaScript. With
 * u_i = (x_i, 1 if there is a hidden bias), S = sigma(Z), P = sigma'(Z) (n x m), Lambda = scale:
 *
 *   Rf_i      = (va^T S^T)_i + u_i . ((P diag(a)) [V_W | v_b]^T)_i + v_c,   Rg_i = scale Rf_i
 *   (Hv)_a_j  = (S^T Rg)_j + [V_W | v_b]_j . Q_j
 *   (Hv)_(w_j, b_j) = a_j (P^T (Rg o U))_j + va_j Q_j
 *   (Hv)_c    = sum_i Rg_i
 *
 * where Q = P^T diag(g) U (m x (d+1)) does not depend on v and is computed once.
 * Every product is untransposed on the backend (the transposes are cached per chunk).
 */
interface FastChunk {
  rows: number;
  /** rows x du: u_i, float64 for the per-sample dots. */
  inputs: Float64Array;
  /** rows x m: P diag(a). */
  scaledPrime: tf.Tensor2D;
  /** m x rows: S^T and P^T. */
  sigmaTransposed: tf.Tensor2D;
  primeTransposed: tf.Tensor2D;
}

export interface FastChunkSource {
  rows: number;
  start: number;
  sigma: Float64Array;
  sigmaPrime: Float64Array;
  lossGradient: Float64Array;
}

export class FastScalarProducts {
  private readonly chunks: FastChunk[] = [];
  /** m x du, float64: Q = sum_i g_i sigma'(z_ij) u_i. */
  private readonly gradientWeighted: Float64Array;
  private readonly du: number;

  constructor(
    private readonly layout: ParameterLayout,
    private readonly outputWeights: Float64Array,
    private readonly scale: number,
    private readonly n: number,
  ) {
    this.du = layout.inputDim + (layout.hasHiddenBias ? 1 : 0);
    this.gradientWeighted = new Float64Array(layout.hiddenDim * this.du);
  }

  /** Byte size of the backend cache per sample. */
  static bytesPerRow(m: number): number {
    return 12 * m;
  }

  /** `inputs` is the chunk's rows x d block. */
  async addChunk(source: FastChunkSource, inputs: Float32Array): Promise<void> {
    const m = this.layout.hiddenDim;
    const d = this.layout.inputDim;
    const du = this.du;
    const { rows, sigma, sigmaPrime, lossGradient } = source;
    const a = this.outputWeights;
    const u = new Float64Array(rows * du);
    for (let r = 0; r < rows; r++) {
      for (let l = 0; l < d; l++) u[r * du + l] = inputs[r * d + l]!;
      if (du > d) u[r * du + d] = 1;
    }
    const scaledPrime = new Float32Array(rows * m);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < m; j++) scaledPrime[r * m + j] = sigmaPrime[r * m + j]! * a[j]!;
    }
    const primeTransposed = tf.tensor2d(transposeToFloat32(sigmaPrime, rows, m), [m, rows]);
    const gradientInputs = new Float32Array(rows * du);
    for (let r = 0; r < rows; r++) {
      for (let l = 0; l < du; l++) gradientInputs[r * du + l] = lossGradient[r]! * u[r * du + l]!;
    }
    const chunkQ = await backendProduct(() => tf.matMul(primeTransposed, tf.tensor2d(gradientInputs, [rows, du])));
    const q = this.gradientWeighted;
    for (let e = 0; e < m * du; e++) q[e] = q[e]! + chunkQ[e]!;
    this.chunks.push({
      rows,
      inputs: u,
      scaledPrime: tf.tensor2d(scaledPrime, [rows, m]),
      sigmaTransposed: tf.tensor2d(transposeToFloat32(sigma, rows, m), [m, rows]),
      primeTransposed,
    });
  }

  dispose(): void {
    for (const chunk of this.chunks) {
      chunk.scaledPrime.dispose();
      chunk.sigmaTransposed.dispose();
      chunk.primeTransposed.dispose();
    }
    this.chunks.length = 0;
  }

  async products(vs: Float64Array[]): Promise<Float64Array[]> {
    const layout = this.layout;
    const m = layout.hiddenDim;
    const d = layout.inputDim;
    const du = this.du;
    const batch = vs.length;
    const a = this.outputWeights;
    // Right operand m x (batch du): per vector the rows [V_W | v_b]_j; and batch x m: va^T.
    const width = batch * du;
    const right = new Float32Array(m * width);
    const outputDirections = new Float32Array(batch * m);
    for (let b = 0; b < batch; b++) {
      const v = vs[b]!;
      for (let j = 0; j < m; j++) {
        outputDirections[b * m + j] = v[layout.outputWeightsOffset + j]!;
        const row = j * width + b * du;
        for (let l = 0; l < d; l++) right[row + l] = v[j * d + l]!;
        if (du > d) right[row + d] = v[layout.hiddenBiasOffset + j]!;
      }
    }
    const rightTensor = tf.tensor2d(right, [m, width]);
    const outputDirectionTensor = tf.tensor2d(outputDirections, [batch, m]);
    const weightBlock = vs.map(() => new Float64Array(m * du)); // P^T (Rg o U), summed over chunks
    const outputBlock = vs.map(() => new Float64Array(m));      // S^T Rg
    const outputBiasSum = new Float64Array(batch);
    try {
      for (const chunk of this.chunks) {
        const { rows } = chunk;
        const tangent = await backendProduct(() => tf.matMul(chunk.scaledPrime, rightTensor)); // rows x batch du
        const direct = await backendProduct(() => tf.matMul(outputDirectionTensor, chunk.sigmaTransposed)); // batch x rows
        const weighted = new Float32Array(rows * batch * du);
        const residuals = new Float32Array(rows * batch);
        for (let r = 0; r < rows; r++) {
          for (let b = 0; b < batch; b++) {
            const v = vs[b]!;
            const base = r * width + b * du;
            let rf = direct[b * rows + r]! + (layout.hasOutputBias ? v[layout.outputBiasOffset]! : 0);
            for (let l = 0; l < du; l++) rf += chunk.inputs[r * du + l]! * tangent[base + l]!;
            const rg = this.scale * rf;
            outputBiasSum[b] = outputBiasSum[b]! + rg;
            residuals[r * batch + b] = rg;
            for (let l = 0; l < du; l++) weighted[r * batch * du + b * du + l] = rg * chunk.inputs[r * du + l]!;
          }
        }
        const second = await backendProduct(() => tf.matMul(chunk.primeTransposed, tf.tensor2d(weighted, [rows, batch * du])));
        const third = await backendProduct(() => tf.matMul(chunk.sigmaTransposed, tf.tensor2d(residuals, [rows, batch])));
        for (let b = 0; b < batch; b++) {
          const block = weightBlock[b]!;
          const outputs = outputBlock[b]!;
          for (let j = 0; j < m; j++) {
            for (let l = 0; l < du; l++) block[j * du + l] = block[j * du + l]! + second[j * batch * du + b * du + l]!;
            outputs[j] = outputs[j]! + third[j * batch + b]!;
          }
        }
      }
    } finally {
      rightTensor.dispose();
      outputDirectionTensor.dispose();
    }
    const q = this.gradientWeighted;
    const n = this.n;
    return vs.map((v, b) => {
      const out = new Float64Array(layout.size);
      const block = weightBlock[b]!;
      for (let j = 0; j < m; j++) {
        const aj = a[j]!;
        const vaj = v[layout.outputWeightsOffset + j]!;
        let curvature = 0; // [V_W | v_b]_j . Q_j
        for (let l = 0; l < d; l++) {
          out[j * d + l] = (aj * block[j * du + l]! + vaj * q[j * du + l]!) / n;
          curvature += v[j * d + l]! * q[j * du + l]!;
        }
        if (du > d) {
          out[layout.hiddenBiasOffset + j] = (aj * block[j * du + d]! + vaj * q[j * du + d]!) / n;
          curvature += v[layout.hiddenBiasOffset + j]! * q[j * du + d]!;
        }
        out[layout.outputWeightsOffset + j] = (outputBlock[b]![j]! + curvature) / n;
      }
      if (layout.hasOutputBias) out[layout.outputBiasOffset] = outputBiasSum[b]! / n;
      return out;
    });
  }
}
