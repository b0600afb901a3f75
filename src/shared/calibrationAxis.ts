import { formatNumber } from './format';
import type { ReportCalibration } from './report';

/**
 * The horizontal axis of a calibration chart: the predictor's own input. When the fitted model is
 * log(L + floor) = a + b log(rho + D) (c = 0), the references and the model sit at rho + D, their
 * distance from the flattest interpolators found, and the fit is one curve; otherwise (no
 * flattest interpolator, or a ratio term) at the ratio R, with the fit at each reference point.
 * Shared by the webview and the HTML export so both draw what the prediction reads.
 */
export interface CalibrationAxis {
  kind: 'distance' | 'ratio';
  title: string;
  /** Short name of the coordinate for tooltips and labels. */
  symbol: string;
  /** Where a point with this ratio and disagreement sits on the log axis (null: not on it). */
  position(ratio: number | null, disagreement: number | null): number | null;
  /** The fitted predictor over [low, high] (distance axis) or at the reference points (ratio axis). */
  curve(low: number, high: number): { x: number; loss: number }[];
}

const CURVE_POINTS = 48;

const onLogAxis = (x: number): number | null => (Number.isFinite(x) && x > 0 ? x : null);

export function calibrationAxis(calibration: ReportCalibration): CalibrationAxis {
  // A report saved by an earlier version (restored after an update) may have no fitted model.
  const fitted = calibration.lossModel as ReportCalibration['lossModel'] | undefined;
  const onDistance = fitted !== undefined && fitted.rho !== null && fitted.c === 0
    && calibration.points.every((p) => typeof p.disagreement === 'number');
  if (onDistance) {
    const { a, b, floor } = fitted;
    const rho = fitted.rho!;
    return {
      kind: 'distance',
      title: 'distance from the flattest interpolators found, rho + D',
      symbol: 'rho + D',
      position: (_ratio, disagreement) => (typeof disagreement === 'number' ? onLogAxis(rho + Math.max(0, disagreement)) : null),
      curve: (low, high) => {
        if (!(low > 0 && high >= low)) return [];
        const span = Math.log(high / low);
        return Array.from({ length: CURVE_POINTS }, (_, k) => {
          const x = low * Math.exp((span * k) / (CURVE_POINTS - 1));
          return { x, loss: Math.max(0, Math.exp(a + b * Math.log(x)) - floor) };
        });
      },
    };
  }
  return {
    kind: 'ratio',
    title: 'flatness ratio R = F_sym / F_LB',
    symbol: 'R',
    position: (ratio) => (typeof ratio === 'number' ? onLogAxis(ratio) : null),
    curve: () => (calibration.curve ?? []).map((knot) => ({ x: knot.ratio, loss: knot.loss })),
  };
}

/** Where the prediction was read off, for a card or a line of text. */
export function readOffText(calibration: ReportCalibration | null, ratio: number | null, disagreement: number | null): string {
  const rho = calibration?.lossModel?.rho;
  if (calibration && calibrationAxis(calibration).kind === 'distance' && typeof disagreement === 'number' && typeof rho === 'number') {
    return `read off the fit at rho + D = ${formatNumber(rho + Math.max(0, disagreement))} (D = ${formatNumber(disagreement)})`;
  }
  return `read off the calibration at R = ${formatNumber(ratio)}`;
}
