import type { Dataset } from '../data/types';
import type { ActivationSpec, TwoLayerModel } from '../model/types';
import { type Activation, makeActivation } from '../math/activations';
import type { LossSpec } from '../math/losses';
import { type ComputeContext, throwIfCancelled, yieldToEventLoop } from '../compute/context';
import { unsupported } from '../errors';
import { SeededRandom } from '../math/random';
import { tf } from '../compute/tf';
import { readAndDispose, readFloat32 } from '../compute/read';
import { BackendObjective, flatLayout, fromFlat, toFlat } from './backendObjective';

/**
 * Full-batch float64 trainer for f(x) = sum_j a_j sigma(w_j . x + b_j) + c0 under a squared-error
 * loss (scale/2) ||f - y||^2 averaged over samples, optionally plus a multiple of the
 * symmetry-normalized flatness F_sym (k = 1, piecewise-linear sigma). Every gradient is closed
 * form; the data sits in memory, so this is for small-to-moderate n (callers subsample).
 */

/** Inputs and targets as float64, n x d and n x c row-major. */
export interface TrainingArrays {
  n: number;
  d: number;
  c: number;
  x: Float64Array;
  y: Float64Array;
}

export function toTrainingArrays(data: Dataset, rows?: readonly number[]): TrainingArrays {
  const { d, targetDim: c } = data;
  const order = rows ?? Array.from({ length: data.n }, (_, i) => i);
  const n = order.length;
  const x = new Float64Array(n * d);
  const y = new Float64Array(n * c);
  order.forEach((row, i) => {
    for (let l = 0; l < d; l++) x[i * d + l] = data.inputs[row * d + l]!;
    for (let o = 0; o < c; o++) y[i * c + o] = data.targets[row * c + o]!;
  });
  return { n, d, c, x, y };
}

export function toDataset(arrays: TrainingArrays, path = 'memory://training'): Dataset {
  return {
    n: arrays.n, d: arrays.d, targetDim: arrays.c,
    inputs: Float32Array.from(arrays.x), targets: Float32Array.from(arrays.y),
    source: { path, format: 'memory', inputName: 'x', targetName: 'y', notes: [] },
  };
}

/** Gradient blocks with the model's layout (null where the model has no such bias). */
export interface ModelGradient {
  hiddenWeights: Float64Array;
  hiddenBias: Float64Array | null;
  outputWeights: Float64Array;
  outputBias: Float64Array | null;
}

export function zeroGradient(model: TwoLayerModel): ModelGradient {
  return {
    hiddenWeights: new Float64Array(model.hiddenWeights.length),
    hiddenBias: model.hiddenBias ? new Float64Array(model.hiddenBias.length) : null,
    outputWeights: new Float64Array(model.outputWeights.length),
    outputBias: model.outputBias ? new Float64Array(model.outputBias.length) : null,
  };
}

export interface ObjectiveValue {
  /** (scale/2n) sum_i ||f(x_i) - y_i||^2. */
  loss: number;
  /** Mean squared residual per output coordinate. */
  meanSquaredError: number;
  /** F_sym (including the output-bias constant when the model has one); null if not computed. */
  normalizedFlatness: number | null;
}

/** The squared-error scale s of a loss: Lambda = s I. Cross-entropy is not trained here. */
export function squaredErrorScale(loss: LossSpec): number {
  if (loss.kind === 'ce') throw unsupported(undefined, 'the trainer handles squared-error losses only');
  return loss.squaredErrorScale;
}

function requireFlatnessActivation(activation: Activation): void {
  if (activation.homogeneityDegree !== 1 || !activation.piecewiseLinear) {
    throw unsupported(undefined, `the normalized-flatness gradient is derived for piecewise-linear 1-homogeneous activations (ReLU, leaky ReLU, abs), not ${activation.label}`);
  }
}

