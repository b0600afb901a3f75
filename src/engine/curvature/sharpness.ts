import type { ReportAdaptiveSharpness, ReportAverageSharpness, ReportSharpness } from '../../shared/report';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { lossesAndGradients, lossesAtParameters } from './pointGradients';
import { flattenParameters } from './parameterVector';
import { SeededRandom } from '../math/random';
import { type SymmetricOperator, lanczos, norm, ritzPairs } from './lanczos';
import { LossOperator } from './lossOperator';

export interface SharpnessOptions {
  rhos?: number[];
  /** Cap on loss-and-gradient evaluations of the projected ascent, per start and rho. */
  steps?: number;
  /** Random starts in addition to the gradient and the top eigenvector of |theta| H |theta|. */
  randomStarts?: number;
  /** Stop a start when the relative increase over the last 3 accepted steps is below this. */
  stopTolerance?: number;
  /** Gaussian samples per rho for the average case. */
  averageSamples?: number;
  seed?: number;
  chunkRows?: number;
}

export const SHARPNESS_DEFAULTS = {
  rhos: [0.01, 0.05, 0.1], steps: 20, randomStarts: 1, stopTolerance: 1e-5, averageSamples: 16, seed: 2,
} as const;

export const ADAPTIVE_SHARPNESS_DEFINITION =
  'max over ||eps / |theta| ||_2 <= rho of L(theta + eps) - L(theta) (elementwise-scaled ball, biases included, '
  + 'so the value is invariant under the rescaling symmetry), estimated from below by projected gradient ascent '
  + 'in eta = eps / |theta| with backtracking, from several starts (the first-order maximizer, both signs of the top '
  + 'eigenvector of |theta| H |theta|, random directions), each run until its gain stalls; average case: '
  + 'eps = |theta| o xi with xi ~ N(0, rho^2 / P I), so that E ||xi||^2 = rho^2';

interface Evaluation { loss: number; ascent: Float64Array }

/** Projects onto the ball ||eta|| <= rho, in place. */
function projectToBall(eta: Float64Array, rho: number): Float64Array {
  const radius = norm(eta);
  if (radius > rho) for (let p = 0; p < eta.length; p++) eta[p] = (eta[p]! * rho) / radius;
  return eta;
}

/** The unit top eigenvector of |theta| H |theta| by a short Lanczos run (null if H vanishes). */
async function topScaledEigenvector(
  model: TwoLayerModel, data: Dataset, loss: LossSpec, magnitude: Float64Array, random: SeededRandom,
  chunkRows: number | undefined, context?: ComputeContext,
): Promise<Float64Array | null> {
  const operator = await LossOperator.prepare(model, data, loss, chunkRows ? { chunkRows } : {}, context);
  try {
    const size = magnitude.length;
    const symmetric: SymmetricOperator = {
      size,
      async apply(vectors, _runs, applyContext) {
        const inputs = vectors.map((v) => v.map((x, p) => x * magnitude[p]!));
        const outputs = await operator.hessianVectorProducts(inputs, applyContext);
        return outputs.map((out) => out.map((x, p) => x * magnitude[p]!));
      },
    };
    const [run] = await lanczos(symmetric, [random.normals(size)], { maxSteps: Math.min(size, 20), context });
    const pairs = ritzPairs(run!);
    const vector = pairs.vector(pairs.values.length - 1);
    const length = norm(vector);
    return length > 0 && Number.isFinite(length) ? vector.map((x) => x / length) : null;
  } finally {
    operator.dispose();
  }
}

/**
 * One run of projected gradient ascent on eta -> L(theta + |theta| o eta) in the ball ||eta|| <= rho:
 * a step along the ascent direction, projected, accepted when the loss rises, else halved; it stops
 * when the step is below 1e-9 rho, the relative gain over the last three accepted steps is below
 * the tolerance, or the evaluation cap is reached. Runs advance in lock-step (propose, then
 * accept with the evaluation) so that every round evaluates all runs' candidates in one pass.
 */
class AscentRun {
  evaluations = 0;
  iterations = 0;
  done = false;
  private step: number;
  private readonly history: number[];

  constructor(
    public eta: Float64Array, public current: Evaluation, private readonly rho: number,
    private readonly maxEvaluations: number, private readonly tolerance: number, private readonly baseLoss: number,
  ) {
    this.step = rho / 2;
    this.history = [current.loss - baseLoss];
  }

  get increase(): number {
    return this.current.loss - this.baseLoss;
  }

  /** The next point to evaluate, or null when the run has stopped. */
  propose(): Float64Array | null {
    if (this.done || !(this.evaluations < this.maxEvaluations && this.step > 1e-9 * this.rho)) {
      this.done = true;
      return null;
    }
    const length = norm(this.current.ascent);
    if (!(length > 0)) {
      this.done = true;
      return null;
    }
    const candidate = new Float64Array(this.eta.length);
    for (let p = 0; p < candidate.length; p++) candidate[p] = this.eta[p]! + (this.step * this.current.ascent[p]!) / length;
    return projectToBall(candidate, this.rho);
  }

