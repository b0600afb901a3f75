/**
 * The versioned analysis report: the one document every view (terminal, HTML, webview, JSON
 * export) renders. schema/report.schema.json describes the same shape for other tools.
 * Bump REPORT_SCHEMA_VERSION on any incompatible change.
 */
export const REPORT_SCHEMA_VERSION = '1.0.0';

export type LossKind = 'mse' | 'mse-half' | 'mse-mean' | 'ce';
export type BackendName = 'webgpu' | 'tensorflow-gpu' | 'tensorflow' | 'onnxruntime' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

/** A number that may be undefined by the theory, with the reason why. */
export interface MaybeNumber {
  value: number | null;
  reason?: string;
}

export interface ReportModel {
  path: string;
  format: string;
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  parameters: number;
  hiddenBias: boolean;
  outputBias: boolean;
  activation: string;               // e.g. 'relu', 'leaky_relu(0.01)', 'relu^2'
  activationSource: 'file' | 'option' | 'assumed';
  homogeneityDegree: number | null; // k, null when not positively homogeneous
  outputLink: 'identity' | 'sigmoid' | 'softmax';
  tensorNames: string[];
  notes: string[];
  /** Training counters stored in a checkpoint file beside the weights. */
  checkpoint?: { step?: number; epoch?: number };
}

export interface ReportData {
  path: string;
  format: string;
  n: number;
  d: number;
  targetDim: number;
  inputName: string;
  targetName: string;
  notes: string[];
}

export interface ReportBackend {
  name: BackendName;
  requested: BackendRequest;
  /** Why the requested or preferred backend was not used, when it was not. */
  fallbacks: string[];
  tfjsVersion: string;
  chunkRows: number;
  /** The GPU the webgpu backend ran on (absent for the other backends). */
  adapter?: ReportAdapter;
  /** Set when the backend in `name` took over from another during the run (lost GPU device, out of memory). */
  switchedFrom?: { name: BackendName; reason: string };
  /** Which kernels ran the data passes, e.g. "onnxruntime 1.30.0 CPU" or "tfjs-backend-wasm 4.22.0 SIMD". */
  kernels?: string;
  /** Threads those kernels ran on. */
  threads?: number;
  /**
   * onnxruntime only: sessions that ran the curvature pass's chunks side by side, each on its own
   * thread with one intra-op thread (absent where those threads could not start).
   */
  lanes?: number;
}

/** A WebGPU adapter as Dawn reports it. */
export interface ReportAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (SwiftShader, lavapipe, llvmpipe, or a fallback adapter): used only when forced. */
  software: boolean;
}

export interface ReportLoss {
  kind: LossKind;
  /** Human-readable statement of the convention, e.g. "||f(x) - y||^2 averaged over samples". */
  convention: string;
  /** Which quantity the loss is applied to (the network output, or after its output link). */
  appliedTo: string;
  value: number;
  /** Mean squared residual per output coordinate (regression) or error rate (classification). */
  meanSquaredError: number | null;
  accuracy: number | null;
}

export interface ReportInterpolation {
  interpolates: boolean;
  /** What was compared with what, e.g. "mean squared residual 3.1e-6 <= tolerance 1e-4". */
  criterion: string;
  tolerance: number;
  measured: number;
}

export interface NeuronRow {
  index: number;
  /** a_j block of the trace. */
  a: number;
  /** w_j, b_j block (Gauss-Newton part). */
  b: number;
  /** Curvature-of-f part (zero for ReLU). */
  c: number;
  /** min over the neuron's rescaling orbit of A t^{2k} + (B + C) t^{-2}; null if undefined. */
  normalized: number | null;
  /** Scale t*_j that attains it (null if undefined or at 0 / infinity). */
  optimalScale: number | null;
  /** Samples with positive pre-activation w_j . x + b_j. */
  activeSamples: number;
  /** ||a_j|| * ||(w_j, b_j)||^k (null if not homogeneous). */
  pathNorm: number | null;
  /** 'not-finite': the neuron's trace terms overflow even at its balanced rescaling (no figure is reported). */
  status: 'ok' | 'dead' | 'not-at-minimum' | 'not-homogeneous' | 'not-finite';
}

export interface OrbitPoint {
  t: number;
  trace: number;
}