/** Reused buffers for one (n, m) problem so an iteration allocates nothing. */
class Workspace {
  readonly z: Float64Array;
  readonly h: Float64Array;
  readonly residual: Float64Array;
  readonly inputNormSquared: Float64Array;
  constructor(n: number, m: number, c: number) {
    this.z = new Float64Array(n * m);
    this.h = new Float64Array(n * m);
    this.residual = new Float64Array(n * c);
    this.inputNormSquared = new Float64Array(n);
  }
}

/**
 * Value and gradient of lossWeight * L + flatnessWeight * F_sym, accumulated into `gradient`
 * (which is overwritten). F_sym for k = 1 and Lambda = s I (c outputs, tr Lambda = s c):
 *   F_j = 2 sqrt(A_j D_j),  A_j = (s c / n) sum_i sigma(z_ij)^2,
 *   D_j = (s ||a_j||^2 / n) sum_i sigma'(z_ij)^2 ||u_i||^2,
 * so F_j = (2 s sqrt(c) / n) ||a_j|| sqrt(S_j P_j) with S_j = sum_i sigma^2, P_j = sum_i sigma'^2 ||u_i||^2.
 * P_j is piecewise constant in w_j, so dF_j/dw_j = (2 s sqrt(c) / n) ||a_j|| sqrt(P_j / S_j) sum_i sigma sigma' u_i
 * and dF_j/da_j = (2 s sqrt(c) / n) sqrt(S_j P_j) a_j / ||a_j||.
 */
