import type { Report, ReportLandscape, ReportLandscapeSurface, ReportSharpness, ReportSpectrum } from '../../shared/report';
import { formatNumber } from './format';
import { lineChart, type Series } from './svg';
import { escapeHtml } from '../../shared/escape';
import { SERIES_COLORS } from './svgChart';

const list = (values: readonly number[], digits = 4): string => values.map((v) => formatNumber(v, digits)).join(', ');

function convergenceNote(spectrum: ReportSpectrum): string {
  const failed = [...spectrum.topConverged, ...spectrum.bottomConverged].filter((ok) => !ok).length;
  return failed === 0 ? 'all converged' : `${failed} not converged (see residuals)`;
}

function spectrumLines(label: string, spectrum: ReportSpectrum): string[] {
  return [
    `    ${label} top eigenvalues     ${list(spectrum.top)}`,
    `    ${label} bottom eigenvalues  ${list(spectrum.bottom)}`,
    `    ${' '.repeat(label.length)} Lanczos ${spectrum.lanczosSteps} steps, ${spectrum.hessianVectorProducts} Hessian-vector products, tolerance ${spectrum.tolerance.toExponential(0)} (${convergenceNote(spectrum)}); density: ${spectrum.density.probes} probe(s), SLQ trace estimate ${formatNumber(spectrum.density.traceEstimate)}${spectrum.exactTrace !== null ? ` (exact ${formatNumber(spectrum.exactTrace)})` : ''}`,
  ];
}

function sharpnessLines(label: string, sharpness: ReportSharpness): string[] {
  return [
    `    ${label} adaptive sharpness  ${sharpness.adaptive.map((e) => `rho ${e.rho}: ${formatNumber(e.lossIncrease)}`).join('   ')}`,
    `    ${label} Gaussian average    ${sharpness.average.map((e) => `rho ${e.rho}: ${formatNumber(e.mean)} ± ${formatNumber(e.standardError, 2)}`).join('   ')}`,
  ];
}

function landscapeLines(label: string, landscape: ReportLandscape): string[] {
  const curves = landscape.oneD.map((curve) => {
    const low = Math.min(...curve.loss);
    const high = Math.max(...curve.loss);
    return curve.direction === 'orbit'
      ? `orbit flat to ${formatNumber(high - low, 2)}`
      : `${curve.direction} up to +${formatNumber(high - landscape.baseLoss)}`;
  });
  if (landscape.twoD) {
    const values = landscape.twoD.loss.flat();
    curves.push(`2D ${landscape.twoD.x.length}x${landscape.twoD.y.length} up to +${formatNumber(Math.max(...values) - landscape.baseLoss)}`);
  }
  return [`    ${label} landscape           ${curves.join('; ')}`];
}

/** Terminal lines for the spectrum, sharpness and landscape sections, raw and canonical. */
export function curvatureSummaryLines(report: Report): string[] {
  const { spectrum, sharpness, landscape, canonical } = report;
  if (!spectrum && !sharpness && !landscape) return [];
  const lines = ['  Curvature beyond the trace (raw = the model\'s parameters; canonical = each neuron at its t*_j)'];
  if (spectrum) lines.push(...spectrumLines('raw      ', spectrum));
  if (canonical?.spectrum) lines.push(...spectrumLines('canonical', canonical.spectrum));
  if (sharpness) lines.push(...sharpnessLines('raw      ', sharpness));
  if (canonical?.sharpness) lines.push(...sharpnessLines('canonical', canonical.sharpness));
  if (landscape) lines.push(...landscapeLines('raw      ', landscape));
  if (canonical?.landscape) lines.push(...landscapeLines('canonical', canonical.landscape));
  if (canonical && !canonical.available) lines.push(`    canonical rescaling not available: ${canonical.reason ?? 'unknown reason'}`);
  else if (canonical?.unscaledNeurons) lines.push(`    ${canonical.unscaledNeurons} neuron(s) have no finite t*_j and stay unscaled in the canonical point`);
  return lines;
}

function eigenvalueTable(report: Report): string {
  const raw = report.spectrum!;
  const canonical = report.canonical?.spectrum;
  const rows: string[] = [];
  const row = (name: string, k: number, value: number, residual: number, ok: boolean, other: number | undefined) =>
    `<tr><td>${name} ${k + 1}</td><td>${formatNumber(value)}</td><td>${formatNumber(residual, 2)}${ok ? '' : ' (not converged)'}</td><td>${other === undefined ? '—' : formatNumber(other)}</td></tr>`;
  raw.top.forEach((value, k) => rows.push(row('largest', k, value, raw.topResiduals[k]!, raw.topConverged[k]!, canonical?.top[k])));
  raw.bottom.forEach((value, k) => rows.push(row('smallest', k, value, raw.bottomResiduals[k]!, raw.bottomConverged[k]!, canonical?.bottom[k])));
  return `<table><thead><tr><th>eigenvalue</th><th>raw</th><th>residual ||Hv − λv||</th><th>canonical</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="muted">Lanczos with full reorthogonalization: ${raw.lanczosSteps} steps, ${raw.hessianVectorProducts} exact Hessian-vector products, relative tolerance ${raw.tolerance.toExponential(0)}, ${raw.parameters} parameters. Density trace estimate ${formatNumber(raw.density.traceEstimate)} against the exact ${formatNumber(raw.exactTrace)}${canonical ? ` (canonical: ${formatNumber(canonical.density.traceEstimate)} against ${formatNumber(canonical.exactTrace)})` : ''}. Negative eigenvalues: not a minimum.${raw.notes.length ? ' ' + escapeHtml(raw.notes.join(' ')) : ''}</p>`;
}