export interface ReportFlatness {
  /** tr H, exact. */
  trace: number;
  parts: { a: number; b: number; c: number; outputBias: number };
  /** Symmetry-normalized flatness F_sym. */
  normalized: MaybeNumber;
  /** sum_p theta_p^2 H_pp (invariant under the rescaling symmetry). */
  invariantDiagonal: MaybeNumber;
  pathNorm: MaybeNumber;
  /** Certified data-only lower bound F_LB over all interpolators of the data. */
  lowerBound: MaybeNumber;
  /** The same bound with the model's outputs in place of the targets (holds for this model). */
  lowerBoundAtModel: MaybeNumber;
  /**
   * The targets' bound at the model's own output bias c0 instead of the minimum over c: holds only for
   * interpolators with this c0 (equals lowerBound without an output bias). Optional: absent in older reports.
   */
  lowerBoundAtModelBias?: MaybeNumber;
  /** R = F_sym / F_LB. */
  ratio: MaybeNumber;
  perNeuron: NeuronRow[];
  /** Raw trace along t_j = t for all j, with F_sym as the flat reference. */
  orbit: OrbitPoint[];
  /** Whether the model sits at a minimum as far as the orbit infimum can tell. */
  atMinimum: boolean;
}

export interface ReportTimings {
  loadModelMs: number;
  loadDataMs: number;
  backendInitMs: number;
  flatnessMs: number;
  totalMs: number;
  [section: string]: number;
}

export interface ReportVerdict {
  /** Short headline shown at the top of every view. */
  level: 'flat' | 'in-between' | 'sharp' | 'not-applicable';
  headline: string;
  explanation: string;
}

/** Spectral density by stochastic Lanczos quadrature. */
export interface ReportSpectralDensity {
  method: string;
  /** Number of random start vectors (Gaussian) and Lanczos steps per probe (at most). */
  probes: number;
  steps: number;
  /** Standard deviation of the Gaussian kernel that smooths the quadrature nodes. */
  smoothing: number;
  /** Density of eigenvalues (integrates to 1 over the grid) at each grid point. */
  grid: number[];
  values: number[];
  /** Gauss quadrature nodes and weights of each probe (weights sum to 1 per probe). */
  nodes: number[][];
  weights: number[][];
  /** P * mean over probes of sum_l w_l theta_l (an estimate of tr H) and of theta_l^2 (tr H^2). */
  traceEstimate: number;
  squaredTraceEstimate: number;
}

/** Curvature beyond the trace: Hessian eigenvalues by Lanczos with full reorthogonalization. */
export interface ReportSpectrum {
  /** Number of parameters (the Hessian is parameters x parameters). */
  parameters: number;
  /** Largest eigenvalues, largest first. */
  top: number[];
  /** Smallest eigenvalues, smallest first (negative: not a minimum). */
  bottom: number[];
  /** Residual norms ||H v - lambda v|| of the unit Ritz vectors, from the Lanczos recurrence, same order. */
  topResiduals: number[];
  bottomResiduals: number[];
  /**
   * Top: residual <= tolerance * max |lambda|, or the Krylov space was exhausted (then exact).
   * Bottom: each value resolved (residual within the tolerance and r^2 / gap too) and a deflated
   * verification run found nothing smaller (curvature/bottomEigen.ts); false otherwise.
   */
  topConverged: boolean[];
  bottomConverged: boolean[];
  /** Relative residual tolerance: ||H v - lambda v|| <= tolerance * max |lambda|. */
  tolerance: number;
  /** Lanczos steps of the eigenvalue run, and Hessian-vector products spent on this spectrum (density included). */
  lanczosSteps: number;
  hessianVectorProducts: number;
  /**
   * Exact tr H at this point, for comparison with the density's estimate: flatness.trace for the raw
   * parameters; sum_j A_j t_j^2k + (B_j + C_j) t_j^-2 + C0 at the canonical point (F_sym when every
   * neuron has a finite t*_j). Null when not known.
   */
  exactTrace: number | null;
  density: ReportSpectralDensity;
  notes: string[];
}

/** Worst-case loss increase in the elementwise-scaled ball ||eps / |theta| ||_2 <= rho. */
export interface ReportAdaptiveSharpness {
  rho: number;
  /** max found of L(theta + eps) - L(theta) (a lower bound on the true maximum: ascent finds a local one). */
  lossIncrease: number;
  /** Projected gradient ascent iterations and loss/gradient evaluations spent. */
  steps: number;
  evaluations: number;
  /** ||eps / |theta| ||_2 at the returned point (<= rho). */
  radius: number;
}

/** Average loss increase under Gaussian perturbations eps = |theta| o xi, xi ~ N(0, rho^2 / P I). */
export interface ReportAverageSharpness {
  rho: number;
  mean: number;
  /** Standard error of the mean over the samples. */
  standardError: number;
  samples: number;
}