export function evaluateObjective(
  model: TwoLayerModel,
  arrays: TrainingArrays,
  scale: number,
  lossWeight: number,
  flatnessWeight: number,
  gradient: ModelGradient | null,
  workspace?: Workspace,
): ObjectiveValue {
  const { n, d, c, x, y } = arrays;
  const m = model.hiddenDim;
  const activation = makeActivation(model.activation);
  const flatnessDefined = activation.homogeneityDegree === 1 && activation.piecewiseLinear;
  const wantFlatness = flatnessWeight !== 0 || (gradient === null && flatnessDefined);
  if (wantFlatness) requireFlatnessActivation(activation);
  const sigma = activation.value;
  const sigmaPrime = activation.firstDerivative;
  const space = workspace ?? new Workspace(n, m, c);
  const { z, h, residual, inputNormSquared } = space;
  const W = model.hiddenWeights;
  const b = model.hiddenBias;
  const A = model.outputWeights;
  const c0 = model.outputBias;

  // Piecewise-linear 1-homogeneous activations are z -> z > 0 ? z : q z (q = 0 ReLU, slope for
  // leaky ReLU, -1 abs, 1 identity); that fast path avoids a function call per entry.
  const negativeSlope = flatnessDefined ? sigmaPrime(-1) : null;
  const flatnessFactor = (2 * scale * Math.sqrt(c)) / n;
  const activeSquares = new Float64Array(wantFlatness ? m : 0);
  const slopeNorms = new Float64Array(wantFlatness ? m : 0);
  let squaredResiduals = 0;
  for (let i = 0; i < n; i++) {
    const xOffset = i * d;
    const rowOffset = i * m;
    let norm = b ? 1 : 0;
    for (let l = 0; l < d; l++) norm += x[xOffset + l]! * x[xOffset + l]!;
    inputNormSquared[i] = norm;
    for (let o = 0; o < c; o++) residual[i * c + o] = (c0 ? c0[o]! : 0) - y[i * c + o]!;
    for (let j = 0; j < m; j++) {
      const wOffset = j * d;
      let value = b ? b[j]! : 0;
      for (let l = 0; l < d; l++) value += W[wOffset + l]! * x[xOffset + l]!;
      z[rowOffset + j] = value;
      let s: number;
      let slope: number;
      if (negativeSlope !== null) {
        slope = value > 0 ? 1 : negativeSlope;
        s = value > 0 ? value : negativeSlope * value;
      } else {
        s = sigma(value);
        slope = wantFlatness ? sigmaPrime(value) : 0;
      }
      h[rowOffset + j] = s;
      if (wantFlatness) {
        activeSquares[j] = activeSquares[j]! + s * s;
        slopeNorms[j] = slopeNorms[j]! + slope * slope * norm;
      }
      if (s !== 0) for (let o = 0; o < c; o++) residual[i * c + o] = residual[i * c + o]! + A[o * m + j]! * s;
    }
    for (let o = 0; o < c; o++) squaredResiduals += residual[i * c + o]! ** 2;
  }
  const loss = (scale / (2 * n)) * squaredResiduals;

  // Per-neuron flatness pieces.
  let normalizedFlatness: number | null = null;
  const flatnessW = new Float64Array(wantFlatness ? m : 0);
  const flatnessA = new Float64Array(wantFlatness ? m : 0);
  if (wantFlatness) {
    let total = c0 ? scale * c : 0;
    for (let j = 0; j < m; j++) {
      let outputNorm = 0;
      for (let o = 0; o < c; o++) outputNorm += A[o * m + j]! ** 2;
      outputNorm = Math.sqrt(outputNorm);
      const squares = activeSquares[j]!;
      const slopes = slopeNorms[j]!;
      total += flatnessFactor * outputNorm * Math.sqrt(squares * slopes);
      if (squares > 0 && outputNorm > 0) {
        flatnessW[j] = flatnessWeight * flatnessFactor * outputNorm * Math.sqrt(slopes / squares);
        flatnessA[j] = flatnessWeight * flatnessFactor * Math.sqrt(squares * slopes) / outputNorm;
      }
    }
    normalizedFlatness = total;
  }

  if (gradient) {
    const gW = gradient.hiddenWeights;
    const gb = gradient.hiddenBias;
    const gA = gradient.outputWeights;
    const gc = gradient.outputBias;
    gW.fill(0);
    gb?.fill(0);
    gA.fill(0);
    gc?.fill(0);
    const lossFactor = (lossWeight * scale) / n;
    for (let i = 0; i < n; i++) {
      const xOffset = i * d;
      for (let o = 0; o < c; o++) {
        const g = lossFactor * residual[i * c + o]!;
        if (gc) gc[o] = gc[o]! + g;
        if (g !== 0) for (let j = 0; j < m; j++) gA[o * m + j] = gA[o * m + j]! + g * h[i * m + j]!;
      }
      for (let j = 0; j < m; j++) {
        const zij = z[i * m + j]!;
        const slope = negativeSlope === null ? sigmaPrime(zij) : zij > 0 ? 1 : negativeSlope;
        if (slope === 0) continue;
        let back = 0;
        for (let o = 0; o < c; o++) back += lossFactor * residual[i * c + o]! * A[o * m + j]!;
        let delta = back * slope;
        if (wantFlatness) delta += flatnessW[j]! * h[i * m + j]! * slope;
        if (delta === 0) continue;
        const wOffset = j * d;
        for (let l = 0; l < d; l++) gW[wOffset + l] = gW[wOffset + l]! + delta * x[xOffset + l]!;
        if (gb) gb[j] = gb[j]! + delta;
      }
    }
    if (wantFlatness) {
      for (let j = 0; j < m; j++) {
        const coefficient = flatnessA[j]!;
        if (coefficient === 0) continue;
        for (let o = 0; o < c; o++) gA[o * m + j] = gA[o * m + j]! + coefficient * A[o * m + j]!;
      }
    }
  }
  return { loss, meanSquaredError: squaredResiduals / (n * c), normalizedFlatness };
}

/** Loss and its gradient (no flatness term). */
export function lossAndGradient64(model: TwoLayerModel, arrays: TrainingArrays, scale: number): { value: ObjectiveValue; gradient: ModelGradient } {
  const gradient = zeroGradient(model);
  const value = evaluateObjective(model, arrays, scale, 1, 0, gradient);
  return { value, gradient };
}

