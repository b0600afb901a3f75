import type { ReportSpectrum } from '../../shared/report';
import type { ComputeContext } from '../compute/context';
import type { LossOperator } from './lossOperator';
import { type LanczosRun, type SymmetricOperator, lanczos, ritzPairs } from './lanczos';
import { SeededRandom } from '../math/random';
import { spectralDensity } from './slq';
import { smallestEigenpairs } from './bottomEigen';

export interface SpectrumOptions {
  /** Eigenvalues wanted at each end. */
  topK?: number;
  bottomK?: number;
  /** Relative residual tolerance ||H v - lambda v|| <= tolerance * max |lambda|. */
  tolerance?: number;
  /** Step cap of the eigenvalue run. */
  maxSteps?: number;
  /** Probes of the spectral density (the eigenvalue run is the first) and steps per extra probe. */
  probes?: number;
  densitySteps?: number;
  /** Grid points of the smoothed density. */
  gridPoints?: number;
  seed?: number;
}

/** Memory for the Lanczos bases of all runs together (full reorthogonalization keeps every vector). */
export const LANCZOS_BASIS_BUDGET_BYTES = 1024 * 1024 * 1024;

export const SPECTRUM_DEFAULTS = {
  topK: 5, bottomK: 5, tolerance: 1e-3, maxSteps: 40, probes: 1, densitySteps: 30, gridPoints: 201, seed: 1,
} as const;

/**
 * The Hessian seen in some coordinates: raw parameters (scaling null) or a diagonal
 * reparametrization theta' = T theta, whose Hessian is T^-1 H T^-1 (scaling = 1 / T).
 */
export interface SpectrumView {
  scaling: Float64Array | null;
  /** The exact trace at this point, when the caller knows it (reported next to the estimate). */
  exactTrace?: number;
}

export interface SpectrumResult {
  report: ReportSpectrum;
  /** Unit eigenvector of the largest eigenvalue, in the view's coordinates. */
  topVector: Float64Array;
}

function scaled(vector: Float64Array, scaling: Float64Array | null): Float64Array {
  if (!scaling) return vector;
  const result = new Float64Array(vector.length);
  for (let p = 0; p < vector.length; p++) result[p] = vector[p]! * scaling[p]!;
  return result;
}

/**
 * Top and bottom eigenvalues by Lanczos (full reorthogonalization) and the spectral density by
 * stochastic Lanczos quadrature, for each view, with every Lanczos process of every view
 * advancing in lockstep so that a step is one batched pass over the data.
 */
