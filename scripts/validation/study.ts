/**
 * The validation study of the generalization prediction (issue 6): synthetic sums of single-index
 * ReLU models, a zoo of interpolators per task, population loss on fresh samples, and how well
 * each measure ranks the zoo. Nothing here looks at population samples when predicting: the
 * calibration and the flattest search see the task's training set only.
 */
import type { TwoLayerModel } from '../../src/engine/model/types';
import type { ReportVerdict } from '../../src/shared/report';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { RATIO_THRESHOLDS } from '../../src/engine/analysis/verdict';
import { makeLossSpec } from '../../src/engine/math/losses';
import { SeededRandom } from '../../src/engine/math/random';
import {
  type TrainingArrays, evaluateObjective, initialNetwork, toDataset, trainNetwork,
} from '../../src/engine/predict/trainer';
import { randomFeatureInterpolator, withPoisonedPoints } from '../../src/engine/predict/randomFeatures';
import { DEFAULT_PREDICTION_BUDGET, type PredictionBudget, predictModel, preparePrediction } from '../../src/engine/predict/predictor';
import { kendallTauFinite } from '../../src/engine/predict/kendall';
import { calibrationReport } from '../../src/engine/predict/calibration';
import type { Dataset } from '../../src/engine/data/types';
import type { LossSpec } from '../../src/engine/math/losses';
import { topHessianEigenvalue } from '../../src/engine/predict/topEigenvalue';
import { computeSharpness } from '../../src/engine/curvature/sharpness';

export interface TaskSpec {
  id: string;
  /** The factor this task varies (tasks of one family differ in that factor only). */
  family: string;
  d: number;
  n: number;
  indices: number;
  noise: number;
  width: number;
  seed: number;
  populationSamples: number;
}

export interface StudyMode {
  name: 'small' | 'full';
  tasks: TaskSpec[];
  budget: PredictionBudget;
  maxSteps: number;
  /** Zoo members to build (by kind). */
  zoo: readonly ZooKind[];
}

export type ZooKind =
  | 'target' | 'gd-small' | 'gd-standard' | 'gd-large' | 'random-features' | 'poisoned-gd'
  | 'poisoned-random-features' | 'flattest-search';

const ALL_KINDS: readonly ZooKind[] = ['target', 'gd-small', 'gd-standard', 'gd-large', 'random-features', 'poisoned-gd', 'poisoned-random-features', 'flattest-search'];

const base = { d: 20, n: 200, indices: 2, noise: 0, width: 128, populationSamples: 5000 };

export const FULL_MODE: StudyMode = {
  name: 'full',
  tasks: [
    { ...base, id: 'base d20 n200 k2 s0', family: 'base', seed: 1 },
    { ...base, id: 'dim d10', family: 'dimension', d: 10, seed: 2 },
    { ...base, id: 'dim d40', family: 'dimension', d: 40, seed: 3 },
    { ...base, id: 'size n100', family: 'sample size', n: 100, seed: 4 },
    { ...base, id: 'size n400', family: 'sample size', n: 400, seed: 5 },
    { ...base, id: 'indices k1', family: 'indices', indices: 1, seed: 6 },
    { ...base, id: 'indices k4', family: 'indices', indices: 4, seed: 7 },
    { ...base, id: 'noise 0.25', family: 'noise', noise: 0.25, seed: 8 },
    { ...base, id: 'noise 0.5', family: 'noise', noise: 0.5, seed: 9 },
  ],
  budget: { ...DEFAULT_PREDICTION_BUDGET, maxRows: 1000, maxWidth: 256, splits: 2, flattestRestarts: 1 },
  maxSteps: 4000,
  zoo: ALL_KINDS,
};

export const SMALL_MODE: StudyMode = {
  name: 'small',
  tasks: [{ id: 'small d8 n60 k1 s0', family: 'small', d: 8, n: 60, indices: 1, noise: 0, width: 32, seed: 11, populationSamples: 2000 }],
  budget: { ...DEFAULT_PREDICTION_BUDGET, maxRows: 1000, maxWidth: 64, splits: 1, flattestRestarts: 1, maxSteps: 3000 },
  maxSteps: 3000,
  zoo: ['target', 'gd-small', 'gd-standard', 'gd-large', 'poisoned-gd', 'flattest-search'],
};