function densityChart(report: Report): string {
  const series: Series[] = [];
  const add = (label: string, spectrum: ReportSpectrum | undefined, color: string) => {
    if (!spectrum) return;
    series.push({ label, color, points: spectrum.density.grid.map((x, i) => ({ x, y: spectrum.density.values[i]! })) });
  };
  add('raw', report.spectrum, SERIES_COLORS[0]!);
  add('canonical', report.canonical?.spectrum, SERIES_COLORS[1]!);
  const density = report.spectrum!.density;
  return lineChart(series, {
    title: `Spectral density (SLQ, ${density.probes} probe(s), ≤ ${density.steps} steps, Gaussian smoothing)`,
    xLabel: 'eigenvalue',
    yLabel: 'density',
  });
}

function sharpnessTable(report: Report): string {
  const raw = report.sharpness!;
  const canonical = report.canonical?.sharpness;
  const rows = raw.adaptive.map((entry, r) => {
    const average = raw.average[r];
    return `<tr><td>${entry.rho}</td><td>${formatNumber(entry.lossIncrease)}</td><td>${canonical ? formatNumber(canonical.adaptive[r]?.lossIncrease) : '—'}</td><td>${average ? `${formatNumber(average.mean)} ± ${formatNumber(average.standardError, 2)}` : '—'}</td><td>${canonical?.average[r] ? formatNumber(canonical.average[r]!.mean) : '—'}</td></tr>`;
  });
  return `<table><thead><tr><th>ρ</th><th>adaptive (worst case), raw</th><th>canonical</th><th>Gaussian average, raw</th><th>canonical</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="muted">${escapeHtml(raw.definition)}. Loss at the model: ${formatNumber(raw.baseLoss)}.</p>`;
}

function curveChart(landscape: ReportLandscape, title: string): string {
  const series: Series[] = landscape.oneD
    .filter((curve) => curve.direction !== 'orbit')
    .map((curve, i) => ({ label: curve.direction, color: SERIES_COLORS[i % SERIES_COLORS.length]!, points: curve.coordinates.map((x, k) => ({ x, y: curve.loss[k]! })) }));
  if (series.length === 0) return '';
  return lineChart(series, { title, xLabel: 'step s (directions scaled to the parameters, per neuron)', yLabel: 'training loss', yLog: series.every((s) => s.points.every((p) => p.y > 0)) });
}

function orbitChart(report: Report): string {
  const series: Series[] = [];
  const add = (label: string, landscape: ReportLandscape | undefined, color: string, dashed: boolean) => {
    const curve = landscape?.oneD.find((c) => c.direction === 'orbit');
    if (curve) series.push({ label, color, dashed, points: curve.coordinates.map((s, k) => ({ x: Math.exp(s), y: curve.loss[k]! })) });
  };
  add('raw', report.landscape, SERIES_COLORS[0]!, false);
  add('canonical', report.canonical?.landscape, SERIES_COLORS[1]!, true);
  if (series.length === 0) return '';
  // A +-1% band around the model's loss gives the flat line a scale.
  const base = report.landscape?.baseLoss ?? report.loss.value;
  const ends = series[0]!.points;
  for (const factor of [0.99, 1.01]) {
    series.push({ label: factor < 1 ? "-1% of the model's loss" : "+1% of the model's loss", color: '#9198a1', dashed: true, points: [{ x: ends[0]!.x, y: base * factor }, { x: ends[ends.length - 1]!.x, y: base * factor }] });
  }
  return lineChart(series, { title: 'Loss along the rescaling orbit (flat: the symmetry)', xLabel: 'common rescaling t of every neuron', yLabel: 'training loss', xLog: true });
}

