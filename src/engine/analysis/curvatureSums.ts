import type { AnyDataset } from '../data/types';
import { dataChunks } from '../data/rows';
import type { TwoLayerModel } from '../model/types';
import {
  type LossSpec, type TargetLayout, argmax, evaluateSampleLoss, lossHessianDiagonal, targetClass,
  targetLayoutOf, traceOfLossHessian,
} from '../math/losses';
import { tf } from '../compute/tf';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from '../compute/context';
import { activationFirstDerivative, activationSecondDerivative } from '../compute/activationTensors';
import { ResidentNetwork } from '../compute/residentNetwork';
import { defaultChunkRows } from '../compute/preactivations';
import { readAndDispose, readFloat32 } from '../compute/read';
import { makeActivation } from '../math/activations';
import { balancedRescaling } from '../math/balancedRescaling';
import { type TargetTerm, computeTargetTermOf } from './targetTerm';
import { correctNearKinks, kinkSlopes, kinkThresholds } from './kinkCorrection';
import { onnxKernelsActive } from '../compute/backend';
import { type ChunkForward, OnnxCurvatureKernel, type PerSampleTerms } from '../compute/onnx/curvatureKernel';

/**
 * Everything FLATNESS.md sections 2-4 need, in one pass over the data. Per-neuron sums are
 * already divided by n.
 */
export interface CurvatureSums {
  n: number;
  layout: TargetLayout;
  lossValue: number;
  /** sum of ||f(x_i) - y_i||^2 / (n c) for regression layouts, null otherwise. */
  meanSquaredError: number | null;
  accuracy: number | null;
  /** A_j, B_j, C_j at the model's own (raw) parameters, derived in float64 from the balanced ones. */
  neuronA: Float64Array;
  neuronB: Float64Array;
  neuronC: Float64Array;
  /**
   * The same terms at the balanced representative of the rescaling orbit (balancedRescaling.ts),
   * where the float32 work ran; null for activations without the symmetry (then raw = computed).
   */
  balanced: BalancedSums | null;
  activeSamples: Float64Array;
  outputBiasTerm: number;
  /** sum_p theta_p^2 H_pp, when requested. */
  invariantDiagonal: number | null;
  /** (1/n) sum_i ||u_i|| * ||f(x_i) - c0||: the bound at the model's own outputs. */
  meanWeightedOutputNorm: number;
  /** Data part of the certified bound (squared-error layouts only). */
  targetTerm: TargetTerm | null;
  /** onnxruntime: session threads that ran the chunks side by side (1: this thread); null elsewhere. */
  lanes: number | null;
}

export interface BalancedSums {
  /** s_j: the balanced neuron j is the raw one rescaled by s_j. */
  scales: Float64Array;
  degree: number;
  neuronA: Float64Array;
  neuronB: Float64Array;
  neuronC: Float64Array;
}

export interface CurvatureOptions {
  chunkRows?: number;
  withInvariantDiagonal?: boolean;
}

/** Upper bound on rows per chunk: per-chunk column sums run in float32 on the backend. */
const MAX_REDUCTION_ROWS = 2048;
/**
 * Chunks in flight per onnxruntime lane: this thread computes one chunk's per-sample terms and
 * near-kink tests while the lanes run others. Their contributions still add up in chunk order,
 * so the sums do not depend on timing.
 */
const ONNX_CHUNKS_IN_FLIGHT_PER_LANE = 1;

/** Turns taken in order: `take()` returns the wait for the previous holder and the release of this one. */
function turnTaking(): () => { wait: Promise<void>; release: () => void } {
  let last = Promise.resolve();
  return () => {
    const wait = last;
    let release = (): void => undefined;
    last = new Promise<void>((resolve) => { release = resolve; });
    return { wait, release };
  };
}

function addInto(target: Float64Array, values: ArrayLike<number>): void {
  for (let j = 0; j < target.length; j++) target[j] = target[j]! + values[j]!;
}

/**
 * The exact trace terms. Each chunk does its n_chunk x m elementwise work and column sums on the
 * tfjs backend (float32, as the matrix products); per-sample loss terms and the sums across
 * chunks are float64 in JavaScript. Loss-Hessian traces, gradients and probabilities go back to
 * the backend as small n_chunk x c matrices.
 */
