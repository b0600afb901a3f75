import type { Report } from '../../shared/report';
import { formatNumber } from './format';
import { scatterSvg, type ScatterPoint } from './svgChart';
import { escapeHtml } from '../../shared/escape';
import { calibrationAxis } from '../../shared/calibrationAxis';

const KIND_LABELS: Record<string, string> = {
  'flattest-search': 'flattest found',
  'gd-init': 'GD from init scale',
  'random-features': 'random features',
  'poisoned-random-features': 'poisoned (random features)',
  'poisoned-gd': 'poisoned (GD)',
};

/** Terminal lines for report.prediction, report.flattest and report.test. */
export function predictionSummaryLines(report: Report): string[] {
  const lines: string[] = [];
  const { prediction, flattest, test } = report;
  if (prediction) {
    lines.push('  Generalization prediction');
    if (!prediction.available) {
      lines.push(`    not available: ${prediction.reason ?? 'unknown reason'}`);
    } else {
      const [low, high] = prediction.interval!;
      lines.push(`    predicted test loss ${formatNumber(prediction.testLoss)}   80% interval [${formatNumber(low)}, ${formatNumber(high)}]${prediction.extrapolated ? '  (extrapolated)' : ''}`);
      if (prediction.measuredTestLoss !== null) lines.push(`    measured test loss  ${formatNumber(prediction.measuredTestLoss)}${prediction.measuredTestLoss >= low && prediction.measuredTestLoss <= high ? '   (inside the interval)' : '   (outside the interval)'}`);
      lines.push(`    verdict: ${prediction.verdict.headline}. ${prediction.verdict.explanation}`);
      const calibration = prediction.calibration;
      if (calibration) lines.push(`    calibrated on ${calibration.points.length} reference interpolators (${calibration.splits} splits of ${Math.round(calibration.trainFraction * 100)}/${Math.round((1 - calibration.trainFraction) * 100)}, ratios ${formatNumber(calibration.ratioRange[0], 3)} to ${formatNumber(calibration.ratioRange[1], 3)}; leave-one-out coverage ${Math.round(100 * calibration.leaveOneOutCoverage)}%)`);
    }
  } else if (test) {
    lines.push('  Test data');
  }
  if (flattest && flattest.normalized !== null) {
    lines.push(`    flattest interpolator found: F_found = ${formatNumber(flattest.normalized)} (F_found / F_LB = ${formatNumber(flattest.foundToLowerBound, 3)}); this model: F_sym / F_LB = ${formatNumber(flattest.ratioToLowerBound, 3)}, F_sym / F_found = ${formatNumber(flattest.ratioToFound, 3)}`);
  } else if (flattest && flattest.runs.length > 0) {
    lines.push('    flattest-interpolator search: no run reached interpolation');
  }
  if (test && !(prediction?.available && prediction.measuredTestLoss !== null)) {
    lines.push(`    measured loss on ${test.path} (n = ${test.n}): ${formatNumber(test.loss)}`);
  }
  return lines;
}

function calibrationChart(report: Report): string {
  const prediction = report.prediction;
  const calibration = prediction?.calibration;
  if (!prediction || !calibration || prediction.testLoss === null || prediction.ratio === null) return '';
  const axis = calibrationAxis(calibration);
  const modelX = axis.position(prediction.ratio, prediction.disagreement);
  if (modelX === null) return '';
  const floor = Math.max(1e-6, Math.min(...calibration.points.map((p) => p.heldOutLoss).filter((v) => v > 0), prediction.testLoss || Infinity) / 10);
  const points: ScatterPoint[] = calibration.points.flatMap((p) => {
    const x = axis.position(p.ratio, p.disagreement);
    return x === null ? [] : [{
      x, y: Math.max(p.heldOutLoss, floor), series: KIND_LABELS[p.kind] ?? p.kind,
      label: `${KIND_LABELS[p.kind] ?? p.kind} ${p.setting}, split ${p.split}: ${axis.symbol} = ${x.toPrecision(3)}, held-out loss ${p.heldOutLoss.toPrecision(3)}`,
    }];
  });
  const xs = [...points.map((p) => p.x), modelX];
  points.push({
    x: modelX, y: Math.max(prediction.testLoss, floor), low: Math.max(prediction.interval![0], floor), high: Math.max(prediction.interval![1], floor),
    series: 'this model (prediction)', highlight: true, label: `this model: ${axis.symbol} = ${modelX.toPrecision(3)}, predicted ${prediction.testLoss.toPrecision(3)}`,
  });
  if (prediction.measuredTestLoss !== null) {
    points.push({ x: modelX, y: Math.max(prediction.measuredTestLoss, floor), series: 'this model (measured test loss)', label: `measured ${prediction.measuredTestLoss.toPrecision(3)}` });
  }
  return scatterSvg(points, {
    title: `Calibration: held-out loss of reference interpolators vs ${axis.kind === 'distance' ? 'their distance from the flattest interpolators found' : 'flatness ratio'}`,
    xLabel: axis.title, yLabel: 'held-out loss', logX: true, logY: true,
    line: axis.curve(Math.min(...xs), Math.max(...xs)).map((c) => ({ x: c.x, y: Math.max(c.loss, floor) })),
  });
}

/** HTML fragment for the single-model report: prediction, interval, verdict, calibration scatter, flattest found. */
export function predictionHtml(report: Report): string {
  const { prediction, flattest, test } = report;
  if (!prediction && !test) return '';
  const parts: string[] = ['<h2>Generalization prediction</h2>'];
  if (prediction && !prediction.available) {
    parts.push(`<p class="muted">Not available: ${escapeHtml(prediction.reason ?? 'unknown reason')}</p>`);
  } else if (prediction) {
    const [low, high] = prediction.interval!;
    parts.push(`<section class="verdict ${prediction.verdict.level}"><h2>${escapeHtml(prediction.verdict.headline)}</h2><p>${escapeHtml(prediction.verdict.explanation)}</p></section>`);
    parts.push('<table><tbody>');
    parts.push(`<tr><td>predicted test loss</td><td>${formatNumber(prediction.testLoss)}</td></tr>`);
    parts.push(`<tr><td>80% interval</td><td>[${formatNumber(low)}, ${formatNumber(high)}]${prediction.extrapolated ? ' (extrapolated)' : ''}</td></tr>`);
    if (prediction.measuredTestLoss !== null) parts.push(`<tr><td>measured test loss</td><td>${formatNumber(prediction.measuredTestLoss)}</td></tr>`);
    if (flattest) {
      parts.push(`<tr><td>F_found (flattest interpolator found)</td><td>${formatNumber(flattest.normalized)}</td></tr>`);
      parts.push(`<tr><td>F_sym / F_LB</td><td>${formatNumber(flattest.ratioToLowerBound, 3)}</td></tr>`);
      parts.push(`<tr><td>F_sym / F_found</td><td>${formatNumber(flattest.ratioToFound, 3)}</td></tr>`);
      parts.push(`<tr><td>F_found / F_LB</td><td>${formatNumber(flattest.foundToLowerBound, 3)}</td></tr>`);
    }
    parts.push('</tbody></table>');
    parts.push(`<div class="chart">${calibrationChart(report)}</div>`);
    parts.push(`<ul class="muted">${prediction.caveats.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`);
  }
  if (test && !(prediction?.available && prediction.measuredTestLoss !== null)) {
    parts.push(`<p>Measured loss on <code>${escapeHtml(test.path)}</code> (n = ${test.n}): ${formatNumber(test.loss)}</p>`);
  }
  return parts.join('\n');
}
