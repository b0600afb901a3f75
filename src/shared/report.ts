/**
 * The versioned analysis report: the one document every view (terminal, HTML, webview, JSON
 * export) renders. schema/report.schema.json describes the same shape for other tools.
 * Bump REPORT_SCHEMA_VERSION on any incompatible change.
 */
export const REPORT_SCHEMA_VERSION = '1.0.0';

export type LossKind = 'mse' | 'mse-half' | 'mse-mean' | 'ce';
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
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
  status: 'ok' | 'dead' | 'not-at-minimum' | 'not-homogeneous';
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

/** Sections added by later analyses; absent when not computed. */
export interface ReportSpectrum {
  top: number[];
  bottom: number[];
  residuals: number[];
  tolerance: number;
  density?: { grid: number[]; values: number[]; probes: number; steps: number };
  [extra: string]: unknown;
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
  sharpness?: Record<string, unknown>;
  landscape?: Record<string, unknown>;
  /** The same analyses at the canonical rescaling (each neuron at its t*_j). */
  canonical?: Record<string, unknown>;
  /** Generalization prediction. */
  prediction?: Record<string, unknown>;
  flattest?: Record<string, unknown>;
  /** Measured loss on user-supplied test data. */
  test?: { path: string; n: number; loss: number; meanSquaredError: number | null; accuracy: number | null };
}
