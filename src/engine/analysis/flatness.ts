import type { MaybeNumber, NeuronRow, OrbitPoint, ReportFlatness } from '../../shared/report';
import type { TwoLayerModel } from '../model/types';
import { makeActivation } from '../math/activations';
import type { LossSpec } from '../math/losses';
import type { CurvatureSums } from './curvatureSums';

export const ORBIT_POINTS = 81;
export const ORBIT_RANGE: readonly [number, number] = [1e-2, 1e2];

/** min over t > 0 of A t^{2k} + D t^{-2}, with the minimiser; FLATNESS.md section 3. */
export function orbitMinimum(a: number, d: number, k: number): { value: number; scale: number | null } {
  if (a === 0 || d === 0) return { value: 0, scale: null };
  const value = (k + 1) * Math.pow(k, -k / (k + 1)) * Math.pow(a, 1 / (k + 1)) * Math.pow(d, k / (k + 1));
  return { value, scale: Math.pow(d / (k * a), 1 / (2 * k + 2)) };
}

/** Raw trace after rescaling every neuron by the same t: sum_j A_j t^{2k} + D_j t^{-2} + C0. */
export function traceAlongOrbit(sums: CurvatureSums, k: number, t: number): number {
  let total = sums.outputBiasTerm;
  const tHigh = Math.pow(t, 2 * k);
  const tLow = 1 / (t * t);
  for (let j = 0; j < sums.neuronA.length; j++) {
    total += sums.neuronA[j]! * tHigh + (sums.neuronB[j]! + sums.neuronC[j]!) * tLow;
  }
  return total;
}

function pathNormOf(model: TwoLayerModel, j: number, k: number): number {
  const { inputDim: d, outputDim: c, hiddenDim: m } = model;
  let outputNorm = 0;
  for (let o = 0; o < c; o++) outputNorm += model.outputWeights[o * m + j]! ** 2;
  let inputNorm = model.hiddenBias ? model.hiddenBias[j]! ** 2 : 0;
  for (let l = 0; l < d; l++) inputNorm += model.hiddenWeights[j * d + l]! ** 2;
  return Math.sqrt(outputNorm) * Math.pow(Math.sqrt(inputNorm), k);
}

/**
 * Slope of the activation that the certified bound needs: |sigma(z) sigma'(z)| >= alpha |sigma(z)|.
 * Null where FLATNESS.md section 4 certifies nothing.
 */
function certifiedSlope(model: TwoLayerModel): { slope: number | null; reason?: string } {
  switch (model.activation.name) {
    case 'relu': case 'abs': case 'linear': return { slope: 1 };
    case 'leaky_relu': return { slope: model.activation.slope ?? 0.01 };
    default: {
      const k = makeActivation(model.activation).homogeneityDegree;
      return {
        slope: null,
        reason: k === null
          ? `${model.activation.name} is not positively homogeneous: no rescaling symmetry and no certified bound`
          : `no certified bound is derived for degree k = ${k} (only k = 1 activations)`,
      };
    }
  }
}

export function buildFlatnessSection(model: TwoLayerModel, loss: LossSpec, sums: CurvatureSums): ReportFlatness {
  const activation = makeActivation(model.activation);
  const k = activation.homogeneityDegree;
  const m = model.hiddenDim;
  const c = model.outputDim;
  const parts = { a: 0, b: 0, c: 0, outputBias: sums.outputBiasTerm };
  const perNeuron: NeuronRow[] = [];
  let normalizedTotal = sums.outputBiasTerm;
  let pathNormTotal = 0;
  let atMinimum = true;
  for (let j = 0; j < m; j++) {
    const a = sums.neuronA[j]!;
    const b = sums.neuronB[j]!;
    const curvature = sums.neuronC[j]!;
    parts.a += a;
    parts.b += b;
    parts.c += curvature;
    const row: NeuronRow = {
      index: j, a, b, c: curvature, normalized: null, optimalScale: null,
      activeSamples: sums.activeSamples[j]!, pathNorm: null, status: 'not-homogeneous',
    };
    if (k !== null) {
      const d = b + curvature;
      row.pathNorm = pathNormOf(model, j, k);
      pathNormTotal += row.pathNorm;
      // D < 0 only off a minimum: the orbit infimum is -infinity. Allow rounding-level negatives.
      if (d < -1e-12 * (Math.abs(b) + Math.abs(curvature) + 1e-300)) {
        row.status = 'not-at-minimum';
        atMinimum = false;
      } else {
        const minimum = orbitMinimum(a, Math.max(d, 0), k);
        row.normalized = minimum.value;
        row.optimalScale = minimum.scale;
        row.status = a === 0 && d <= 0 ? 'dead' : 'ok';
        normalizedTotal += minimum.value;
      }
    }
    perNeuron.push(row);
  }
  const trace = parts.a + parts.b + parts.c + parts.outputBias;

  const notHomogeneous = `${activation.label} is not positively homogeneous: the rescaling symmetry does not exist, so symmetry-normalized quantities are not defined`;
  const normalized: MaybeNumber = k === null
    ? { value: null, reason: notHomogeneous }
    : atMinimum
      ? { value: normalizedTotal }
      : { value: null, reason: 'some neurons have B_j + C_j < 0 (negative curvature along their orbit): not at a minimum, the orbit infimum is -infinity' };

  const lossFactor = Math.sqrt(loss.squaredErrorScale * loss.squaredErrorScale * c); // sqrt(lambda tr Lambda)
  const slope = certifiedSlope(model);
  let lowerBound: MaybeNumber;
  let lowerBoundAtModel: MaybeNumber;
  if (loss.kind === 'ce') {
    const reason = 'no certified bound is derived for softmax cross-entropy (FLATNESS.md section 4 covers squared error)';
    lowerBound = { value: null, reason };
    lowerBoundAtModel = { value: null, reason };
  } else if (slope.slope === null) {
    lowerBound = { value: null, reason: slope.reason! };
    lowerBoundAtModel = { value: null, reason: slope.reason! };
  } else {
    const factor = 2 * slope.slope * lossFactor;
    lowerBound = { value: factor * sums.meanWeightedTargetNorm + sums.outputBiasTerm };
    lowerBoundAtModel = { value: factor * sums.meanWeightedOutputNorm + sums.outputBiasTerm };
  }
  let ratio: MaybeNumber;
  if (normalized.value === null) ratio = { value: null, reason: normalized.reason! };
  else if (lowerBound.value === null) ratio = { value: null, reason: lowerBound.reason! };
  else if (lowerBound.value <= 0) ratio = { value: null, reason: 'the lower bound is 0 (all targets equal the output bias)' };
  else ratio = { value: normalized.value / lowerBound.value };

  const orbit: OrbitPoint[] = [];
  if (k !== null) {
    const [low, high] = ORBIT_RANGE;
    for (let p = 0; p < ORBIT_POINTS; p++) {
      const t = Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * (p / (ORBIT_POINTS - 1)));
      orbit.push({ t, trace: traceAlongOrbit(sums, k, t) });
    }
  }
  return {
    trace,
    parts,
    normalized,
    invariantDiagonal: k === null
      ? { value: sums.invariantDiagonal, reason: 'computed, but invariant only for homogeneous activations' }
      : sums.invariantDiagonal === null ? { value: null, reason: 'not computed' } : { value: sums.invariantDiagonal },
    pathNorm: k === null ? { value: null, reason: notHomogeneous } : { value: pathNormTotal },
    lowerBound,
    lowerBoundAtModel,
    ratio,
    perNeuron,
    orbit,
    atMinimum,
  };
}