// ---------------------------------------------------------------- tasks

export interface Task {
  spec: TaskSpec;
  directions: Float64Array[];
  train: TrainingArrays;
  population: TrainingArrays;
  /** Variance of f*(x) on the population sample. */
  targetVariance: number;
  /** Bayes loss in the mse convention: the label-noise variance. */
  noiseLoss: number;
}

function orthonormalDirections(d: number, count: number, random: SeededRandom): Float64Array[] {
  const directions: Float64Array[] = [];
  while (directions.length < count) {
    const v = random.normals(d);
    for (const u of directions) {
      let dot = 0;
      for (let l = 0; l < d; l++) dot += u[l]! * v[l]!;
      for (let l = 0; l < d; l++) v[l] = v[l]! - dot * u[l]!;
    }
    const norm = Math.hypot(...v);
    for (let l = 0; l < d; l++) v[l] = v[l]! / norm;
    directions.push(v);
  }
  return directions;
}

function targetValue(directions: Float64Array[], x: Float64Array, offset: number): number {
  let value = 0;
  for (const u of directions) {
    let z = 0;
    for (let l = 0; l < u.length; l++) z += u[l]! * x[offset + l]!;
    value += Math.max(0, z);
  }
  return value;
}

function sampleTask(directions: Float64Array[], d: number, count: number, noise: number, random: SeededRandom): { arrays: TrainingArrays; clean: Float64Array } {
  // Inputs rounded to float32 so the engine (float32 data) and the trainer see the same points.
  const x = Float64Array.from(Float32Array.from(random.normals(count * d)));
  const clean = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    clean[i] = targetValue(directions, x, i * d);
    y[i] = Math.fround(clean[i]! + noise * random.normal());
  }
  return { arrays: { n: count, d, c: 1, x, y }, clean };
}

export function makeTask(spec: TaskSpec): Task {
  const random = new SeededRandom(spec.seed * 7919);
  const directions = orthonormalDirections(spec.d, spec.indices, random);
  const train = sampleTask(directions, spec.d, spec.n, spec.noise, random).arrays;
  const population = sampleTask(directions, spec.d, spec.populationSamples, spec.noise, random);
  let mean = 0;
  for (const v of population.clean) mean += v / population.clean.length;
  let variance = 0;
  for (const v of population.clean) variance += (v - mean) ** 2 / population.clean.length;
  return { spec, directions, train, population: population.arrays, targetVariance: variance, noiseLoss: spec.noise ** 2 };
}

// ---------------------------------------------------------------- the zoo

export interface ZooMember {
  name: string;
  kind: ZooKind;
  rescaled: boolean;
  model: TwoLayerModel;
}

function targetNetwork(task: Task): TwoLayerModel {
  const { d } = task.spec;
  const k = task.directions.length;
  const hiddenWeights = new Float64Array(k * d);
  task.directions.forEach((u, j) => hiddenWeights.set(u, j * d));
  return {
    inputDim: d, hiddenDim: k, outputDim: 1, hiddenWeights, hiddenBias: null,
    outputWeights: new Float64Array(k).fill(1), outputBias: null,
    activation: { name: 'relu' }, activationSource: 'option', outputLink: 'identity',
    source: { path: 'memory://target', format: 'memory', tensorNames: [], notes: [] },
  };
}

/** Per-neuron rescaling by t_j = exp(N(0, 1.5^2)): the same function, a different raw trace. */
export function rescaledCopy(model: TwoLayerModel, seed: number): TwoLayerModel {
  const random = new SeededRandom(seed);
  const { inputDim: d, hiddenDim: m } = model;
  const hiddenWeights = model.hiddenWeights.slice();
  const outputWeights = model.outputWeights.slice();
  for (let j = 0; j < m; j++) {
    const t = Math.exp(1.5 * random.normal());
    for (let l = 0; l < d; l++) hiddenWeights[j * d + l] = hiddenWeights[j * d + l]! * t;
    outputWeights[j] = outputWeights[j]! / t;
  }
  return { ...model, hiddenWeights, outputWeights };
}