export async function computeSpectra(
  operator: LossOperator,
  views: SpectrumView[],
  options: SpectrumOptions = {},
  context?: ComputeContext,
): Promise<SpectrumResult[]> {
  const settings = { ...SPECTRUM_DEFAULTS, ...options };
  const size = operator.layout.size;
  const probes = Math.max(1, settings.probes);
  const random = new SeededRandom(settings.seed);
  // Run r belongs to view floor(r / probes); the first run of each view is its eigenvalue run.
  const viewOf = (run: number): number => Math.floor(run / probes);
  const starts: Float64Array[] = [];
  for (let v = 0; v < views.length; v++) for (let p = 0; p < probes; p++) starts.push(random.normals(size));
  const productsPerView = new Array<number>(views.length).fill(0);

  const symmetric: SymmetricOperator = {
    size,
    async apply(vectors, runs, applyContext) {
      const inputs = vectors.map((vector, i) => scaled(vector, views[viewOf(runs[i]!)]!.scaling));
      const outputs = await operator.hessianVectorProducts(inputs, applyContext);
      runs.forEach((run) => { productsPerView[viewOf(run)]!++; });
      return outputs.map((output, i) => scaled(output, views[viewOf(runs[i]!)]!.scaling));
    },
  };
  const wanted = settings.topK + settings.bottomK;
  // Full reorthogonalization stores every basis vector: cap the steps so the bases fit the budget.
  const affordableSteps = Math.floor(LANCZOS_BASIS_BUDGET_BYTES / (8 * size * starts.length));
  const stepCap = Math.max(Math.min(size, wanted + 2), Math.min(settings.maxSteps, affordableSteps));
  const densityCap = Math.max(2, Math.min(settings.densitySteps, affordableSteps));
  const converged = (run: LanczosRun): boolean => {
    const pairs = ritzPairs(run);
    const count = pairs.values.length;
    if (count < Math.min(size, wanted + 2)) return false;
    const scale = Math.max(Math.abs(pairs.values[0]!), Math.abs(pairs.values[count - 1]!));
    for (let k = 0; k < Math.min(settings.topK, count); k++) {
      if (pairs.residuals[count - 1 - k]! > settings.tolerance * scale) return false;
    }
    return true;
  };
  const runs = await lanczos(symmetric, starts, {
    maxSteps: Math.max(stepCap, densityCap),
    context,
    shouldStop: (index, run) => {
      const steps = run.alphas.length;
      if (index % probes !== 0) return steps >= densityCap;
      if (steps >= stepCap) return true;
      // The check costs an eigen-decomposition of a small tridiagonal matrix, nothing next to a
      // Hessian-vector product: every step is checked so no product is spent past convergence.
      return steps >= wanted + 2 && converged(run);
    },
  });

  // The bottom of the spectrum by deflated restarts with a verification run (bottomEigen.ts): one
  // Krylov space holds one copy of a repeated eigenvalue and cannot certify the smallest ones.
  const viewOperator: SymmetricOperator = {
    size,
    async apply(vectors, viewIndices, applyContext) {
      const inputs = vectors.map((vector, i) => scaled(vector, views[viewIndices[i]!]!.scaling));
      const outputs = await operator.hessianVectorProducts(inputs, applyContext);
      return outputs.map((output, i) => scaled(output, views[viewIndices[i]!]!.scaling));
    },
  };
  const spectralScales = views.map((_, v) => {
    const values = ritzPairs(runs[v * probes]!).values;
    return Math.max(Math.abs(values[0]!), Math.abs(values[values.length - 1]!), 1e-300);
  });
  const bottoms = settings.bottomK > 0
    ? await smallestEigenpairs(viewOperator, views.length, {
      k: settings.bottomK, tolerance: settings.tolerance, scales: spectralScales, maxSteps: stepCap, random, context,
      initial: views.map((_, v) => runs[v * probes]!),
    })
    : null;

  return views.map((_, v) => {
    const viewRuns = runs.slice(v * probes, (v + 1) * probes);
    const main = viewRuns[0]!;
    const pairs = ritzPairs(main);
    const count = pairs.values.length;
    const scale = Math.max(Math.abs(pairs.values[0]!), Math.abs(pairs.values[count - 1]!));
    const isConverged = (residual: number): boolean => main.exhausted || residual <= settings.tolerance * scale;
    const topIndices = Array.from({ length: Math.min(settings.topK, count) }, (_, k) => count - 1 - k);
    const bottom = bottoms?.[v] ?? null;
    const notes: string[] = bottom ? [...bottom.notes] : [];
    if (!main.exhausted && !converged(main)) {
      notes.push(`the eigenvalue run stopped at ${count} Lanczos steps before every requested eigenvalue met the tolerance: see the residuals`);
    }
    if (stepCap < settings.maxSteps && stepCap < size) {
      notes.push(`the Lanczos steps were capped at ${stepCap} (instead of ${settings.maxSteps}) so that the reorthogonalization bases fit in ${LANCZOS_BASIS_BUDGET_BYTES / 2 ** 20} MiB`);
    }
    if (main.exhausted) notes.push(`the Krylov space was exhausted after ${count} steps: the Ritz values are exact eigenvalues of the operator restricted to it`);
    const report: ReportSpectrum = {
      parameters: size,
      top: topIndices.map((k) => pairs.values[k]!),
      bottom: bottom ? bottom.values : [],
      topResiduals: topIndices.map((k) => pairs.residuals[k]!),
      bottomResiduals: bottom ? bottom.residuals : [],
      topConverged: topIndices.map((k) => isConverged(pairs.residuals[k]!)),
      bottomConverged: bottom ? bottom.converged : [],
      tolerance: settings.tolerance,
      lanczosSteps: count,
      hessianVectorProducts: productsPerView[v]! + (bottom?.products ?? 0),
      exactTrace: views[v]!.exactTrace ?? null,
      density: spectralDensity(viewRuns, size, settings.gridPoints, Math.max(...viewRuns.map((run) => run.alphas.length))),
      notes,
    };
    return { report, topVector: pairs.vector(count - 1) };
  });
}
