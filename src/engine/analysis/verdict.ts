import type { ReportFlatness, ReportInterpolation, ReportVerdict } from '../../shared/report';

/**
 * Ratio thresholds between "flattest order", "in between" and "far from the flattest".
 * FLATNESS.md's check run: generalizing interpolators at R ~ 1.3, standard initialisation 9.4,
 * random features 13, poisoned 38-49. The generalization-prediction analysis may refine these.
 */
export const RATIO_THRESHOLDS = { flat: 2, sharp: 5 } as const;

export function buildVerdict(flatness: ReportFlatness, interpolation: ReportInterpolation): ReportVerdict {
  const ratio = flatness.ratio.value;
  if (ratio === null) {
    return {
      level: 'not-applicable',
      headline: 'No flatness ratio',
      explanation: `The flatness ratio is not defined here: ${flatness.ratio.reason ?? 'unknown reason'}. The exact trace is still reported.`,
    };
  }
  if (!interpolation.interpolates) {
    return {
      level: 'not-applicable',
      headline: `Does not interpolate (ratio ${ratio.toPrecision(3)})`,
      explanation: `The flatness-generalization link is stated for interpolators, and this model does not fit its training data (${interpolation.criterion}). The ratio R = ${ratio.toPrecision(3)} is shown for reference only.`,
    };
  }
  const normalized = flatness.normalized.value!;
  const bound = flatness.lowerBound.value!;
  const numbers = `normalized flatness ${normalized.toPrecision(4)} against a certified minimum of ${bound.toPrecision(4)} for any interpolator of this data (R = ${ratio.toPrecision(3)})`;
  if (ratio <= RATIO_THRESHOLDS.flat) {
    return { level: 'flat', headline: `Flattest order: R = ${ratio.toPrecision(3)}`, explanation: `Within a factor ${RATIO_THRESHOLDS.flat} of the flattest any interpolator can be: ${numbers}. Flattest interpolators of multi-index data generalize.` };
  }
  if (ratio <= RATIO_THRESHOLDS.sharp) {
    return { level: 'in-between', headline: `In between: R = ${ratio.toPrecision(3)}`, explanation: `Flatter than typical memorizing interpolators but not of the flattest order: ${numbers}.` };
  }
  return { level: 'sharp', headline: `Far from the flattest: R = ${ratio.toPrecision(3)}`, explanation: `More than ${RATIO_THRESHOLDS.sharp} times the certified minimum, where interpolators that memorize sit: ${numbers}. No rescaling of this network makes it flatter.` };
}
