import type { ReportCanonical } from '../../shared/report';
import type { AnalysisSection, SectionInput } from '../analysis/sections';
import type { TwoLayerModel } from '../model/types';
import type { CurvatureSums } from '../analysis/curvatureSums';
import { canonicalRescaling, rescaleNeurons, rescaledTrace } from './canonical';
import { computeLandscape, type LandscapeOptions } from './landscape';
import { LossOperator } from './lossOperator';
import { materialize, needsMemoryNote } from '../data/rows';
import { computeSharpness, type SharpnessOptions } from './sharpness';
import { optionalRowBudget, rowSubsample } from './inMemoryRows';
import { type SpectrumOptions, type SpectrumView, computeSpectra } from './spectrum';

/** Seed of the row subsample of the sharpness and landscape passes. */
const SUBSAMPLE_SEED = 20261130;

/** Tuning of the curvature analyses; the defaults are the (k = 5, 51 points, 31 x 31, ...). */
export interface CurvatureSettings {
  spectrum: SpectrumOptions;
  sharpness: SharpnessOptions;
  landscape: LandscapeOptions;
}

export const curvatureSettings: CurvatureSettings = { spectrum: {}, sharpness: {}, landscape: {} };

/** Overrides the tuning for later runs (benchmarks, a future CLI option). */
export function setCurvatureSettings(settings: Partial<CurvatureSettings>): void {
  Object.assign(curvatureSettings, settings);
}

/**
 * Spectrum, adaptive sharpness and loss landscape, at the model's parameters and at its
 * canonical rescaling. The canonical Hessian is T^-1 H T^-1 for the diagonal rescaling T, so
 * both spectra come from one set of cached per-sample quantities and one batched Lanczos.
 */
