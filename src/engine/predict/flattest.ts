import type { ActivationSpec, TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import { activationLabel } from '../math/activations';
import { type ComputeContext, throwIfCancelled } from '../compute/context';
import type { FlattestRun, FoundNetwork } from '../../shared/report';
import { type TrainingArrays, initialNetwork, squaredErrorScale, trainNetwork } from './trainer';
import { measureFlatness } from './measure';

/**
 * Search for the flattest interpolator of the data: full-batch Adam on
 *   L(theta) + lambda_t * F_sym(theta),   lambda_t = lambda_0 * 1e-3^(t / T), then lambda = 0,
 * from several random starts and widths, until interpolation. F_sym is a data-weighted path norm
 * (F_j = (2 s sqrt(c) / n) ||a_j|| ||sigma(X w_j)|| ||sigma'(X w_j) u||), so the penalized problem is a
 * group-lasso over neurons whose solutions approach minimum-F_sym interpolators as lambda -> 0;
 * the last pure-loss phase closes the remaining residual. F_found, the smallest F_sym among the
 * runs that interpolate, brackets the flattest achievable: F_LB <= min F <= F_found.
 */
export interface FlattestOptions {
  widths: number[];
  restarts: number;
  activation: ActivationSpec;
  hiddenBias: boolean;
  outputBias: boolean;
  targetMse: number;
  maxSteps: number;
  penaltySteps: number;
  /** lambda_0 as a multiple of (loss of the zero predictor) / F_LB. */
  penaltyStrength: number;
  seed: number;
}

export const DEFAULT_FLATTEST_OPTIONS: Omit<FlattestOptions, 'widths' | 'activation' | 'hiddenBias' | 'outputBias' | 'targetMse'> = {
  restarts: 2,
  maxSteps: 4000,
  penaltySteps: 1000,
  penaltyStrength: 0.5,
  seed: 20260601,
};

export interface FlattestResult {
  /** The flattest interpolating run (smallest F_sym). */
  model: TwoLayerModel | null;
  /** Every interpolating run, flattest first: the references of the disagreement D. */
  models: TwoLayerModel[];
  normalized: number | null;
  lowerBound: number | null;
  runs: FlattestRun[];
}

export async function searchFlattest(
  arrays: TrainingArrays,
  loss: LossSpec,
  options: FlattestOptions,
  context?: ComputeContext,
): Promise<FlattestResult> {
  const scale = squaredErrorScale(loss);
  const { n, d, c } = arrays;
  let zeroLoss = 0;
  for (const value of arrays.y) zeroLoss += value * value;
  zeroLoss *= scale / (2 * n);
  let best: TwoLayerModel | null = null;
  let bestValue: number | null = null;
  const found: { model: TwoLayerModel; normalized: number }[] = [];
  let lowerBound: number | null = null;
  const runs: FlattestRun[] = [];
  let closest: { model: TwoLayerModel; meanSquaredError: number; width: number; seed: number } | null = null;
  const total = options.widths.length * options.restarts;
  for (const [w, width] of options.widths.entries()) {
    for (let restart = 0; restart < options.restarts; restart++) {
      throwIfCancelled(context);
      const seed = options.seed + 101 * w + restart;
      const start = initialNetwork({
        inputDim: d, hiddenDim: width, outputDim: c, scale: 1, hiddenBias: options.hiddenBias,
        outputBias: options.outputBias, activation: options.activation, seed, path: 'memory://flattest',
      });
      if (lowerBound === null) lowerBound = (await measureFlatness(start, arrays, loss, { signal: context?.signal })).lowerBound;
      const weight = lowerBound && lowerBound > 0 ? (options.penaltyStrength * zeroLoss) / lowerBound : 0;
      const done = runs.length;
      const result = await trainNetwork(start, arrays, scale, {
        maxSteps: options.maxSteps, learningRate: 0.01, targetMse: options.targetMse,
        flatnessWeight: weight, penaltySteps: options.penaltySteps, stage: 'flattest',
      }, {
        signal: context?.signal,
        onProgress: (_, fraction) => context?.onProgress?.('flattest', (done + fraction) / total),
      });
      const measures = await measureFlatness(result.model, arrays, loss, { signal: context?.signal });
      runs.push({ width, seed, normalized: measures.normalized, meanSquaredError: result.meanSquaredError, interpolates: result.interpolates, steps: result.steps });
      if (Number.isFinite(result.meanSquaredError) && (closest === null || result.meanSquaredError < closest.meanSquaredError)) {
        closest = { model: result.model, meanSquaredError: result.meanSquaredError, width, seed };
      }
      if (result.interpolates && measures.normalized !== null) found.push({ model: result.model, normalized: measures.normalized });
      if (result.interpolates && measures.normalized !== null && (bestValue === null || measures.normalized < bestValue)) {
        best = result.model;
        bestValue = measures.normalized;
      }
    }
  }
  if (best === null && closest !== null) {
    // No run reached the tolerance in its steps (high-dimensional inputs, biases): the closest one
    // keeps training on the loss alone, at a smaller step, for as many steps again.
    const { model: start, width, seed } = closest;
    const result = await trainNetwork(start, arrays, scale, { maxSteps: options.maxSteps, learningRate: 0.003, targetMse: options.targetMse, stage: 'flattest' }, {
      signal: context?.signal,
      onProgress: (_, fraction) => context?.onProgress?.('flattest', fraction),
    });
    const measures = await measureFlatness(result.model, arrays, loss, { signal: context?.signal });
    runs.push({ width, seed, normalized: measures.normalized, meanSquaredError: result.meanSquaredError, interpolates: result.interpolates, steps: result.steps });
    if (result.interpolates && measures.normalized !== null) {
      best = result.model;
      bestValue = measures.normalized;
      found.push({ model: result.model, normalized: measures.normalized });
    }
  }
  const models = found.sort((p, q) => p.normalized - q.normalized).map((entry) => entry.model);
  return { model: best, models, normalized: bestValue, lowerBound, runs };
}

export function foundNetworkArrays(model: TwoLayerModel): FoundNetwork {
  return {
    inputDim: model.inputDim,
    hiddenDim: model.hiddenDim,
    outputDim: model.outputDim,
    activation: activationLabel(model.activation),
    hiddenWeights: Array.from(model.hiddenWeights),
    hiddenBias: model.hiddenBias ? Array.from(model.hiddenBias) : null,
    outputWeights: Array.from(model.outputWeights),
    outputBias: model.outputBias ? Array.from(model.outputBias) : null,
  };
}