export interface ReportSharpness {
  /** Loss at the unperturbed parameters. */
  baseLoss: number;
  definition: string;
  adaptive: ReportAdaptiveSharpness[];
  average: ReportAverageSharpness[];
  seed: number;
}

export type LandscapeDirection = 'random' | 'top-eigenvector' | 'orbit';

/** Loss along one direction: theta + s d (or, for the orbit, every neuron rescaled by t = e^s). */
export interface ReportLandscapeCurve {
  direction: LandscapeDirection;
  description: string;
  coordinates: number[];
  loss: number[];
}

/** Loss on the plane theta + x d1 + y d2: loss[iy][ix]. */
export interface ReportLandscapeSurface {
  directions: [LandscapeDirection, LandscapeDirection];
  description: string;
  x: number[];
  y: number[];
  loss: number[][];
}

export interface ReportLandscape {
  baseLoss: number;
  /** How the random directions were normalized (per neuron, filter-normalization). */
  normalization: string;
  oneD: ReportLandscapeCurve[];
  /** null when the 2D surface was not requested. */
  twoD: ReportLandscapeSurface | null;
  seed: number;
  /** E.g. why the orbit or the eigenvector direction is missing. */
  notes: string[];
}

/** The curvature analyses repeated at the canonical rescaling (each neuron at its t*_j). */
export interface ReportCanonical {
  available: boolean;
  /** Why the canonical representative does not exist (non-homogeneous activation, not at a minimum). */
  reason?: string;
  /** Per-neuron t*_j applied: (a_j, w_j, b_j) -> (t^-k a_j, t w_j, t b_j). */
  scales?: number[];
  /** Neurons without a finite t*_j (dead, or a_j = 0), left at t = 1. */
  unscaledNeurons?: number;
  spectrum?: ReportSpectrum;
  sharpness?: ReportSharpness;
  landscape?: ReportLandscape;
}

export interface Report {
  schemaVersion: string;
  tool: { name: 'flatness-lens'; version: string };
  createdAt: string;
  model: ReportModel;
  data: ReportData;
  backend: ReportBackend;
  loss: ReportLoss;
  interpolation: ReportInterpolation;
  flatness: ReportFlatness;
  verdict: ReportVerdict;
  timings: ReportTimings;
  warnings: string[];
  /** Curvature beyond the trace (spectrum, sharpness, landscape), raw parameters. */
  spectrum?: ReportSpectrum;
  sharpness?: ReportSharpness;
  landscape?: ReportLandscape;
  /** The same analyses at the canonical rescaling (each neuron at its t*_j). */
  canonical?: ReportCanonical;
  /** Generalization prediction (FLATNESS.md section 5). */
  prediction?: ReportPrediction;
  /** The flattest interpolator found on the training data. */
  flattest?: ReportFlattest;
  /** Measured loss on user-supplied test data. */
  test?: { path: string; n: number; loss: number; meanSquaredError: number | null; accuracy: number | null };
}

/** How a reference interpolator of the calibration was made. */
export type CalibrationKind = 'flattest-search' | 'gd-init' | 'random-features' | 'poisoned-random-features' | 'poisoned-gd' | 'flattest-bump';

export interface CalibrationPoint {
  kind: CalibrationKind;
  /** gd-init: initialization scale (x 1/sqrt(fan-in)); random-features: width / n; poisoned-*: poisoned points / n; flattest-search: which of the split's searches (1, 2); flattest-bump: bump amplitude / target scale. */
  setting: number;
  /** Which train / held-out split it was trained on. */
  split: number;
  /** F_sym / F_LB on the part it was trained on. */
  ratio: number;
  /** Loss on the held-out part, in the report's loss convention. */
  heldOutLoss: number;
  normalized: number;
  /** Mean squared difference from the split's flattest interpolators found (mean over those it was not built from), on probe inputs (null without one). */
  disagreement: number | null;
}

export interface ReportCalibration {
  points: CalibrationPoint[];
  splits: number;
  trainFraction: number;
  /** Nominal coverage of the interval (0.8). */
  intervalLevel: number;
  /** Share of reference points inside the interval built without them (left out of the fit and of the quantile). */
  leaveOneOutCoverage: number;
  /** The counts behind leaveOneOutCoverage. */
  heldOutCoverage: { inside: number; checked: number };
  /** Fewest reference points for which an interval at intervalLevel exists. */
  minimumPoints: number;
  /** The fitted predictor log(L + floor) = a + b log(rho + D) + c log R (rho null: no D term). */
  lossModel: { rho: number | null; a: number; b: number; c: number; floor: number };
  /** Smallest and largest reference ratio: predictions outside are extrapolated. */
  ratioRange: [number, number];
  /** The fitted predictor at each reference point, by ratio. */
  curve: { ratio: number; loss: number }[];
  /** Reference members left out because they did not interpolate. */
  skipped: number;
}