export async function computeCurvatureSums(
  rawModel: TwoLayerModel,
  data: AnyDataset,
  loss: LossSpec,
  options: CurvatureOptions = {},
  context?: ComputeContext,
): Promise<CurvatureSums> {
  const degree = makeActivation(rawModel.activation).homogeneityDegree;
  // Every float32 step runs on the balanced representative: the function is the same, and a file
  // rescaled per neuron by 1e25 gives the same float32 numbers as the original.
  const rescaling = degree === null ? null : balancedRescaling(rawModel, degree);
  const model = rescaling?.model ?? rawModel;
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const layout = await targetLayoutOf(loss, model, data);
  const isCrossEntropy = loss.kind === 'ce';
  const withDiagonal = options.withInvariantDiagonal ?? false;
  const chunkRows = Math.min(options.chunkRows ?? defaultChunkRows(model), MAX_REDUCTION_ROWS);
  const outputBias = model.outputBias;

  const outputNormSquared = new Float64Array(m);
  for (let o = 0; o < c; o++) {
    for (let j = 0; j < m; j++) outputNormSquared[j] = outputNormSquared[j]! + model.outputWeights[o * m + j]! ** 2;
  }
  // Resident tensors: the network, A (c x m), A∘A (c x m), and the squared hidden weights.
  const network = new ResidentNetwork(model);
  const { hidden, hiddenBias } = network;
  const outputRows = tf.tensor2d(Float32Array.from(model.outputWeights), [c, m]);
  const outputRowsSquared = tf.square(outputRows);
  const hiddenSquared = withDiagonal ? tf.square(hidden) : null;
  const hiddenBiasSquared = withDiagonal && hiddenBias ? tf.square(hiddenBias) : null;
  const slopesAtKink = kinkSlopes(model.activation);
  const thresholds = slopesAtKink ? kinkThresholds(model) : null;
  const thresholdRow = thresholds ? tf.tensor2d(thresholds, [1, m]) : null;
  const resident = [network, outputRows, outputRowsSquared, hiddenSquared, hiddenBiasSquared, thresholdRow];

  const neuronA = new Float64Array(m);
  const neuronB = new Float64Array(m);
  const neuronC = new Float64Array(m);
  const activeSamples = new Float64Array(m);
  const diagonalA = new Float64Array(m);
  const diagonalW = new Float64Array(m);
  let lossSum = 0;
  let squaredResidualSum = 0;
  let correct = 0;
  let outputBiasTerm = 0;
  let outputBiasDiagonal = 0;
  let weightedOutputNorm = 0;
  const output = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);

  /** Per-sample loss terms in float64 for one chunk; accumulates the loss, residual and accuracy sums. */
  const perSampleTerms = (rows: number, outputValues: Float32Array, inputNormValues: Float32Array, chunkTargets: Float32Array): PerSampleTerms => {
    const lossHessianTraces = new Float32Array(rows);
    const gradients = new Float32Array(rows * c);
    const probabilityRows = isCrossEntropy ? new Float32Array(rows * c) : null;
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < c; o++) output[o] = outputValues[r * c + o]!;
      lossSum += evaluateSampleLoss(loss, layout, output, chunkTargets, r, gradient, probabilities);
      for (let o = 0; o < c; o++) gradients[r * c + o] = gradient[o]!;
      if (probabilityRows) for (let o = 0; o < c; o++) probabilityRows[r * c + o] = probabilities[o]!;
      const lossHessianTrace = traceOfLossHessian(loss, probabilities, c);
      lossHessianTraces[r] = lossHessianTrace;
      if (outputBias) {
        outputBiasTerm += lossHessianTrace;
        if (withDiagonal) for (let o = 0; o < c; o++) outputBiasDiagonal += outputBias[o]! ** 2 * lossHessianDiagonal(loss, probabilities, o);
      }
      if (layout === 'regression') {
        let residual = 0;
        let centered = 0;
        for (let o = 0; o < c; o++) {
          const bias = outputBias ? outputBias[o]! : 0;
          const y = chunkTargets[r * c + o]!;
          residual += (output[o]! - y) ** 2;
          centered += (output[o]! - bias) ** 2;
        }
        squaredResidualSum += residual;
        const inputNorm = Math.sqrt(inputNormValues[r]!);
        weightedOutputNorm += inputNorm * Math.sqrt(centered);
      } else if (argmax(output) === targetClass(layout, chunkTargets, r, c)) {
        correct++;
      }
    }
    return { lossHessianTraces, gradients, probabilities: probabilityRows };
  };
  /** a_j^T Lambda_i a_j for chunk row r, for the near-kink correction. */
  const nearKinkQuadratic = (probabilityRows: Float32Array | null) => (probabilityRows
    ? (r: number, j: number) => {
      let second = 0;
      let first = 0;
      for (let o = 0; o < c; o++) {
        const p = probabilityRows[r * c + o]!;
        const weight = model.outputWeights[o * m + j]!;
        second += p * weight * weight;
        first += p * weight;
      }
      return second - first * first;
    }
    : (_r: number, j: number) => loss.squaredErrorScale * outputNormSquared[j]!);
  const kernel = onnxKernelsActive()
    ? await OnnxCurvatureKernel.create(model, rawModel, { crossEntropy: isCrossEntropy, squaredErrorScale: loss.squaredErrorScale, outputNormSquared, withDiagonal, thresholds }, chunkRows, Math.ceil(data.n / chunkRows))
    : null;
  const termsTurn = turnTaking();
  const sumsTurn = turnTaking();
  /**
   * One chunk on onnxruntime: forward (already started), the per-sample terms and the near-kink
   * correction in JavaScript, then the column sums (which take z back, so the correction goes first).
   */
  const onnxChunk = async (onnx: OnnxCurvatureKernel, rows: number, chunkInputs: Float32Array, chunkTargets: Float32Array, forwardRun: Promise<ChunkForward>) => {
    // Lanes may answer out of order: each stage that adds into the float64 totals waits its turn.
    const termsSlot = termsTurn();
    const sumsSlot = sumsTurn();
    try {
      const forward = await forwardRun;
      await termsSlot.wait;
      const terms = perSampleTerms(rows, forward.outputs, forward.inputNormSquared, chunkTargets);
      if (forward.nearKinkRows.length > 0 && slopesAtKink && thresholds && forward.preactivations) {
        // Only the rows the kernel's screen flagged (the exact test is in correctNearKinks).
        correctNearKinks(model, chunkInputs, rows, forward.preactivations, slopesAtKink, thresholds, nearKinkQuadratic(terms.probabilities),
          { neuronB, activeSamples, diagonalW: withDiagonal ? diagonalW : null }, forward.nearKinkRows);
      }
      termsSlot.release();
      const sums = await onnx.columnSums(rows, forward, terms);
      await sumsSlot.wait;
      addInto(activeSamples, sums.active);
      addInto(neuronA, sums.neuronA);
      addInto(neuronB, sums.neuronB);
      if (sums.neuronC) addInto(neuronC, sums.neuronC);
      if (sums.diagonalW) addInto(diagonalW, sums.diagonalW);
      if (sums.diagonalA) addInto(diagonalA, sums.diagonalA);
    } finally {
      termsSlot.release();
      sumsSlot.release();
    }
  };

  const inFlight: Array<{ task: Promise<void>; end: number }> = [];
  const finishOldest = async () => {
    const oldest = inFlight.shift()!;
    await oldest.task;
    context?.onProgress?.('flatness', Math.min(1, oldest.end / data.n));
  };
  try {
    for await (const { start, rows, inputs: chunkInputValues, targets: chunkTargets } of dataChunks(data, chunkRows)) {
      throwIfCancelled(context);
      if (kernel) {
        const task = onnxChunk(kernel, rows, chunkInputValues, chunkTargets, kernel.forward(chunkInputValues, rows));
        // Awaited in order below; a failure is handled there, not reported as unhandled meanwhile.
        task.catch(() => undefined);
        inFlight.push({ task, end: start + rows });
        if (inFlight.length >= ONNX_CHUNKS_IN_FLIGHT_PER_LANE * kernel.lanes + 1) await finishOldest();
        continue;
      }
      // Reads are asynchronous (GPU backends map buffers asynchronously): the forward pass runs
      // first and its tensors are kept for the column sums, which are read back together at the end.
      const [inputs, z, activations, outputTensor, inputNormSquared] = tf.tidy(() => {
        const chunkInputs = tf.tensor2d(chunkInputValues, [rows, d]);
        const forward = network.forward(chunkInputs);
        let normSquared = tf.sum(tf.square(chunkInputs), 1);
        if (hiddenBias) normSquared = tf.add(normSquared, 1);
        return [chunkInputs, forward.preactivations, forward.activations, forward.outputs, normSquared];
      });
      const reads: Array<{ tensor: tf.Tensor; use: (values: Float32Array) => void }> = [];
      try {
        const [outputValues, inputNormValues] = await Promise.all([readFloat32(outputTensor!), readFloat32(inputNormSquared!)]);

        let nearKinks = 0;
        const { lossHessianTraces, gradients, probabilities: probabilityRows } = perSampleTerms(rows, outputValues, inputNormValues, chunkTargets);

        tf.tidy(() => {
        // Column sums over the chunk as M^T v with M (rows x m) the left operand: as the right
        // operand, a fresh M is repacked on every call by the wasm backend (~10x slower), and a
        // reduction over axis 0 transposes first. Each is read after the tidy, in order.
        const later = (tensor: tf.Tensor, use: (values: Float32Array) => void) => { reads.push({ tensor: tf.keep(tensor), use }); };
        const ones = tf.ones([rows, 1]);
        const columnSum = (weights: tf.Tensor1D | null, matrix: tf.Tensor) =>
          tf.matMul(matrix, weights ? tf.reshape(weights, [rows, 1]) : ones, true, false);
        /** Plain and ||u||^2-weighted column sums of one matrix in one product. */
        const plainAndWeightedColumnSums = (matrix: tf.Tensor) =>
          tf.matMul(matrix, tf.concat([ones, tf.reshape(inputNormSquared!, [rows, 1])], 1), true, false);
        const normWeights = inputNormSquared as tf.Tensor1D;
        const squaredActivations = tf.square(activations!);
        const positive = tf.step(z!, 0);
        const squaredSlopes = model.activation.name === 'relu' ? positive : tf.square(activationFirstDerivative(z!, model.activation));
        const curvatures = activationSecondDerivative(z!, model.activation);
        if (thresholdRow) {
          const near = tf.lessEqual(tf.abs(z!), tf.mul(tf.reshape(tf.sqrt(inputNormSquared!), [rows, 1]), thresholdRow));
          later(tf.sum(tf.cast(near, 'float32')), (count) => { nearKinks = count[0]!; });
        }
        let slopeSquares: Float32Array = new Float32Array(0);
        if (squaredSlopes === positive) {
          later(plainAndWeightedColumnSums(positive), (both) => {
            const active = new Float32Array(m);
            slopeSquares = new Float32Array(m);
            for (let j = 0; j < m; j++) { active[j] = both[2 * j]!; slopeSquares[j] = both[2 * j + 1]!; }
            addInto(activeSamples, active);
          });
        } else {
          later(columnSum(null, positive), (active) => addInto(activeSamples, active));
        }

        if (!probabilityRows) {
          // Squared error: Lambda = scale * I, so tr Lambda and a_j^T Lambda a_j are constants.
          const scale = loss.squaredErrorScale;
          if (squaredSlopes !== positive) later(columnSum(normWeights, squaredSlopes), (values) => { slopeSquares = values; });
          later(columnSum(null, squaredActivations), (activationSquares) => {
            for (let j = 0; j < m; j++) {
              neuronA[j] = neuronA[j]! + scale * c * activationSquares[j]!;
              neuronB[j] = neuronB[j]! + scale * outputNormSquared[j]! * slopeSquares[j]!;
              if (withDiagonal) diagonalA[j] = diagonalA[j]! + scale * outputNormSquared[j]! * activationSquares[j]!;
            }
          });
        }
        // a_j^T Lambda_i a_j for every (i, j) under cross-entropy.
        let gaussNewtonPerSample: tf.Tensor | null = null;
        let probabilityTensor: tf.Tensor | null = null;
        if (probabilityRows) {
          probabilityTensor = tf.tensor2d(probabilityRows, [rows, c]);
          const quadratic = tf.sub(tf.matMul(probabilityTensor, outputRowsSquared), tf.square(tf.matMul(probabilityTensor, outputRows)));
          gaussNewtonPerSample = tf.mul(quadratic, squaredSlopes);
          later(columnSum(tf.tensor1d(lossHessianTraces), squaredActivations), (values) => addInto(neuronA, values));
          later(columnSum(normWeights, gaussNewtonPerSample), (values) => addInto(neuronB, values));
        }
        let curvaturePerSample: tf.Tensor | null = null;
        if (curvatures) {
          const projectedGradients = tf.matMul(tf.tensor2d(gradients, [rows, c]), outputRows);
          curvaturePerSample = tf.mul(projectedGradients, curvatures);
          later(columnSum(normWeights, curvaturePerSample), (values) => addInto(neuronC, values));
        }
        if (withDiagonal && hiddenSquared) {
          let weightedNorms = tf.matMul(tf.square(inputs!), hiddenSquared);
          if (hiddenBiasSquared) weightedNorms = tf.add(weightedNorms, hiddenBiasSquared);
          if (gaussNewtonPerSample) {
            later(columnSum(null, tf.mul(gaussNewtonPerSample, weightedNorms)), (values) => addInto(diagonalW, values));
          } else {
            later(columnSum(null, tf.mul(squaredSlopes, weightedNorms)), (slopeNorms) => {
              for (let j = 0; j < m; j++) diagonalW[j] = diagonalW[j]! + loss.squaredErrorScale * outputNormSquared[j]! * slopeNorms[j]!;
            });
          }
          if (curvaturePerSample) later(columnSum(null, tf.mul(curvaturePerSample, weightedNorms)), (values) => addInto(diagonalW, values));
          if (probabilityTensor) {
            const bernoulli = tf.sub(probabilityTensor, tf.square(probabilityTensor));
            later(columnSum(null, tf.mul(tf.matMul(bernoulli, outputRowsSquared), squaredActivations)), (values) => addInto(diagonalA, values));
          }
        }
        });
        const values = await readAndDispose(reads.map((read) => read.tensor));
        reads.forEach((read, k) => read.use(values[k]!));
        if (nearKinks > 0 && slopesAtKink && thresholds) {
          const quadratic = nearKinkQuadratic(probabilityRows);
          correctNearKinks(model, chunkInputValues, rows, await readFloat32(z!), slopesAtKink, thresholds, quadratic,
            { neuronB, activeSamples, diagonalW: withDiagonal ? diagonalW : null });
        }
      } finally {
        for (const read of reads) if (!read.tensor.isDisposed) read.tensor.dispose();
        for (const tensor of [inputs, z, activations, outputTensor, inputNormSquared]) tensor?.dispose();
      }
      context?.onProgress?.('flatness', Math.min(1, (start + rows) / data.n));
      await yieldToEventLoop();
    }
    while (inFlight.length > 0) await finishOldest();
  } finally {
    await Promise.allSettled(inFlight.map((chunk) => chunk.task));
    await kernel?.forgetKept();
    for (const tensor of resident) tensor?.dispose();
  }

  const n = data.n;
  for (let j = 0; j < m; j++) {
    neuronA[j] = neuronA[j]! / n;
    neuronB[j] = neuronB[j]! / n;
    neuronC[j] = neuronC[j]! / n;
  }
  let balanced: BalancedSums | null = null;
  let rawA = neuronA;
  let rawB = neuronB;
  let rawC = neuronC;
  if (rescaling) {
    balanced = { scales: rescaling.scales, degree: rescaling.degree, neuronA, neuronB, neuronC };
    rawA = new Float64Array(m);
    rawB = new Float64Array(m);
    rawC = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      // raw = balanced rescaled by 1 / s_j: A -> s^-2k A, B and C -> s^2 (B, C), in log space.
      const logScale = Math.log(rescaling.scales[j]!);
      const up = Math.exp(2 * logScale);
      rawA[j] = neuronA[j]! * Math.exp(-2 * rescaling.degree * logScale);
      rawB[j] = neuronB[j]! * up;
      rawC[j] = neuronC[j]! * up;
    }
  }
  let invariantDiagonal: number | null = null;
  if (withDiagonal) {
    let total = outputBiasDiagonal;
    for (let j = 0; j < m; j++) total += diagonalA[j]! + diagonalW[j]!;
    invariantDiagonal = total / n;
  }
  return {
    n,
    layout,
    lossValue: lossSum / n,
    meanSquaredError: layout === 'regression' ? squaredResidualSum / (n * c) : null,
    accuracy: layout === 'regression' ? null : correct / n,
    neuronA: rawA,
    neuronB: rawB,
    neuronC: rawC,
    balanced,
    activeSamples,
    outputBiasTerm: outputBias ? outputBiasTerm / n : 0,
    invariantDiagonal,
    meanWeightedOutputNorm: weightedOutputNorm / n,
    targetTerm: layout === 'regression' ? await computeTargetTermOf(model, data) : null,
    lanes: kernel ? kernel.lanes : null,
  };
}

