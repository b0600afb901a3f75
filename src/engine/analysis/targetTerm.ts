import type { AnyDataset, Dataset } from '../data/types';
import { SCAN_CHUNK_ROWS, dataChunks, isStreamed } from '../data/rows';
import type { TwoLayerModel } from '../model/types';
import { minimizeWeightedDistanceSum, weightedDistanceSum } from '../math/weightedMedian';
import { streamedScalarTargetTerm } from './streamedTargetTerm';

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
const dataParts = new WeakMap<AnyDataset, Map<string, DataPart>>();

function cachedPart(data: AnyDataset, key: string): { parts: Map<string, DataPart>; part: DataPart | undefined } {
  let parts = dataParts.get(data);
  if (!parts) dataParts.set(data, (parts = new Map()));
  return { parts, part: parts.get(key) };
}

/** Adds rows [start, start + rows) (their inputs and targets) to the weights and points. */
function fillPart(part: DataPart, inputs: Float32Array, targets: Float32Array, start: number, rows: number, d: number, c: number, hiddenBias: boolean): void {
  for (let r = 0; r < rows; r++) {
    let squared = hiddenBias ? 1 : 0;
    for (let l = 0; l < d; l++) squared += inputs[r * d + l]! ** 2;
    part.weights[start + r] = Math.sqrt(squared);
    for (let o = 0; o < c; o++) part.points[(start + r) * c + o] = targets[r * c + o]!;
  }
}

function dataPart(data: Dataset, hiddenBias: boolean, c: number): DataPart {
  const key = `${hiddenBias ? 1 : 0}:${c}`;
  const { parts, part: cached } = cachedPart(data, key);
  if (cached) return cached;
  const part = { weights: new Float64Array(data.n), points: new Float64Array(data.n * c) };
  fillPart(part, data.inputs, data.targets, 0, data.n, data.d, c, hiddenBias);
  parts.set(key, part);
  return part;
}

/**
 * computeTargetTerm for either kind of data set. A streamed set with one output is read again in
 * passes that keep nothing per row (streamedTargetTerm.ts); with several outputs the weights and
 * targets are kept, (1 + c) float64 per row, since the geometric median iterates over them all.
 */
export async function computeTargetTermOf(model: TwoLayerModel, data: AnyDataset): Promise<TargetTerm> {
  if (!isStreamed(data)) return computeTargetTerm(model, data);
  const c = model.outputDim;
  if (c === 1) return streamedScalarTargetTerm(model, data);
  const hiddenBias = model.hiddenBias !== null;
  const key = `${hiddenBias ? 1 : 0}:${c}`;
  const { parts, part: cached } = cachedPart(data, key);
  let part = cached;
  if (!part) {
    part = { weights: new Float64Array(data.n), points: new Float64Array(data.n * c) };
    for await (const chunk of dataChunks(data, SCAN_CHUNK_ROWS)) {
      fillPart(part, chunk.inputs, chunk.targets, chunk.start, chunk.rows, data.d, c, hiddenBias);
    }
    parts.set(key, part);
  }
  return targetTermFrom(model, data.n, part);
}

export function computeTargetTerm(model: TwoLayerModel, data: Dataset): TargetTerm {
  return targetTermFrom(model, data.n, dataPart(data, model.hiddenBias !== null, model.outputDim));
}

function targetTermFrom(model: TwoLayerModel, n: number, part: DataPart): TargetTerm {
  const c = model.outputDim;
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