export interface ReportPrediction {
  /** False when the theory does not apply (loss, activation) or the analysis could not run. */
  available: boolean;
  reason?: string;
  /** Predicted loss on fresh data from the model's distribution, in the report's loss convention. */
  testLoss: number | null;
  /** [low, high] at calibration.intervalLevel. */
  interval: [number, number] | null;
  /** The model's ratio lies outside the reference family's range. */
  extrapolated: boolean;
  /** The model's R = F_sym / F_LB (the prediction reads R only when no flattest interpolator was found, else rho + D). */
  ratio: number | null;
  /** The model's disagreement D with the flattest interpolators found (mean over the interpolating searches, leaving out one whose function the model reproduces), on probe inputs (the predictor's input). */
  disagreement: number | null;
  /** Predicted test loss over the loss of predicting the targets' mean (what the verdict is read from). */
  relativeLoss: number | null;
  verdict: ReportVerdict;
  calibration: ReportCalibration | null;
  /** Measured loss on the user's test data, when given (same as report.test.loss). */
  measuredTestLoss: number | null;
  /** Training rows the search and calibration used (a seeded subsample when the data is large). */
  trainingRowsUsed: number;
  caveats: string[];
}

/** A trained network as plain arrays (row-major, the TwoLayerModel layout), saveable as safetensors. */
export interface FoundNetwork {
  inputDim: number;
  hiddenDim: number;
  outputDim: number;
  activation: string;
  /** m x d row-major. */
  hiddenWeights: number[];
  hiddenBias: number[] | null;
  /** c x m row-major. */
  outputWeights: number[];
  outputBias: number[] | null;
}

export interface FlattestRun {
  width: number;
  seed: number;
  normalized: number | null;
  meanSquaredError: number;
  interpolates: boolean;
  steps: number;
}

export interface ReportFlattest {
  /** F_found: normalized flatness of the flattest interpolator found (null if no run interpolated). */
  normalized: number | null;
  /** F_LB on the same rows. */
  lowerBound: number | null;
  /** The model's F_sym on the same rows. */
  modelNormalized: number | null;
  /** F_sym / F_LB: how far the model can at most be from the flattest. */
  ratioToLowerBound: number | null;
  /** F_sym / F_found: how far the model is at least from the flattest. */
  ratioToFound: number | null;
  /** F_found / F_LB: how tight the bracket [F_LB, F_found] on the flattest achievable is. */
  foundToLowerBound: number | null;
  network: FoundNetwork | null;
  runs: FlattestRun[];
  trainingRowsUsed: number;
}

/** One model of a comparison (several models, one data set, one shared calibration). */
export interface ComparisonRow {
  path: string;
  hiddenDim: number;
  interpolates: boolean;
  trace: number;
  normalized: number | null;
  ratio: number | null;
  /** The model's disagreement D with the flattest interpolators found (the predictor's input), when predicted. */
  disagreement: number | null;
  pathNorm: number | null;
  /** Top Hessian eigenvalue, when the curvature module is available. */
  topEigenvalue: number | null;
  predictedTestLoss: number | null;
  interval: [number, number] | null;
  verdict: ReportVerdict;
  /** Measured loss on the test data, when given. */
  testLoss: number | null;
  /** 1 = predicted to generalize best. */
  rank: number;
  warnings: string[];
}

/** The head of a document about several models of one data set (a comparison, a training run). */
export interface MultiModelHeader {
  schemaVersion: string;
  tool: { name: 'flatness-lens'; version: string };
  createdAt: string;
  data: { path: string; n: number; d: number };
  test: { path: string; n: number } | null;
  loss: { kind: LossKind; convention: string };
}

export interface ComparisonReport extends MultiModelHeader {
  lowerBound: number | null;
  /** Rows sorted by predicted test loss (best first). */
  models: ComparisonRow[];
  calibration: ReportCalibration | null;
  flattestNormalized: number | null;
  /** Kendall tau-b of each measure against the measured test loss (with test data). */
  kendallTau: Record<string, number | null> | null;
  notes: string[];
}