  accept(candidate: Float64Array, result: Evaluation): void {
    this.evaluations++;
    if (result.loss > this.current.loss) {
      this.eta = candidate;
      this.current = result;
      this.iterations++;
      this.step = Math.min(2 * this.step, 2 * this.rho);
      const history = this.history;
      history.push(result.loss - this.baseLoss);
      if (history.length > 3) {
        const recent = history[history.length - 1]!;
        const earlier = history[history.length - 4]!;
        if (recent - earlier <= this.tolerance * Math.max(Math.abs(recent), 1e-300)) this.done = true;
      }
    } else {
      this.step /= 2;
    }
  }
}

/**
 * Adaptive sharpness (worst case in the scaled ball, by multi-start projected gradient ascent) and
 * its Gaussian average-case version, for several radii. Every loss and gradient is exact.
 */
export async function computeSharpness(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  options: SharpnessOptions = {},
  context?: ComputeContext,
): Promise<ReportSharpness> {
  const settings = { ...SHARPNESS_DEFAULTS, ...options };
  const theta = flattenParameters(model);
  const size = theta.length;
  const magnitude = theta.map(Math.abs);
  /** Loss and ascent direction d/d eta at several eta, in one batched pass over the data. */
  const evaluate = async (etas: readonly Float64Array[]): Promise<Evaluation[]> => {
    const points = etas.map((eta) => {
      const point = new Float64Array(size);
      for (let p = 0; p < size; p++) point[p] = theta[p]! + magnitude[p]! * eta[p]!;
      return point;
    });
    const results = await lossesAndGradients(model, data, loss, points, context, options.chunkRows);
    return results.map((result) => {
      const ascent = new Float64Array(size); // d/d eta of L(theta + |theta| o eta)
      for (let p = 0; p < size; p++) ascent[p] = magnitude[p]! * result.gradient[p]!;
      return { loss: result.loss, ascent };
    });
  };
  const random = new SeededRandom(settings.seed);
  const [start] = await evaluate([new Float64Array(size)]);
  const baseLoss = start!.loss;
  const eigenvector = await topScaledEigenvector(model, data, loss, magnitude, random, options.chunkRows, context);
  const directions: Float64Array[] = [];
  if (norm(start!.ascent) > 0) directions.push(start!.ascent);
  if (eigenvector) directions.push(eigenvector, eigenvector.map((x) => -x));
  for (let r = 0; r < settings.randomStarts; r++) directions.push(random.normals(size));

  // Every (rho, start) pair is one ascent run; all runs advance together.
  const starts = settings.rhos.flatMap((rho, r) => directions.filter((direction) => norm(direction) > 0).map((direction) => {
    const length = norm(direction);
    return { r, rho, eta: direction.map((x) => (rho * x) / length) };
  }));
  const startValues = await evaluate(starts.map((entry) => entry.eta));
  const runs = starts.map((entry, i) => ({
    r: entry.r,
    run: new AscentRun(entry.eta, startValues[i]!, entry.rho, settings.steps, settings.stopTolerance, baseLoss),
  }));
  for (;;) {
    const proposals = runs.map(({ run }) => ({ run, candidate: run.propose() }))
      .filter((entry): entry is { run: AscentRun; candidate: Float64Array } => entry.candidate !== null);
    if (proposals.length === 0) break;
    const results = await evaluate(proposals.map((entry) => entry.candidate));
    proposals.forEach(({ run, candidate }, i) => run.accept(candidate, results[i]!));
  }
  const adaptive: ReportAdaptiveSharpness[] = settings.rhos.map((rho, r) => {
    let best: { eta: Float64Array; increase: number } = { eta: new Float64Array(size), increase: 0 };
    let evaluations = 0;
    let iterations = 0;
    for (const { run } of runs.filter((entry) => entry.r === r)) {
      // The start's own evaluation counts too.
      evaluations += 1 + run.evaluations;
      iterations += run.iterations;
      if (run.increase > best.increase) best = { eta: run.eta, increase: run.increase };
    }
    return { rho, lossIncrease: best.increase, steps: iterations, evaluations, radius: norm(best.eta) };
  });

  // Perturbations are drawn and evaluated in groups that keep about 64 MB of directions in memory.
  const radii = settings.rhos.flatMap((rho) => new Array<number>(settings.averageSamples).fill(rho));
  const group = Math.max(1, Math.min(radii.length, Math.floor((64 * 2 ** 20) / (8 * size))));
  const losses: number[] = [];
  for (let first = 0; first < radii.length; first += group) {
    const directions = radii.slice(first, first + group).map((rho) => {
      const xi = random.normals(size);
      const sd = rho / Math.sqrt(size);
      for (let p = 0; p < size; p++) xi[p] = magnitude[p]! * sd * xi[p]!;
      return xi;
    });
    const points = directions.map((direction) => direction.map((x, p) => theta[p]! + x));
    losses.push(...await lossesAtParameters(model, data, loss, points, context, options.chunkRows));
  }
  const average: ReportAverageSharpness[] = settings.rhos.map((rho, r) => {
    const increases = losses.slice(r * settings.averageSamples, (r + 1) * settings.averageSamples).map((value) => value - baseLoss);
    const mean = increases.reduce((sum, value) => sum + value, 0) / increases.length;
    const variance = increases.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, increases.length - 1);
    return { rho, mean, standardError: Math.sqrt(variance / increases.length), samples: increases.length };
  });
  return { baseLoss, definition: ADAPTIVE_SHARPNESS_DEFINITION, adaptive, average, seed: settings.seed };
}