/** F_sym and its gradient (no loss term). */
export function normalizedFlatnessAndGradient(model: TwoLayerModel, arrays: TrainingArrays, scale: number): { value: number; gradient: ModelGradient } {
  const gradient = zeroGradient(model);
  const result = evaluateObjective(model, arrays, scale, 0, 1, gradient);
  return { value: result.normalizedFlatness!, gradient };
}

export interface InitOptions {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  /** Multiplies the standard 1/sqrt(fan-in) Gaussian initialization of both layers. */
  scale: number;
  hiddenBias: boolean;
  outputBias: boolean;
  activation: ActivationSpec;
  seed: number;
  path?: string;
}

export function initialNetwork(options: InitOptions): TwoLayerModel {
  const { inputDim: d, hiddenDim: m, outputDim: c, scale } = options;
  const random = new SeededRandom(options.seed);
  const fanIn = d + (options.hiddenBias ? 1 : 0);
  return {
    inputDim: d, hiddenDim: m, outputDim: c,
    hiddenWeights: random.normals(m * d, scale / Math.sqrt(fanIn)),
    hiddenBias: options.hiddenBias ? random.normals(m, scale / Math.sqrt(fanIn)) : null,
    outputWeights: random.normals(c * m, scale / Math.sqrt(m)),
    outputBias: options.outputBias ? new Float64Array(c) : null,
    activation: { ...options.activation },
    activationSource: 'option',
    outputLink: 'identity',
    source: { path: options.path ?? 'memory://trained', format: 'memory', tensorNames: [], notes: [] },
  };
}

export interface TrainOptions {
  /** Most full-batch steps. */
  maxSteps: number;
  learningRate: number;
  /** Stop once the mean squared residual per output is at most this and the penalty is off. */
  targetMse: number;
  /** Penalty weight on F_sym at step 0; decays geometrically to 0 over penaltySteps. */
  flatnessWeight?: number;
  penaltySteps?: number;
  /** Steps between progress reports and event-loop yields. */
  yieldEvery?: number;
  stage?: string;
}

export interface TrainResult {
  model: TwoLayerModel;
  steps: number;
  meanSquaredError: number;
  interpolates: boolean;
}

/**
 * How far a training run has come, for progress bars: a run stops at the target residual long
 * before its step budget, so besides steps / maxSteps it counts, once the penalty is off, how far
 * the mean squared residual has come down toward the target on a log scale. Never goes back.
 */
export function trainingProgress(maxSteps: number, penaltySteps: number, targetMse: number): { lossOnly(mse: number): void; at(step: number): number } {
  const penaltyShare = maxSteps > 0 ? Math.min(1, penaltySteps / maxSteps) : 0;
  let first: number | null = null;
  let latest: number | null = null;
  let reported = 0;
  return {
    lossOnly(mse: number) {
      if (!Number.isFinite(mse)) return;
      if (first === null) first = mse;
      latest = mse;
    },
    at(step: number) {
      let fraction = maxSteps > 0 ? step / maxSteps : 1;
      if (first !== null && latest !== null && targetMse > 0 && first > targetMse) {
        const closed = Math.log(first / Math.max(latest, targetMse)) / Math.log(first / targetMse);
        fraction = Math.max(fraction, penaltyShare + (1 - penaltyShare) * Math.min(1, Math.max(0, closed)));
      }
      reported = Math.max(reported, Math.min(1, fraction));
      return reported;
    },
  };
}

/**
 * Adam on the full batch from `start`, every step as products on the active backend
 * (backendObjective.ts; float32 parameters, the loss summed in float64). The learning rate is
 * halved whenever the objective rises for a while, which lets the last steps settle to interpolation.
 */
