import type { ReportSpectralDensity } from '../../shared/report';
import { type LanczosRun, ritzPairs } from './lanczos';

/**
 * Gauss quadrature nodes theta_l and weights w_l (squared first components of T's eigenvectors)
 * of each probe, smoothed by a Gaussian kernel: density(x) = mean_probes sum_l w_l N(x; theta_l, s^2).
 */
export function spectralDensity(runs: LanczosRun[], parameters: number, gridPoints: number, steps: number): ReportSpectralDensity {
  const nodes: number[][] = [];
  const weights: number[][] = [];
  let traceSum = 0;
  let squaredSum = 0;
  let low = Infinity;
  let high = -Infinity;
  for (const run of runs) {
    const pairs = ritzPairs(run);
    nodes.push(Array.from(pairs.values));
    weights.push(Array.from(pairs.weights));
    for (let l = 0; l < pairs.values.length; l++) {
      const theta = pairs.values[l]!;
      traceSum += pairs.weights[l]! * theta;
      squaredSum += pairs.weights[l]! * theta * theta;
      low = Math.min(low, theta);
      high = Math.max(high, theta);
    }
  }
  const span = high - low;
  const smoothing = span > 0 ? span / 100 : Math.max(Math.abs(high), 1) * 1e-3;
  const gridLow = low - 4 * smoothing;
  const gridHigh = high + 4 * smoothing;
  const grid: number[] = [];
  const values: number[] = [];
  const normalizer = 1 / (runs.length * smoothing * Math.sqrt(2 * Math.PI));
  for (let g = 0; g < gridPoints; g++) {
    const x = gridLow + ((gridHigh - gridLow) * g) / Math.max(1, gridPoints - 1);
    let density = 0;
    nodes.forEach((probeNodes, p) => {
      probeNodes.forEach((theta, l) => {
        density += weights[p]![l]! * Math.exp(-0.5 * ((x - theta) / smoothing) ** 2);
      });
    });
    grid.push(x);
    values.push(density * normalizer);
  }
  return {
    method: 'stochastic Lanczos quadrature: Gaussian probes, Lanczos with full reorthogonalization, Gaussian kernel smoothing',
    probes: runs.length,
    steps,
    smoothing,
    grid,
    values,
    nodes,
    weights,
    traceEstimate: (parameters * traceSum) / runs.length,
    squaredTraceEstimate: (parameters * squaredSum) / runs.length,
  };
}
