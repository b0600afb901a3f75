import type { ReportAdaptiveSharpness, ReportAverageSharpness, ReportSharpness } from '../../shared/report';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { lossAndGradient } from './gradient';
import { lossAtPoints } from './lossAtPoints';
import { flattenParameters, unflattenParameters } from './parameterVector';
import { SeededRandom } from '../math/random';
import { norm } from './lanczos';

export interface SharpnessOptions {
  rhos?: number[];
  /** Loss-and-gradient evaluations of the projected ascent per rho. */
  steps?: number;
  /** Gaussian samples per rho for the average case. */
  averageSamples?: number;
  seed?: number;
  chunkRows?: number;
}

export const SHARPNESS_DEFAULTS = { rhos: [0.01, 0.05, 0.1], steps: 10, averageSamples: 16, seed: 2 } as const;

export const ADAPTIVE_SHARPNESS_DEFINITION =
  'max over ||eps / |theta| ||_2 <= rho of L(theta + eps) - L(theta) (elementwise-scaled ball, biases included, '
  + 'so the value is invariant under the rescaling symmetry), estimated from below by projected gradient ascent '
  + 'in eta = eps / |theta| started at the first-order maximiser; average case: eps = |theta| o xi with '
  + 'xi ~ N(0, rho^2 / P I), so that E ||xi||^2 = rho^2';

/**
 * Adaptive sharpness (worst case in the scaled ball, by projected gradient ascent) and its
 * Gaussian average-case version, for several radii. Every loss and gradient is exact.
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
  const evaluate = async (eta: Float64Array): Promise<{ loss: number; ascent: Float64Array }> => {
    const point = new Float64Array(size);
    for (let p = 0; p < size; p++) point[p] = theta[p]! + magnitude[p]! * eta[p]!;
    const result = await lossAndGradient(unflattenParameters(model, point), data, loss, context, { chunkRows: options.chunkRows });
    const ascent = new Float64Array(size); // d/d eta of L(theta + |theta| o eta)
    for (let p = 0; p < size; p++) ascent[p] = magnitude[p]! * result.gradient[p]!;
    return { loss: result.loss, ascent };
  };
  const random = new SeededRandom(settings.seed);
  const start = await evaluate(new Float64Array(size));
  const baseLoss = start.loss;

  const adaptive: ReportAdaptiveSharpness[] = [];
  for (const rho of settings.rhos) {
    let direction = start.ascent;
    if (!(norm(direction) > 0)) direction = random.normals(size);
    let bestEta = new Float64Array(size);
    let bestIncrease = 0;
    let bestAscent = direction;
    let step = rho;
    let evaluations = 0;
    for (let iteration = 0; iteration < settings.steps; iteration++) {
      const length = norm(bestAscent);
      if (!(length > 0)) break;
      const candidate = new Float64Array(size);
      for (let p = 0; p < size; p++) candidate[p] = bestEta[p]! + (step * bestAscent[p]!) / length;
      const radius = norm(candidate);
      if (radius > rho) for (let p = 0; p < size; p++) candidate[p] = (candidate[p]! * rho) / radius;
      const result = await evaluate(candidate);
      evaluations++;
      const increase = result.loss - baseLoss;
      if (increase > bestIncrease) {
        bestIncrease = increase;
        bestEta = candidate;
        bestAscent = result.ascent;
      } else {
        step /= 2;
      }
    }
    adaptive.push({ rho, lossIncrease: bestIncrease, steps: settings.steps, evaluations, radius: norm(bestEta) });
  }

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
    losses.push(...await lossAtPoints(model, data, loss, directions, directions.map((_, i) => ({ terms: [[i, 1]] })), context, options.chunkRows));
  }
  const average: ReportAverageSharpness[] = settings.rhos.map((rho, r) => {
    const increases = losses.slice(r * settings.averageSamples, (r + 1) * settings.averageSamples).map((value) => value - baseLoss);
    const mean = increases.reduce((sum, value) => sum + value, 0) / increases.length;
    const variance = increases.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, increases.length - 1);
    return { rho, mean, standardError: Math.sqrt(variance / increases.length), samples: increases.length };
  });
  return { baseLoss, definition: ADAPTIVE_SHARPNESS_DEFINITION, adaptive, average, seed: settings.seed };
}
