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

export function computeTargetTerm(model: TwoLayerModel, data: Dataset): TargetTerm {
  const { n, d } = data;
  const c = model.outputDim;
  const weights = new Float64Array(n);
  const points = new Float64Array(n * c);
  for (let i = 0; i < n; i++) {
    let squared = model.hiddenBias ? 1 : 0;
    for (let l = 0; l < d; l++) squared += data.inputs[i * d + l]! ** 2;
    weights[i] = Math.sqrt(squared);
    for (let o = 0; o < c; o++) points[i * c + o] = data.targets[i * c + o]!;
  }
  const modelBias = model.outputBias ? Array.from(model.outputBias) : new Array<number>(c).fill(0);
  const atModelBias = weightedDistanceSum(points, weights, c, modelBias) / n;
  if (!model.outputBias) return { certified: atModelBias, center: modelBias, atModelBias };
  const minimum = minimizeWeightedDistanceSum(points, weights, c);
  return { certified: minimum.value / n, center: Array.from(minimum.center), atModelBias };
}