async function buildZoo(task: Task, mode: StudyMode, flattest: TwoLayerModel | null): Promise<ZooMember[]> {
  const { spec, train } = task;
  const members: ZooMember[] = [];
  const gd = async (data: TrainingArrays, scale: number, seed: number) => {
    const width = Math.max(spec.width, Math.ceil((2 * data.n) / spec.d));
    const start = initialNetwork({ inputDim: spec.d, hiddenDim: width, outputDim: 1, scale, hiddenBias: false, outputBias: false, activation: { name: 'relu' }, seed });
    return (await trainNetwork(start, data, 2, { maxSteps: mode.maxSteps, learningRate: scale < 0.2 ? 0.005 : 0.01, targetMse: 1e-5 })).model;
  };
  const seed = spec.seed * 104729;
  for (const kind of mode.zoo) {
    let model: TwoLayerModel | null = null;
    switch (kind) {
      case 'target':
        // Only an interpolator when the labels are noiseless.
        if (spec.noise === 0) model = targetNetwork(task);
        break;
      case 'gd-small': model = await gd(train, 0.05, seed + 1); break;
      case 'gd-standard': model = await gd(train, 1, seed + 2); break;
      case 'gd-large': model = await gd(train, 4, seed + 3); break;
      case 'random-features': model = randomFeatureInterpolator(train, 4 * spec.n, { name: 'relu' }, seed + 4); break;
      case 'poisoned-gd': model = await gd(withPoisonedPoints(train, spec.n, 1, seed + 5), 1, seed + 5); break;
      case 'poisoned-random-features': {
        const poisoned = withPoisonedPoints(train, Math.ceil(spec.n / 4), 1, seed + 6);
        model = randomFeatureInterpolator(poisoned, 4 * poisoned.n, { name: 'relu' }, seed + 6);
        break;
      }
      case 'flattest-search': model = flattest; break;
    }
    if (!model) continue;
    members.push({ name: kind, kind, rescaled: false, model });
    members.push({ name: `${kind} (rescaled)`, kind, rescaled: true, model: rescaledCopy(model, seed + 99 + members.length) });
  }
  return members;
}

// ---------------------------------------------------------------- one task

/** Adaptive-sharpness radius of the study (elementwise-scaled ball, invariant under the symmetry). */
export const SHARPNESS_RHO = 0.05;

/** Top Hessian eigenvalue (Lanczos) and adaptive sharpness from the curvature module. */
async function curvatureMeasures(model: TwoLayerModel, data: Dataset, loss: LossSpec): Promise<{ topEigenvalue: number | null; adaptiveSharpness: number | null }> {
  const topEigenvalue = await topHessianEigenvalue(model, data, loss);
  const sharpness = await computeSharpness(model, data, loss, { rhos: [SHARPNESS_RHO], averageSamples: 1 });
  return { topEigenvalue, adaptiveSharpness: sharpness.adaptive[0]?.lossIncrease ?? null };
}

export interface MemberResult {
  name: string;
  kind: ZooKind;
  rescaled: boolean;
  width: number;
  interpolates: boolean;
  trainMse: number;
  populationLoss: number;
  /** (population loss - noise) / Var f*. */
  relativeExcess: number;
  trace: number;
  normalized: number | null;
  ratio: number | null;
  ratioToFound: number | null;
  pathNorm: number | null;
  invariantDiagonal: number | null;
  topEigenvalue: number | null;
  adaptiveSharpness: number | null;
  predictedTestLoss: number | null;
  interval: [number, number] | null;
  extrapolated: boolean;
  coreVerdict: ReportVerdict['level'];
  predictionVerdict: ReportVerdict['level'];
}

export interface TaskResult {
  spec: TaskSpec;
  targetVariance: number;
  noiseLoss: number;
  lowerBound: number | null;
  flattestNormalized: number | null;
  flattestRatio: number | null;
  calibrationPoints: { kind: string; ratio: number; heldOutLoss: number }[];
  calibrationCurve: { ratio: number; loss: number }[];
  members: MemberResult[];
  seconds: number;
}

