import type { ReportLandscape, ReportLandscapeCurve, ReportLandscapeSurface } from '../../shared/report';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { type ParameterPoint, lossAtPoints } from './lossAtPoints';
import { flattenParameters, parameterLayout } from './parameterVector';
import { SeededRandom } from '../math/random';
import { lossOnGrid, piecewiseLinearParts } from './lossOnGrid';
import { norm } from './lanczos';

export interface LandscapeOptions {
  /** Points of each 1D curve and per side of the 2D grid. */
  points1d?: number;
  grid2d?: number;
  /** Whether to compute the 2D surface. */
  twoD?: boolean;
  /** Coordinates run over [-range, range] (directions are scaled to the parameters' size). */
  range?: number;
  /** The orbit curve covers t = e^s for s in [-orbitRange, orbitRange]. */
  orbitRange?: number;
  seed?: number;
  chunkRows?: number;
  /**
   * The landscape of a per-neuron rescaling of this model (same settings): its random curve and its
   * surface are taken over, since they do not change under the rescaling (see computeLandscape).
   */
  rescalingOf?: ReportLandscape;
}

export const LANDSCAPE_DEFAULTS = { points1d: 51, grid2d: 31, twoD: true, range: 1, orbitRange: Math.log(10), seed: 3 } as const;

export const FILTER_NORMALIZATION =
  'Gaussian directions normalized neuron by neuron (filter normalization, Li et al. 2018, per hidden neuron): '
  + 'the block (w_j, b_j) is scaled to the norm of the model\'s (w_j, b_j), the block a_j to ||a_j||, the output '
  + 'bias block to ||c0||; the eigenvector direction is scaled to the same total norm';

/** A Gaussian direction normalized neuron by neuron to the model's own block norms. */
export function filterNormalizedDirection(model: TwoLayerModel, random: SeededRandom): Float64Array {
  const layout = parameterLayout(model);
  const theta = flattenParameters(model);
  const direction = random.normals(layout.size);
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const normalizeBlock = (indices: number[]): void => {
    let target = 0;
    let current = 0;
    for (const p of indices) {
      target += theta[p]! ** 2;
      current += direction[p]! ** 2;
    }
    const factor = current > 0 ? Math.sqrt(target / current) : 0;
    for (const p of indices) direction[p] = direction[p]! * factor;
  };
  for (let j = 0; j < m; j++) {
    const incoming = Array.from({ length: d }, (_, l) => j * d + l);
    if (layout.hasHiddenBias) incoming.push(layout.hiddenBiasOffset + j);
    normalizeBlock(incoming);
    normalizeBlock(Array.from({ length: c }, (_, o) => layout.outputWeightsOffset + o * m + j));
  }
  if (layout.hasOutputBias) normalizeBlock(Array.from({ length: c }, (_, o) => layout.outputBiasOffset + o));
  return direction;
}

function linspace(low: number, high: number, count: number): number[] {
  if (count <= 1) return [(low + high) / 2];
  return Array.from({ length: count }, (_, i) => low + ((high - low) * i) / (count - 1));
}

/**
 * Loss landscape around the model: 1D curves along a filter-normalized random direction, along
 * the top Hessian eigenvector (when given) and along the rescaling orbit (homogeneous
 * activations), and the 2D surface over two filter-normalized random directions. Piecewise-linear
 * activations use the exact kink-sorting evaluation of lossOnGrid.ts; the others evaluate every
 * point (all in one pass over the data).
 */