/** A heat map of a 2D landscape as inline SVG rects (log10 of the loss), with a color bar. */
function surfaceChart(surface: ReportLandscapeSurface, title: string): string {
  const width = 640;
  const size = 420;
  const margin = { left: 64, top: 28, bottom: 44 };
  const height = margin.top + size + margin.bottom;
  const nx = surface.x.length;
  const ny = surface.y.length;
  const values = surface.loss.flat().map((v) => Math.log10(Math.max(v, 1e-300)));
  const low = Math.min(...values);
  const high = Math.max(...values);
  const cellW = size / nx;
  const cellH = size / ny;
  const color = (t: number): string => {
    const r = Math.round(68 + t * (253 - 68));
    const g = Math.round(1 + t * (231 - 1));
    const b = Math.round(84 + t * (37 - 84));
    return `rgb(${r},${g},${b})`;
  };
  const level = (v: number): number => (high > low ? (v - low) / (high - low) : 0);
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<text x="${margin.left}" y="18" class="chart-title">${escapeHtml(title)}</text>`);
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const x = margin.left + ix * cellW;
      const y = margin.top + (ny - 1 - iy) * cellH;
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(cellW + 0.3).toFixed(1)}" height="${(cellH + 0.3).toFixed(1)}" fill="${color(level(values[iy * nx + ix]!))}"><title>(${formatNumber(surface.x[ix]!, 3)}, ${formatNumber(surface.y[iy]!, 3)}): loss ${formatNumber(surface.loss[iy]![ix]!)}</title></rect>`);
    }
  }
  const center = (axis: number[], k: number) => (k + 0.5) * (size / axis.length);
  const middleX = Math.floor(nx / 2);
  const middleY = Math.floor(ny / 2);
  parts.push(`<circle cx="${(margin.left + center(surface.x, middleX)).toFixed(1)}" cy="${(margin.top + size - center(surface.y, middleY)).toFixed(1)}" r="4" fill="none" stroke="white" stroke-width="1.5"><title>the model</title></circle>`);
  for (const [k, value] of [[0, surface.x[0]!], [nx - 1, surface.x[nx - 1]!]] as const) {
    parts.push(`<text x="${(margin.left + center(surface.x, k)).toFixed(1)}" y="${margin.top + size + 16}" text-anchor="middle" class="tick">${formatNumber(value, 3)}</text>`);
  }
  for (const [k, value] of [[0, surface.y[0]!], [ny - 1, surface.y[ny - 1]!]] as const) {
    parts.push(`<text x="${margin.left - 6}" y="${(margin.top + size - center(surface.y, k) + 4).toFixed(1)}" text-anchor="end" class="tick">${formatNumber(value, 3)}</text>`);
  }
  parts.push(`<text x="${margin.left + size / 2}" y="${height - 8}" text-anchor="middle" class="axis-label">x along d1</text>`);
  parts.push(`<text transform="translate(14 ${margin.top + size / 2}) rotate(-90)" text-anchor="middle" class="axis-label">y along d2</text>`);
  const barX = margin.left + size + 28;
  const steps = 20;
  for (let k = 0; k < steps; k++) {
    const y = margin.top + size - ((k + 1) * size) / steps;
    parts.push(`<rect x="${barX}" y="${y.toFixed(1)}" width="16" height="${(size / steps + 0.3).toFixed(1)}" fill="${color((k + 0.5) / steps)}"/>`);
  }
  parts.push(`<text x="${barX + 22}" y="${margin.top + 10}" class="tick">${formatNumber(Math.pow(10, high), 3)}</text>`);
  parts.push(`<text x="${barX + 22}" y="${margin.top + size}" class="tick">${formatNumber(Math.pow(10, low), 3)}</text>`);
  parts.push(`<text transform="translate(${barX + 70} ${margin.top + size / 2}) rotate(-90)" text-anchor="middle" class="axis-label">training loss (log color scale)</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** Self-contained HTML fragment (inline SVG, no scripts) for the curvature sections. */
export function curvatureHtml(report: Report): string {
  const { spectrum, sharpness, landscape, canonical } = report;
  if (!spectrum && !sharpness && !landscape) return '';
  const parts: string[] = ['<h2>Curvature beyond the trace</h2>'];
  parts.push('<p class="muted">Raw: at the model\'s own parameters (moved by rescaling neurons). Canonical: at the representative of the rescaling orbit with every neuron at its t*_j, where every quantity is invariant.</p>');
  if (canonical && !canonical.available) parts.push(`<p class="muted">Canonical rescaling not available: ${escapeHtml(canonical.reason ?? 'unknown reason')}.</p>`);
  if (spectrum) {
    parts.push('<h3>Hessian spectrum</h3>', eigenvalueTable(report), `<div class="chart">${densityChart(report)}</div>`);
  }
  if (sharpness) parts.push('<h3>Adaptive sharpness</h3>', sharpnessTable(report));
  if (landscape) {
    parts.push('<h3>Loss landscape</h3>');
    parts.push(`<div class="chart">${curveChart(landscape, 'Raw parameters: loss along directions')}</div>`);
    if (canonical?.landscape) parts.push(`<div class="chart">${curveChart(canonical.landscape, 'Canonical rescaling: loss along directions')}</div>`);
    parts.push(`<div class="chart">${orbitChart(report)}</div>`);
    if (landscape.twoD) parts.push(`<div class="chart">${surfaceChart(landscape.twoD, 'Raw parameters: 2D landscape')}</div>`);
    if (canonical?.landscape?.twoD) parts.push(`<div class="chart">${surfaceChart(canonical.landscape.twoD, 'Canonical rescaling: 2D landscape')}</div>`);
    parts.push(`<p class="muted">${escapeHtml(landscape.normalization)}.${landscape.notes.length ? ' ' + escapeHtml(landscape.notes.join('; ')) + '.' : ''}</p>`);
  }
  return parts.join('\n');
}