export async function runTask(spec: TaskSpec, mode: StudyMode, log: (line: string) => void = () => {}): Promise<TaskResult> {
  const started = performance.now();
  const task = makeTask(spec);
  const loss = makeLossSpec('mse', 1);
  const trainData = toDataset(task.train, `memory://${spec.id}`);
  const setup = await preparePrediction(trainData, loss, { width: spec.width, activation: { name: 'relu' }, hiddenBias: false, outputBias: false }, 1e-4, mode.budget);
  log(`  ${spec.id}: calibration ${setup.calibration.points.length} points, flattest F_found ${setup.flattest.normalized?.toPrecision(4)}`);
  const zoo = await buildZoo(task, mode, setup.flattest.model);
  const members: MemberResult[] = [];
  for (const member of zoo) {
    const report = await analyzeLoaded(member.model, trainData, { backend: 'cpu' });
    const populationLoss = evaluateObjective(member.model, task.population, 2, 1, 0, null).loss;
    const predicted = await predictModel(setup, member.model, report.flatness, report.interpolation, null);
    const p = predicted.prediction;
    const curvature = await curvatureMeasures(member.model, trainData, loss);
    members.push({
      name: member.name,
      kind: member.kind,
      rescaled: member.rescaled,
      width: member.model.hiddenDim,
      interpolates: report.interpolation.interpolates,
      trainMse: report.interpolation.measured,
      populationLoss,
      relativeExcess: (populationLoss - task.noiseLoss) / task.targetVariance,
      trace: report.flatness.trace,
      normalized: report.flatness.normalized.value,
      ratio: report.flatness.ratio.value,
      ratioToFound: predicted.flattest.ratioToFound,
      pathNorm: report.flatness.pathNorm.value,
      invariantDiagonal: report.flatness.invariantDiagonal.value,
      topEigenvalue: curvature.topEigenvalue,
      adaptiveSharpness: curvature.adaptiveSharpness,
      predictedTestLoss: p.testLoss,
      interval: p.interval,
      extrapolated: p.extrapolated,
      coreVerdict: report.verdict.level,
      predictionVerdict: p.verdict.level,
    });
  }
  return {
    spec,
    targetVariance: task.targetVariance,
    noiseLoss: task.noiseLoss,
    lowerBound: setup.flattest.lowerBound,
    flattestNormalized: setup.flattest.normalized,
    flattestRatio: setup.flattest.normalized !== null && setup.flattest.lowerBound ? setup.flattest.normalized / setup.flattest.lowerBound : null,
    calibrationPoints: setup.calibration.points.map((q) => ({ kind: q.kind, ratio: q.ratio, heldOutLoss: q.heldOutLoss })),
    calibrationCurve: calibrationReport(setup.calibration, 1, 1).curve,
    members,
    seconds: (performance.now() - started) / 1000,
  };
}

// ---------------------------------------------------------------- summary

/** The ground truth a verdict is judged against, fixed before the study was run. */
export const TRUTH = {
  /** "flattest order" is right when the excess population loss is at most this share of Var f*. */
  flatMax: 0.2,
  /** "far from the flattest" is right when it is at least this share. */
  sharpMin: 0.5,
  /** "in between" is right inside this band. */
  between: [0.05, 1.0] as [number, number],
};

export function verdictIsRight(level: ReportVerdict['level'], relativeExcess: number): boolean {
  switch (level) {
    case 'flat': return relativeExcess <= TRUTH.flatMax;
    case 'sharp': return relativeExcess >= TRUTH.sharpMin;
    case 'in-between': return relativeExcess >= TRUTH.between[0] && relativeExcess <= TRUTH.between[1];
    default: return false;
  }
}

function levelFor(value: number, flat: number, sharp: number): ReportVerdict['level'] {
  return value <= flat ? 'flat' : value <= sharp ? 'in-between' : 'sharp';
}

const THRESHOLD_GRID = Array.from({ length: 41 }, (_, i) => Number(Math.pow(10, i * 0.05).toPrecision(3))); // 1 .. 100

/**
 * Thresholds (flat, sharp) maximising verdict accuracy on the given (value, excess) pairs. Among
 * the pairs that reach the maximum, the median flat threshold and then the median sharp one are
 * taken, so the choice sits inside the plateau rather than on its edge.
 */
