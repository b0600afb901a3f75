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

/**
 * Thresholds on F_sym / F_found (the model against the flattest interpolator the search found on
 * the same data). Under label noise every interpolator, the flattest included, sits well above
 * F_LB, so this ratio is the one the prediction's verdict uses when a search ran.
 */
export const FOUND_RATIO_THRESHOLDS = { flat: 2, sharp: 5 } as const;

export interface PredictionVerdictInput {
  ratio: number;
  ratioToFound: number | null;
  interpolation: ReportInterpolation;
  testLoss: number;
  interval: [number, number];
  extrapolated: boolean;
}

export function predictionLevel(ratio: number, ratioToFound: number | null): ReportVerdict['level'] {
  const [value, thresholds] = ratioToFound !== null ? [ratioToFound, FOUND_RATIO_THRESHOLDS] : [ratio, RATIO_THRESHOLDS];
  return value <= thresholds.flat ? 'flat' : value <= thresholds.sharp ? 'in-between' : 'sharp';
}

/** The prediction's verdict: the level from the ratio to the flattest found, citing the predicted loss. */
export function buildPredictionVerdict(input: PredictionVerdictInput): ReportVerdict {
  const { ratio, ratioToFound, interpolation, testLoss, interval } = input;
  const loss = `predicted test loss ${testLoss.toPrecision(3)} (80% interval ${interval[0].toPrecision(3)} to ${interval[1].toPrecision(3)}${input.extrapolated ? ', extrapolated' : ''})`;
  const against = ratioToFound !== null
    ? `F_sym is ${ratioToFound.toPrecision(3)} times the flattest interpolator found on this data and R = ${ratio.toPrecision(3)} times the certified minimum`
    : `R = ${ratio.toPrecision(3)} times the certified minimum (no flattest interpolator was found)`;
  if (!interpolation.interpolates) {
    return { level: 'not-applicable', headline: 'Does not interpolate', explanation: `The theory is stated for interpolators and this model does not fit its training data (${interpolation.criterion}); ${against}, ${loss} for reference only.` };
  }
  const level = predictionLevel(ratio, ratioToFound);
  const thresholds = ratioToFound !== null ? FOUND_RATIO_THRESHOLDS : RATIO_THRESHOLDS;
  switch (level) {
    case 'flat':
      return { level, headline: 'Flattest order', explanation: `${against} (within ${thresholds.flat}x): ${loss}. Flattest interpolators of multi-index data generalize.` };
    case 'in-between':
      return { level, headline: 'In between', explanation: `${against} (between ${thresholds.flat}x and ${thresholds.sharp}x): ${loss}.` };
    default:
      return { level, headline: 'Far from the flattest', explanation: `${against} (more than ${thresholds.sharp}x), where interpolators that memorize sit: ${loss}. No rescaling makes it flatter.` };
  }
}