export async function runCurvatureSection(input: SectionInput): Promise<void> {
  const { model, data, loss, report, switches, context } = input;
  const chunkRows = report.backend.chunkRows;
  const canonical = canonicalRescaling(model, report.flatness);
  const canonicalModel = canonical.available ? rescaleNeurons(model, canonical.scales, canonical.degree) : null;
  const canonicalReport: ReportCanonical = canonical.available
    ? { available: true, scales: Array.from(canonical.scales), unscaledNeurons: canonical.unscaledNeurons }
    : { available: false, reason: canonical.reason };

  // A file rescaled far from its balanced form (say 1e19 per neuron) has raw Hessian entries beyond
  // float32: then only the canonical analyses run, from the canonical parameters.
  const rawOverflow = canonicalModel ? rawFloat32Overflow(model, input.sums) : null;
  if (rawOverflow) {
    report.warnings.push(`${rawOverflow}: the raw Hessian is beyond float32 range, so the spectrum, sharpness and landscape are reported at the canonical rescaling only (report.canonical).`);
  }
  let topVectors: Array<Float64Array | null> = [null, null];
  if ((switches.spectrum || switches.landscape) && rawOverflow && canonicalModel) {
    const started = performance.now();
    const operator = await LossOperator.prepare(canonicalModel, data, loss, { chunkRows }, context);
    try {
      const options: SpectrumOptions = switches.spectrum
        ? curvatureSettings.spectrum
        : { ...curvatureSettings.spectrum, topK: 1, bottomK: 0, probes: 1 };
      const view: SpectrumView = { scaling: null };
      if (canonical.available) view.exactTrace = rescaledTrace(input.sums, canonical.scales, canonical.degree);
      const [result] = await computeSpectra(operator, [view], options, context);
      topVectors = [null, result!.topVector];
      if (switches.spectrum) canonicalReport.spectrum = result!.report;
    } finally {
      operator.dispose();
    }
    report.timings.spectrumMs = performance.now() - started;
  } else if (switches.spectrum || switches.landscape) {
    const started = performance.now();
    const operator = await LossOperator.prepare(model, data, loss, { chunkRows }, context);
    try {
      const views: SpectrumView[] = [{ scaling: null, exactTrace: report.flatness.trace }];
      if (canonical.available) {
        views.push({
          scaling: canonical.parameterScales.map((t) => 1 / t),
          exactTrace: rescaledTrace(input.sums, canonical.scales, canonical.degree),
        });
      }
      // The landscape alone needs only the top eigenvector: a short run without the density.
      const options: SpectrumOptions = switches.spectrum
        ? curvatureSettings.spectrum
        : { ...curvatureSettings.spectrum, topK: 1, bottomK: 0, probes: 1 };
      const results = await computeSpectra(operator, views, options, context);
      topVectors = [results[0]!.topVector, results[1]?.topVector ?? null];
      if (switches.spectrum) {
        report.spectrum = results[0]!.report;
        if (results[1]) canonicalReport.spectrum = results[1].report;
      }
    } finally {
      operator.dispose();
    }
    report.timings.spectrumMs = performance.now() - started;
  }
  // Sharpness and landscapes make many passes over the data with random access: in memory only.
  const materialized = switches.sharpness || switches.landscape ? await materialize(data) : null;
  if (materialized === null && (switches.sharpness || switches.landscape)) {
    report.warnings.push(needsMemoryNote('Adaptive sharpness and the loss landscape', data));
  }
  // Each makes tens of passes: above a work budget per pass they use a seeded subsample of rows.
  const rowBudget = optionalRowBudget(model);
  const inMemory = materialized ? rowSubsample(materialized, rowBudget, SUBSAMPLE_SEED) : null;
  if (materialized && inMemory && inMemory.n < materialized.n) {
    report.warnings.push(`Adaptive sharpness and the loss landscape were computed on a seeded subsample of ${inMemory.n} of the ${materialized.n} training rows (their passes cost rows x ${model.hiddenDim} x ${Math.max(model.inputDim, model.outputDim)} multiply-adds each, kept near 5e8); the trace, flatness and spectrum use every row.`);
  }
  if (switches.sharpness && inMemory) {
    const started = performance.now();
    context?.onProgress?.('sharpness', 0);
    const options = { chunkRows, ...curvatureSettings.sharpness };
    if (!rawOverflow) report.sharpness = await computeSharpness(model, inMemory, loss, options, context);
    // Adaptive and average sharpness are invariant under the rescaling (the ball is scaled by |theta|
    // elementwise; test/curvature/adaptiveSharpness.test.ts checks it), so the canonical figures are
    // the raw ones: computed once.
    if (canonicalModel) canonicalReport.sharpness = report.sharpness ?? await computeSharpness(canonicalModel, inMemory, loss, options, context);
    report.timings.sharpnessMs = performance.now() - started;
  }
  if (switches.landscape && inMemory) {
    const started = performance.now();
    context?.onProgress?.('landscape', 0);
    const options = { chunkRows, ...curvatureSettings.landscape };
    if (!rawOverflow) report.landscape = await computeLandscape(model, inMemory, loss, topVectors[0] ?? null, options, context);
    if (canonicalModel) {
      if (!rawOverflow) context?.onProgress?.('landscape', 0.5);
      // The random curve and the surface do not change under the rescaling: taken from the raw landscape.
      canonicalReport.landscape = await computeLandscape(canonicalModel, inMemory, loss, topVectors[1] ?? null, { ...options, rescalingOf: report.landscape }, context);
    }
    report.timings.landscapeMs = performance.now() - started;
  }
  report.canonical = canonicalReport;
}

/**
 * Why float32 work at the raw parameters would overflow, or null: a parameter above 1e12 in
 * magnitude or a raw trace term above 1e30 (the balanced terms are ordinary numbers).
 */
export function rawFloat32Overflow(model: TwoLayerModel, sums: CurvatureSums): string | null {
  let largest = 0;
  for (const values of [model.hiddenWeights, model.hiddenBias, model.outputWeights, model.outputBias]) {
    if (values) for (const value of values) largest = Math.max(largest, Math.abs(value));
  }
  if (largest > 1e12) return `a raw parameter has magnitude ${largest.toExponential(2)}`;
  for (let j = 0; j < sums.neuronA.length; j++) {
    const term = Math.max(Math.abs(sums.neuronA[j]!), Math.abs(sums.neuronB[j]!), Math.abs(sums.neuronC[j]!));
    if (!(term <= 1e30)) return `neuron ${j}'s raw trace terms reach ${term.toExponential(2)}`;
  }
  return null;
}

export const CURVATURE_SECTION: AnalysisSection = {
  name: 'curvature',
  enabled: (switches) => Boolean(switches.spectrum || switches.sharpness || switches.landscape),
  run: runCurvatureSection,
};