export function bestThresholds(pairs: readonly { value: number; excess: number }[]): { flat: number; sharp: number; accuracy: number } {
  let bestAccuracy = -1;
  let plateau: { flat: number; sharp: number }[] = [];
  for (const flat of THRESHOLD_GRID) {
    for (const sharp of THRESHOLD_GRID) {
      if (sharp < flat) continue;
      const right = pairs.filter((p) => verdictIsRight(levelFor(p.value, flat, sharp), p.excess)).length;
      const accuracy = pairs.length ? right / pairs.length : 0;
      if (accuracy > bestAccuracy + 1e-12) {
        bestAccuracy = accuracy;
        plateau = [];
      }
      if (Math.abs(accuracy - bestAccuracy) <= 1e-12) plateau.push({ flat, sharp });
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
  const flat = median([...new Set(plateau.map((p) => p.flat))]);
  const sharp = median(plateau.filter((p) => p.flat === flat).map((p) => p.sharp));
  return { flat, sharp, accuracy: bestAccuracy };
}

/** Relative difference below which two values are tied (float32 pre-activations make rescaled copies differ at ~1e-7). */
export const TIE_TOLERANCE = 1e-5;

export const MEASURES = ['trace', 'topEigenvalue', 'adaptiveSharpness', 'normalized', 'ratio', 'ratioToFound', 'pathNorm', 'invariantDiagonal', 'predictedTestLoss'] as const;
export type Measure = typeof MEASURES[number];

function measureValue(member: MemberResult, measure: Measure): number | null {
  // Results stored before the curvature measures existed lack them.
  return member[measure] ?? null;
}

export interface StudySummary {
  mode: string;
  tasks: number;
  models: number;
  interpolators: number;
  /** Kendall tau-b against population loss, per task and averaged per family and overall. */
  tauByTask: Record<string, Record<Measure, number | null>>;
  tauByFamily: Record<string, Record<Measure, number | null>>;
  tauOverall: Record<Measure, number | null>;
  /** Share of interpolators whose population loss lies in the predicted interval. */
  coverage: number;
  coverageByTask: Record<string, number>;
  /** Verdict accuracy with the thresholds committed in verdict.ts. */
  verdictAccuracy: { core: number; prediction: number };
  committedThresholds: { ratio: { flat: number; sharp: number } };
  /** Thresholds the study selects (on all tasks) and their leave-one-task-out accuracy. */
  selectedThresholds: { ratio: { flat: number; sharp: number; accuracy: number }; ratioToFound: { flat: number; sharp: number; accuracy: number } };
  leaveOneTaskOutAccuracy: { ratio: number; ratioToFound: number };
  goals: { name: string; target: string; measured: string; met: boolean }[];
  notes: string[];
}

function mean(values: readonly (number | null)[]): number | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : null;
}

export function summarize(results: readonly TaskResult[], mode: string): StudySummary {
  const tauByTask: StudySummary['tauByTask'] = {};
  const coverageByTask: Record<string, number> = {};
  const interpolatorsOf = (r: TaskResult) => r.members.filter((m) => m.interpolates && m.ratio !== null);
  for (const result of results) {
    const members = interpolatorsOf(result);
    const population = members.map((m) => m.populationLoss);
    tauByTask[result.spec.id] = Object.fromEntries(MEASURES.map((measure) => [measure, kendallTauFinite(members.map((m) => measureValue(m, measure)), population, TIE_TOLERANCE)])) as Record<Measure, number | null>;
    const withInterval = members.filter((m) => m.interval !== null);
    coverageByTask[result.spec.id] = withInterval.filter((m) => m.populationLoss >= m.interval![0] && m.populationLoss <= m.interval![1]).length / Math.max(1, withInterval.length);
  }
  const families = [...new Set(results.map((r) => r.spec.family))];
  const tauByFamily: StudySummary['tauByFamily'] = {};
  for (const family of families) {
    const ids = results.filter((r) => r.spec.family === family).map((r) => r.spec.id);
    tauByFamily[family] = Object.fromEntries(MEASURES.map((measure) => [measure, mean(ids.map((id) => tauByTask[id]![measure]))])) as Record<Measure, number | null>;
  }
  const tauOverall = Object.fromEntries(MEASURES.map((measure) => [measure, mean(results.map((r) => tauByTask[r.spec.id]![measure]))])) as Record<Measure, number | null>;
  const all = results.flatMap(interpolatorsOf);
  const withInterval = all.filter((m) => m.interval !== null);
  const coverage = withInterval.filter((m) => m.populationLoss >= m.interval![0] && m.populationLoss <= m.interval![1]).length / Math.max(1, withInterval.length);
  const accuracy = (pick: (m: MemberResult) => ReportVerdict['level']) => all.filter((m) => verdictIsRight(pick(m), m.relativeExcess)).length / Math.max(1, all.length);
  const pairs = (results_: readonly TaskResult[], key: 'ratio' | 'ratioToFound') => results_.flatMap(interpolatorsOf)
    .filter((m) => m[key] !== null).map((m) => ({ value: m[key]!, excess: m.relativeExcess }));
  const selectedRatio = bestThresholds(pairs(results, 'ratio'));
  const selectedFound = bestThresholds(pairs(results, 'ratioToFound'));
  const loto = (key: 'ratio' | 'ratioToFound') => {
    let right = 0;
    let total = 0;
    for (const held of results) {
      const chosen = bestThresholds(pairs(results.filter((r) => r !== held), key));
      for (const p of pairs([held], key)) {
        total++;
        if (verdictIsRight(levelFor(p.value, chosen.flat, chosen.sharp), p.excess)) right++;
      }
    }
    return total ? right / total : NaN;
  };
  const verdictAccuracy = { core: accuracy((m) => m.coreVerdict), prediction: accuracy((m) => m.predictionVerdict) };
  const familyTaus = families.map((f) => tauByFamily[f]!.predictedTestLoss);
  const worstFamilyTau = Math.min(...familyTaus.map((t) => t ?? -1));
  const worstTaskTau = Math.min(...results.map((r) => tauByTask[r.spec.id]!.predictedTestLoss ?? -1));
  const goals = [
    { name: 'predicted test loss ranks the zoo', target: 'Kendall tau >= 0.8 in every task family', measured: `worst family ${worstFamilyTau.toFixed(3)}, worst task ${worstTaskTau.toFixed(3)}, mean ${tauOverall.predictedTestLoss?.toFixed(3)}`, met: worstFamilyTau >= 0.8 },
    { name: 'interval holds the population loss', target: '>= 80% of models', measured: `${(100 * coverage).toFixed(1)}%`, met: coverage >= 0.8 },
    { name: 'verdict is right', target: '>= 90% of models', measured: `prediction verdict ${(100 * verdictAccuracy.prediction).toFixed(1)}%, R-only verdict ${(100 * verdictAccuracy.core).toFixed(1)}%`, met: verdictAccuracy.prediction >= 0.9 },
  ];
  return {
    mode,
    tasks: results.length,
    models: results.reduce((s, r) => s + r.members.length, 0),
    interpolators: all.length,
    tauByTask,
    tauByFamily,
    tauOverall,
    coverage,
    coverageByTask,
    verdictAccuracy,
    committedThresholds: { ratio: { ...RATIO_THRESHOLDS } },
    selectedThresholds: { ratio: selectedRatio, ratioToFound: selectedFound },
    leaveOneTaskOutAccuracy: { ratio: loto('ratio'), ratioToFound: loto('ratioToFound') },
    goals,
    notes: [
      `Top eigenvalue: Lanczos on the exact Hessian (src/engine/curvature). Adaptive sharpness: max over ||eps / |theta| ||_2 <= ${SHARPNESS_RHO} of L(theta + eps) - L(theta) by projected gradient ascent (a lower bound on the maximum; invariant under the rescaling symmetry).`,
      'Within one task F_LB is a constant of the data, so the ratio ranks exactly like the normalized flatness, and any monotone calibration of it (the predicted test loss) ranks like the ratio up to ties.',
      'Non-interpolating zoo members are listed but left out of every figure (the theory is about interpolators).',
    ],
  };
}