export async function trainNetwork(
  start: TwoLayerModel,
  arrays: TrainingArrays,
  scale: number,
  options: TrainOptions,
  context?: ComputeContext,
): Promise<TrainResult> {
  const penaltyStart = options.flatnessWeight ?? 0;
  if (penaltyStart !== 0) requireFlatnessActivation(makeActivation(start.activation));
  const layout = flatLayout(start);
  const objective = new BackendObjective(arrays, layout, start.activation, scale);
  let theta: tf.Tensor1D = tf.tensor1d(toFlat(start, layout));
  let firstMoment: tf.Tensor1D = tf.zeros([layout.size]);
  let secondMoment: tf.Tensor1D = tf.zeros([layout.size]);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const penaltySteps = penaltyStart > 0 ? (options.penaltySteps ?? Math.floor(options.maxSteps / 2)) : 0;
  const yieldEvery = options.yieldEvery ?? 50;
  const scaleOver2n = scale / (2 * arrays.n);
  const entries = arrays.n * arrays.c;
  /** Loss and mean squared residual, summed in float64 from the backend's residuals. */
  const measure = async (residual: tf.Tensor): Promise<{ loss: number; mse: number }> => {
    const values = (await readAndDispose([residual]))[0]!;
    let squares = 0;
    for (let q = 0; q < values.length; q++) squares += values[q]! * values[q]!;
    return { loss: scaleOver2n * squares, mse: squares / entries };
  };
  const progress = trainingProgress(options.maxSteps, penaltySteps, options.targetMse);
  let learningRate = options.learningRate;
  let best = Infinity;
  let sinceBest = 0;
  let mse = Infinity;
  let step = 0;
  try {
    for (; step < options.maxSteps; step++) {
      // Geometric decay from penaltyStart to penaltyStart * 1e-3 over penaltySteps, then off.
      const weight = step < penaltySteps ? penaltyStart * Math.pow(1e-3, step / penaltySteps) : 0;
      const [residual, gradient] = tf.tidy(() => {
        const result = objective.evaluate(theta, 1, weight, true);
        return [result.residual, result.gradient!];
      });
      const value = await measure(residual);
      mse = value.mse;
      if (weight === 0) progress.lossOnly(mse);
      let stop = !Number.isFinite(mse);
      if (!stop && weight === 0) {
        if (mse <= options.targetMse) stop = true;
        else if (value.loss < best * (1 - 1e-4)) {
          best = value.loss;
          sinceBest = 0;
        } else if (++sinceBest > 100) {
          learningRate *= 0.5;
          sinceBest = 0;
          best = value.loss;
        }
      }
      if (stop) {
        gradient!.dispose();
        break;
      }
      const correction1 = 1 - Math.pow(beta1, step + 1);
      const correction2 = 1 - Math.pow(beta2, step + 1);
      const [nextTheta, nextFirst, nextSecond] = tf.tidy(() => {
        const g = gradient!;
        const first = tf.add(tf.mul(firstMoment, beta1), tf.mul(g, 1 - beta1));
        const second = tf.add(tf.mul(secondMoment, beta2), tf.mul(tf.square(g), 1 - beta2));
        const update = tf.div(tf.mul(first, learningRate / correction1), tf.add(tf.sqrt(tf.mul(second, 1 / correction2)), 1e-12));
        return [tf.sub(theta, update), first, second] as tf.Tensor1D[];
      });
      gradient!.dispose();
      theta.dispose();
      firstMoment.dispose();
      secondMoment.dispose();
      theta = nextTheta!;
      firstMoment = nextFirst!;
      secondMoment = nextSecond!;
      if (step % yieldEvery === yieldEvery - 1) {
        throwIfCancelled(context);
        context?.onProgress?.(options.stage ?? 'training', progress.at(step + 1));
        await yieldToEventLoop();
      }
    }
    if (step === options.maxSteps) {
      mse = (await measure(tf.tidy(() => objective.evaluate(theta, 1, 0, false).residual))).mse;
    }
    const model = fromFlat(start, layout, (await readFloat32(theta)));
    return { model, steps: step, meanSquaredError: mse, interpolates: mse <= options.targetMse };
  } finally {
    theta.dispose();
    firstMoment.dispose();
    secondMoment.dispose();
    objective.dispose();
  }
}
