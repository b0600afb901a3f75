import type { StreamedDataset } from '../data/types';
import { SCAN_CHUNK_ROWS, dataChunks } from '../data/rows';
import type { TwoLayerModel } from '../model/types';
import type { TargetTerm } from './targetTerm';

/**
 * The data part of the certified bound for one output over a streamed data set, in memory that does
 * not grow with n. The weighted median of the float32 targets (weights ||u_i||) is found by two
 * passes of 65 536-bucket histograms over the targets' order-preserving 32-bit keys (high 16 bits,
 * then the low 16 bits within the bucket that crosses half the weight); a last pass sums
 * S(c) = sum_i w_i |y_i - c| in row order at the median and at the model's c0, as the in-memory
 * weightedDistanceSum does.
 */
const BUCKETS = 1 << 16;

/** Sorts like the float32 value: sign bit flipped for positives, every bit for negatives. */
function orderKey(bits: number): number {
  return (bits & 0x80000000) !== 0 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

function valueOfKey(key: number): number {
  const bits = (key & 0x80000000) !== 0 ? (key & 0x7fffffff) >>> 0 : ~key >>> 0;
  return new Float32Array(Uint32Array.of(bits).buffer)[0]!;
}

/** Certified minima per data set and architecture (hidden bias or not): shared by the checkpoints of a run. */
const minima = new WeakMap<StreamedDataset, Map<boolean, { value: number; center: number }>>();

async function forEachWeighted(
  data: StreamedDataset, hiddenBias: boolean,
  visit: (weight: number, target: number, targetBits: number) => void,
): Promise<void> {
  const d = data.d;
  for await (const chunk of dataChunks(data, SCAN_CHUNK_ROWS)) {
    const bits = new Uint32Array(chunk.targets.buffer, chunk.targets.byteOffset, chunk.rows);
    for (let r = 0; r < chunk.rows; r++) {
      let squared = hiddenBias ? 1 : 0;
      for (let l = 0; l < d; l++) squared += chunk.inputs[r * d + l]! ** 2;
      visit(Math.sqrt(squared), chunk.targets[r]!, bits[r]!);
    }
  }
}

/** The first key, in order, at which the cumulative weight reaches half the total. */
function crossing(weights: Float64Array, counts: Uint32Array, before: number, total: number): { index: number; before: number } {
  let cumulative = before;
  let last = -1;
  for (let index = 0; index < BUCKETS; index++) {
    if (counts[index] === 0) continue;
    last = index;
    const next = cumulative + weights[index]!;
    if (2 * next >= total) return { index, before: cumulative };
    cumulative = next;
  }
  return { index: last, before: cumulative - weights[last]! };
}

async function weightedMedian(data: StreamedDataset, hiddenBias: boolean): Promise<number> {
  const high = new Float64Array(BUCKETS);
  const highCounts = new Uint32Array(BUCKETS);
  let total = 0;
  await forEachWeighted(data, hiddenBias, (weight, _target, bits) => {
    const key = orderKey(bits) >>> 16;
    high[key] = high[key]! + weight;
    highCounts[key] = highCounts[key]! + 1;
    total += weight;
  });
  const bucket = crossing(high, highCounts, 0, total);
  const low = new Float64Array(BUCKETS);
  const lowCounts = new Uint32Array(BUCKETS);
  await forEachWeighted(data, hiddenBias, (weight, _target, bits) => {
    const key = orderKey(bits);
    if (key >>> 16 !== bucket.index) return;
    const index = key & 0xffff;
    low[index] = low[index]! + weight;
    lowCounts[index] = lowCounts[index]! + 1;
  });
  const within = crossing(low, lowCounts, bucket.before, total);
  return valueOfKey(((bucket.index << 16) | within.index) >>> 0);
}

export async function streamedScalarTargetTerm(model: TwoLayerModel, data: StreamedDataset): Promise<TargetTerm> {
  const hiddenBias = model.hiddenBias !== null;
  const modelBias = model.outputBias ? model.outputBias[0]! : 0;
  let known = minima.get(data);
  if (!known) minima.set(data, (known = new Map()));
  let minimum = known.get(hiddenBias);
  const median = model.outputBias && !minimum ? await weightedMedian(data, hiddenBias) : (minimum?.center ?? 0);
  let atMedian = 0;
  let atModel = 0;
  await forEachWeighted(data, hiddenBias, (weight, target) => {
    atModel += weight * Math.abs(target - modelBias);
    atMedian += weight * Math.abs(target - median);
  });
  const n = data.n;
  if (!model.outputBias) return { certified: atModel / n, center: [modelBias], atModelBias: atModel / n };
  if (!minimum) {
    minimum = { value: atMedian, center: median };
    known.set(hiddenBias, minimum);
  }
  return { certified: minimum.value / n, center: [minimum.center], atModelBias: atModel / n };
}