export async function computeLandscape(
  model: TwoLayerModel,
  data: Dataset,
  loss: LossSpec,
  topEigenvector: Float64Array | null,
  options: LandscapeOptions = {},
  context?: ComputeContext,
): Promise<ReportLandscape> {
  const settings = { ...LANDSCAPE_DEFAULTS, ...options };
  const random = new SeededRandom(settings.seed);
  const notes: string[] = [];
  const randomDirection = filterNormalizedDirection(model, random);
  const coordinates = linspace(-settings.range, settings.range, settings.points1d);
  const lines: Array<{ curve: Omit<ReportLandscapeCurve, 'loss'>; direction: Float64Array }> = [{
    curve: { direction: 'random', description: 'theta + s d, d a filter-normalized Gaussian direction', coordinates },
    direction: randomDirection,
  }];
  if (topEigenvector) {
    const length = norm(topEigenvector);
    const target = norm(randomDirection);
    lines.push({
      curve: {
        direction: 'top-eigenvector',
        description: 'theta + s v, v the eigenvector of the largest Hessian eigenvalue scaled to the norm of the random direction',
        coordinates,
      },
      direction: topEigenvector.map((x) => (length > 0 ? (x * target) / length : 0)),
    });
  } else {
    notes.push('no eigenvector direction: the spectrum was not computed');
  }
  const secondDirection = settings.twoD ? filterNormalizedDirection(model, random) : null;
  const axis = linspace(-settings.range, settings.range, settings.grid2d);
  const piecewiseLinear = piecewiseLinearParts(model.activation) !== null;
  // Filter normalization is per neuron, so under theta' = T theta (every neuron's (w_j, b_j) times t_j,
  // a_j times t_j^-k) the same Gaussian draws give d' = T d, and theta' + s d' = T (theta + s d) is the
  // same function: the random curve and the surface of a rescaled model are those of the original.
  const reused = settings.rescalingOf;
  const reusedRandom = reused?.oneD.find((curve) => curve.direction === 'random' && sameCoordinates(curve.coordinates, coordinates)) ?? null;
  const reusedSurface = reused?.twoD && sameCoordinates(reused.twoD.x, axis) && sameCoordinates(reused.twoD.y, axis) ? reused.twoD.loss : null;

  // Points evaluated one by one: the base point, the orbit, and everything when the activation is smooth.
  const directions: Float64Array[] = [];
  const points: ParameterPoint[] = [{ terms: [] }];
  const k = makeActivation(model.activation).homogeneityDegree;
  let orbit: Omit<ReportLandscapeCurve, 'loss'> | null = null;
  const orbitFirst = points.length;
  if (k !== null) {
    orbit = {
      direction: 'orbit',
      description: `every neuron rescaled by t = e^s: (a_j, w_j, b_j) -> (t^-${k} a_j, t w_j, t b_j); the network function, hence the loss, is unchanged`,
      coordinates: linspace(-settings.orbitRange, settings.orbitRange, settings.points1d),
    };
    for (const s of orbit.coordinates) points.push({ terms: [], preactivationScale: Math.exp(s), outputScale: Math.exp(-k * s) });
  } else {
    notes.push(`no orbit curve: ${model.activation.name} is not positively homogeneous, there is no rescaling symmetry`);
  }
  const lineFirst: number[] = [];
  let surfaceFirst = 0;
  if (!piecewiseLinear) {
    for (const [index, line] of lines.entries()) {
      if (index === 0 && reusedRandom) {
        lineFirst.push(-1);
        continue;
      }
      directions.push(line.direction);
      lineFirst.push(points.length);
      for (const s of coordinates) points.push({ terms: [[directions.length - 1, s]] });
    }
    if (secondDirection && !reusedSurface) {
      directions.push(randomDirection, secondDirection);
      surfaceFirst = points.length;
      for (const y of axis) for (const x of axis) points.push({ terms: [[directions.length - 2, x], [directions.length - 1, y]] });
    }
  }
  const losses = await lossAtPoints(model, data, loss, directions, points, context, options.chunkRows);
  const oneD: ReportLandscapeCurve[] = [];
  for (const [index, line] of lines.entries()) {
    if (index === 0 && reusedRandom) {
      oneD.push({ ...line.curve, loss: [...reusedRandom.loss] });
      continue;
    }
    const values = piecewiseLinear
      ? (await lossOnGrid(model, data, loss, line.direction, coordinates, null, [0], context, options.chunkRows))[0]!
      : losses.slice(lineFirst[index]!, lineFirst[index]! + coordinates.length);
    oneD.push({ ...line.curve, loss: values });
  }
  if (orbit) oneD.push({ ...orbit, loss: losses.slice(orbitFirst, orbitFirst + orbit.coordinates.length) });
  let twoD: ReportLandscapeSurface | null = null;
  if (secondDirection) {
    const side = axis.length;
    let surface: number[][];
    if (reusedSurface) surface = reusedSurface.map((row) => [...row]);
    else if (piecewiseLinear) surface = await lossOnGrid(model, data, loss, randomDirection, axis, secondDirection, axis, context, options.chunkRows);
    else surface = Array.from({ length: side }, (_, iy) => losses.slice(surfaceFirst + iy * side, surfaceFirst + (iy + 1) * side));
    twoD = {
      directions: ['random', 'random'],
      description: 'theta + x d1 + y d2, d1 (the 1D random direction) and d2 independent filter-normalized Gaussian directions',
      x: axis,
      y: axis,
      loss: surface,
    };
  }
  return { baseLoss: losses[0]!, normalization: FILTER_NORMALIZATION, oneD, twoD, seed: settings.seed, notes };
}

function sameCoordinates(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
