import type { ReportLandscape, ReportLandscapeCurve, ReportLandscapeSurface } from '../../shared/report';
import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import type { LossSpec } from '../math/losses';
import type { ComputeContext } from '../compute/context';
import { type ParameterPoint, lossAtPoints } from './lossAtPoints';
import { flattenParameters, parameterLayout } from './parameterVector';
import { seededRandom } from './random';
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
}

export const LANDSCAPE_DEFAULTS = { points1d: 51, grid2d: 31, twoD: true, range: 1, orbitRange: Math.log(10), seed: 3 } as const;

export const FILTER_NORMALIZATION =
  'Gaussian directions normalized neuron by neuron (filter normalization, Li et al. 2018, per hidden neuron): '
  + 'the block (w_j, b_j) is scaled to the norm of the model\'s (w_j, b_j), the block a_j to ||a_j||, the output '
  + 'bias block to ||c0||; the eigenvector direction is scaled to the same total norm';

/** A Gaussian direction normalized neuron by neuron to the model's own block norms. */
export function filterNormalizedDirection(model: TwoLayerModel, random: ReturnType<typeof seededRandom>): Float64Array {
  const layout = parameterLayout(model);
  const theta = flattenParameters(model);
  const direction = random.normalVector(layout.size);
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
 * activations), and the 2D surface over two filter-normalized random directions. All curves
 * are evaluated in one pass over the data.
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
  const random = seededRandom(settings.seed);
  const notes: string[] = [];
  const random1 = filterNormalizedDirection(model, random);
  const directions: Float64Array[] = [random1];
  const points: ParameterPoint[] = [{ terms: [] }];
  const coordinates = linspace(-settings.range, settings.range, settings.points1d);
  const curves: Array<{ curve: Omit<ReportLandscapeCurve, 'loss'>; first: number }> = [];

  const addCurve = (curve: Omit<ReportLandscapeCurve, 'loss'>, make: (s: number) => ParameterPoint): void => {
    curves.push({ curve, first: points.length });
    for (const s of curve.coordinates) points.push(make(s));
  };
  addCurve({ direction: 'random', description: 'theta + s d, d a filter-normalized Gaussian direction', coordinates }, (s) => ({ terms: [[0, s]] }));
  if (topEigenvector) {
    const length = norm(topEigenvector);
    const target = norm(random1);
    const scaled = topEigenvector.map((x) => (length > 0 ? (x * target) / length : 0));
    directions.push(scaled);
    const index = directions.length - 1;
    addCurve({
      direction: 'top-eigenvector',
      description: 'theta + s v, v the eigenvector of the largest Hessian eigenvalue scaled to the norm of the random direction',
      coordinates,
    }, (s) => ({ terms: [[index, s]] }));
  } else {
    notes.push('no eigenvector direction: the spectrum was not computed');
  }
  const k = makeActivation(model.activation).homogeneityDegree;
  if (k !== null) {
    addCurve({
      direction: 'orbit',
      description: `every neuron rescaled by t = e^s: (a_j, w_j, b_j) -> (t^-${k} a_j, t w_j, t b_j); the network function, hence the loss, is unchanged`,
      coordinates: linspace(-settings.orbitRange, settings.orbitRange, settings.points1d),
    }, (s) => ({ terms: [], preactivationScale: Math.exp(s), outputScale: Math.exp(-k * s) }));
  } else {
    notes.push(`no orbit curve: ${model.activation.name} is not positively homogeneous, there is no rescaling symmetry`);
  }
  let surface: Omit<ReportLandscapeSurface, 'loss'> | null = null;
  let surfaceFirst = 0;
  if (settings.twoD) {
    directions.push(filterNormalizedDirection(model, random));
    const second = directions.length - 1;
    const axis = linspace(-settings.range, settings.range, settings.grid2d);
    surface = {
      directions: ['random', 'random'],
      description: 'theta + x d1 + y d2, d1 (the 1D random direction) and d2 independent filter-normalized Gaussian directions',
      x: axis,
      y: axis,
    };
    surfaceFirst = points.length;
    for (const y of axis) for (const x of axis) points.push({ terms: [[0, x], [second, y]] });
  }
  const losses = await lossAtPoints(model, data, loss, directions, points, context, options.chunkRows);
  const oneD: ReportLandscapeCurve[] = curves.map(({ curve, first }) => ({
    ...curve,
    loss: losses.slice(first, first + curve.coordinates.length),
  }));
  let twoD: ReportLandscapeSurface | null = null;
  if (surface) {
    const side = surface.x.length;
    twoD = {
      ...surface,
      loss: Array.from({ length: side }, (_, iy) => losses.slice(surfaceFirst + iy * side, surfaceFirst + (iy + 1) * side)),
    };
  }
  return { baseLoss: losses[0]!, normalization: FILTER_NORMALIZATION, oneD, twoD, seed: settings.seed, notes };
}
