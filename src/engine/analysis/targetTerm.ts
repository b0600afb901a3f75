import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { minimizeWeightedDistanceSum, weightedDistanceSum } from '../math/weightedMedian';

/**
 * The data part of the certified bound (FLATNESS.md section 4), in float64 from the files' values:
 * (1/n) sum_i ||u_i|| ||y_i - c||, minimized over the output bias c when the architecture has one
 * (every interpolator of the data may pick its own c), and at the model's own c0.
 */
export interface TargetTerm {
  /** Certified: a lower bound on min over c (exactly c = 0 without an output bias). */
  certified: number;
  /** The minimizing output bias found (zeros without an output bias). */
  center: number[];
  /** At the model's c0 (0 without an output bias): holds for interpolators with this c0 only. */
  atModelBias: number;
}

interface DataPart {
  weights: Float64Array;
  points: Float64Array;
  minimum?: { value: number; center: number[] };
}

/**
 * The weights, targets and certified minimum depend on the data and the architecture only: kept
 * per data set, so the checkpoints of one training run (flatness-lens trajectory) share one.
 */
const dataParts = new WeakMap<Dataset, Map<string, DataPart>>();

function dataPart(data: Dataset, hiddenBias: boolean, c: number): DataPart {
  const key = `${hiddenBias ? 1 : 0}:${c}`;
  let parts = dataParts.get(data);
  if (!parts) dataParts.set(data, (parts = new Map()));
  const cached = parts.get(key);
  if (cached) return cached;
  const { n, d } = data;
  const weights = new Float64Array(n);
  const points = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let squared = hiddenBias ? 1 : 0;
    for (let l = 0; l < d; l++) squared += data.inputs[i * d + l]! ** 2;
    weights[i] = Math.sqrt(squared);
    for (let o = 0; o < c; o++) points[i * c + o] = data.targets[i * c + o]!;
  }
  const part = { weights, points };
  parts.set(key, part);
  return part;
}

export function computeTargetTerm(model: TwoLayerModel, data: Dataset): TargetTerm {
  const n = data.n;
  const c = model.outputDim;
  const part = dataPart(data, model.hiddenBias !== null, c);
  const { weights, points } = part;
  const modelBias = model.outputBias ? Array.from(model.outputBias) : new Array<number>(c).fill(0);
  const atModelBias = weightedDistanceSum(points, weights, c, modelBias) / n;
  if (!model.outputBias) return { certified: atModelBias, center: modelBias, atModelBias };
  if (!part.minimum) {
    const minimum = minimizeWeightedDistanceSum(points, weights, c);
    part.minimum = { value: minimum.value, center: Array.from(minimum.center) };
  }
  return { certified: part.minimum.value / n, center: [...part.minimum.center], atModelBias };
}
