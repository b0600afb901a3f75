/**
 * The validation study of the generalization prediction (issue 6): synthetic sums of single-index
 * ReLU models, a zoo of interpolators per task, population loss on fresh samples, and how well
 * each measure ranks the zoo. Nothing here looks at population samples when predicting: the
 * calibration and the flattest search see the task's training set only.
 */
import type { ActivationSpec, TwoLayerModel } from '../../src/engine/model/types';
import type { ReportVerdict } from '../../src/shared/report';
import { analyzeLoaded } from '../../src/engine/analysis/analyzeLoaded';
import { RATIO_THRESHOLDS, RELATIVE_LOSS_THRESHOLDS, activationSlopeFactor } from '../../src/engine/analysis/verdict';
import { makeLossSpec } from '../../src/engine/math/losses';
import { SeededRandom } from '../../src/engine/math/random';
import {
  type TrainingArrays, evaluateObjective, initialNetwork, toDataset, trainNetwork, zeroGradient,
} from '../../src/engine/predict/trainer';
import { randomFeatureInterpolator, withPoisonedPoints } from '../../src/engine/predict/randomFeatures';
import { DEFAULT_PREDICTION_BUDGET, type PredictionBudget, predictModel, preparePrediction } from '../../src/engine/predict/predictor';
import { kendallTauFinite } from '../../src/engine/predict/kendall';
import { calibrationReport, subsetArrays } from '../../src/engine/predict/calibration';
import { DEFAULT_INTERPOLATION_TOLERANCE } from '../../src/engine/analysis/analyzeLoaded';
import type { Dataset } from '../../src/engine/data/types';
import type { LossSpec } from '../../src/engine/math/losses';
import { topHessianEigenvalue } from '../../src/engine/predict/topEigenvalue';
import { computeSharpness } from '../../src/engine/curvature/sharpness';

/** How a task draws its inputs. */
export type InputKind = 'gaussian' | 'spiked' | 'uniform-shifted' | 'rademacher';

export interface TaskSpec {
  id: string;
  /** 'in': made like the reference family (isotropic Gaussian inputs, no biases); 'out': not. */
  family: 'in' | 'out';
  d: number;
  n: number;
  indices: number;
  noise: number;
  /** Width of the standard zoo networks. */
  width: number;
  seed: number;
  populationSamples: number;
  inputs: InputKind;
  /** Hidden and output biases in the target and every zoo network. */
  biases: boolean;
  /** Activation of every network (the target stays a sum of ReLU indices); ReLU when absent. */
  activation?: ActivationSpec;
}

const activationOf = (spec: TaskSpec): ActivationSpec => spec.activation ?? { name: 'relu' };

export interface StudyMode {
  name: 'small' | 'full';
  tasks: TaskSpec[];
  budget: PredictionBudget;
  maxSteps: number;
  /** Zoo members to build (by kind). */
  zoo: readonly ZooKind[];
}

/** Recipes of the reference family (in-family) and recipes it never uses (out-of-family). */
export const IN_FAMILY_KINDS = ['target', 'gd-small', 'gd-standard', 'gd-large', 'random-features', 'poisoned-gd', 'poisoned-random-features', 'flattest-search'] as const;
export const OUT_OF_FAMILY_KINDS = ['sgd-momentum', 'adamw', 'adam-wide', 'adam-narrow', 'adam-scale-2', 'poisoned-mild', 'random-features-narrow'] as const;
export type ZooKind = typeof IN_FAMILY_KINDS[number] | typeof OUT_OF_FAMILY_KINDS[number];

const ALL_KINDS: readonly ZooKind[] = [...IN_FAMILY_KINDS, ...OUT_OF_FAMILY_KINDS];

const base = { d: 20, n: 200, indices: 2, noise: 0, width: 64, populationSamples: 5000, inputs: 'gaussian' as InputKind, biases: false };

export const FULL_MODE: StudyMode = {
  name: 'full',
  tasks: [
    { ...base, id: 'gauss d20 n200 k2', family: 'in', seed: 1 },
    { ...base, id: 'gauss d20 k2 noise 0.25', family: 'in', noise: 0.25, seed: 8 },
    { ...base, id: 'gauss d10 n100 k1', family: 'in', d: 10, n: 100, indices: 1, seed: 6 },
    { ...base, id: 'spiked cov, biases', family: 'out', inputs: 'spiked', biases: true, seed: 21 },
    { ...base, id: 'uniform shifted d30 k3', family: 'out', inputs: 'uniform-shifted', d: 30, indices: 3, seed: 22 },
    { ...base, id: 'rademacher noise 0.25, biases', family: 'out', inputs: 'rademacher', noise: 0.25, biases: true, seed: 23 },
    { ...base, id: 'leaky(0.1) networks d20 k2', family: 'out', activation: { name: 'leaky_relu', slope: 0.1 }, seed: 24 },
  ],
  budget: { ...DEFAULT_PREDICTION_BUDGET },
  maxSteps: 3000,
  zoo: ALL_KINDS,
};

export const SMALL_MODE: StudyMode = {
  name: 'small',
  tasks: [{ id: 'small d8 n60 k1', family: 'in', d: 8, n: 60, indices: 1, noise: 0, width: 32, seed: 11, populationSamples: 2000, inputs: 'gaussian', biases: false }],
  budget: { ...DEFAULT_PREDICTION_BUDGET },
  maxSteps: 3000,
  zoo: ['target', 'gd-small', 'gd-standard', 'gd-large', 'poisoned-gd', 'flattest-search', 'sgd-momentum'],
};

// ---------------------------------------------------------------- tasks

export interface Task {
  spec: TaskSpec;
  directions: Float64Array[];
  /** The spike direction of 'spiked' inputs. */
  spike: Float64Array | null;
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

/** Hidden bias of each target neuron and the target's output bias, for tasks with biases. */
const TARGET_BIAS = { hidden: -0.3, output: 0.5 };

function targetValue(task: { directions: Float64Array[]; spec: TaskSpec }, x: Float64Array, offset: number): number {
  let value = task.spec.biases ? TARGET_BIAS.output : 0;
  for (const u of task.directions) {
    let z = task.spec.biases ? TARGET_BIAS.hidden : 0;
    for (let l = 0; l < u.length; l++) z += u[l]! * x[offset + l]!;
    value += Math.max(0, z);
  }
  return value;
}

const SPIKE_VARIANCE = 9;
const UNIFORM_SHIFT = 0.3;

function drawInputs(spec: TaskSpec, spike: Float64Array | null, count: number, random: SeededRandom): Float64Array {
  const { d } = spec;
  const x = new Float64Array(count * d);
  for (let i = 0; i < count; i++) {
    const row = x.subarray(i * d, (i + 1) * d);
    switch (spec.inputs) {
      case 'gaussian':
        for (let l = 0; l < d; l++) row[l] = random.normal();
        break;
      case 'spiked': {
        // Covariance I + (SPIKE_VARIANCE - 1) v v^T.
        for (let l = 0; l < d; l++) row[l] = random.normal();
        let along = 0;
        for (let l = 0; l < d; l++) along += spike![l]! * row[l]!;
        const extra = (Math.sqrt(SPIKE_VARIANCE) - 1) * along;
        for (let l = 0; l < d; l++) row[l] = row[l]! + extra * spike![l]!;
        break;
      }
      case 'uniform-shifted':
        for (let l = 0; l < d; l++) row[l] = (2 * random.uniform() - 1) * Math.sqrt(3) + UNIFORM_SHIFT;
        break;
      case 'rademacher':
        for (let l = 0; l < d; l++) row[l] = random.uniform() < 0.5 ? -1 : 1;
        break;
    }
  }
  // Rounded to float32 so the engine (float32 data) and the trainer see the same points.
  return Float64Array.from(Float32Array.from(x));
}

function sampleTask(task: { directions: Float64Array[]; spec: TaskSpec; spike: Float64Array | null }, count: number, random: SeededRandom): { arrays: TrainingArrays; clean: Float64Array } {
  const { d, noise } = task.spec;
  const x = drawInputs(task.spec, task.spike, count, random);
  const clean = new Float64Array(count);
  const y = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    clean[i] = targetValue(task, x, i * d);
    y[i] = Math.fround(clean[i]! + noise * random.normal());
  }
  return { arrays: { n: count, d, c: 1, x, y }, clean };
}

export function makeTask(spec: TaskSpec): Task {
  const random = new SeededRandom(spec.seed * 7919);
  const directions = orthonormalDirections(spec.d, spec.indices, random);
  // The spike mixes the first index with a random direction: the inputs' covariance is not aligned with the target.
  let spike: Float64Array | null = null;
  if (spec.inputs === 'spiked') {
    const v = random.normals(spec.d);
    for (let l = 0; l < spec.d; l++) v[l] = v[l]! / Math.sqrt(spec.d) + directions[0]![l]!;
    const norm = Math.hypot(...v);
    spike = v.map((value) => value / norm);
  }
  const shape = { directions, spec, spike };
  const train = sampleTask(shape, spec.n, random).arrays;
  const population = sampleTask(shape, spec.populationSamples, random);
  let mean = 0;
  for (const v of population.clean) mean += v / population.clean.length;
  let variance = 0;
  for (const v of population.clean) variance += (v - mean) ** 2 / population.clean.length;
  return { spec, directions, spike, train, population: population.arrays, targetVariance: variance, noiseLoss: spec.noise ** 2 };
}

// ---------------------------------------------------------------- the zoo

export interface ZooMember {
  name: string;
  kind: ZooKind;
  model: TwoLayerModel;
}

/**
 * The target as a network of the task's activation. With leaky ReLU of slope q each index needs
 * two neurons: relu(z) = (leaky(z) + q leaky(-z)) / (1 - q^2).
 */
function targetNetwork(task: Task): TwoLayerModel {
  const { d } = task.spec;
  const activation = activationOf(task.spec);
  const q = activation.name === 'leaky_relu' ? (activation.slope ?? 0.01) : null;
  const k = task.directions.length;
  const m = q === null ? k : 2 * k;
  const hiddenWeights = new Float64Array(m * d);
  const hiddenBias = task.spec.biases ? new Float64Array(m) : null;
  const outputWeights = new Float64Array(m);
  task.directions.forEach((u, j) => {
    hiddenWeights.set(u, j * d);
    if (hiddenBias) hiddenBias[j] = TARGET_BIAS.hidden;
    outputWeights[j] = q === null ? 1 : 1 / (1 - q * q);
    if (q !== null) {
      hiddenWeights.set(u.map((v) => -v), (k + j) * d);
      if (hiddenBias) hiddenBias[k + j] = -TARGET_BIAS.hidden;
      outputWeights[k + j] = q / (1 - q * q);
    }
  });
  return {
    inputDim: d, hiddenDim: m, outputDim: 1, hiddenWeights, hiddenBias, outputWeights,
    outputBias: task.spec.biases ? Float64Array.of(TARGET_BIAS.output) : null,
    activation: { ...activation }, activationSource: 'option', outputLink: 'identity',
    source: { path: 'memory://target', format: 'memory', tensorNames: [], notes: [] },
  };
}

/** Per-neuron rescaling by t_j = exp(N(0, 1.5^2)): the same function, a different raw trace. */
export function rescaledCopy(model: TwoLayerModel, seed: number): TwoLayerModel {
  const random = new SeededRandom(seed);
  const { inputDim: d, hiddenDim: m } = model;
  const hiddenWeights = model.hiddenWeights.slice();
  const hiddenBias = model.hiddenBias ? model.hiddenBias.slice() : null;
  const outputWeights = model.outputWeights.slice();
  for (let j = 0; j < m; j++) {
    const t = Math.exp(1.5 * random.normal());
    for (let l = 0; l < d; l++) hiddenWeights[j * d + l] = hiddenWeights[j * d + l]! * t;
    if (hiddenBias) hiddenBias[j] = hiddenBias[j]! * t;
    outputWeights[j] = outputWeights[j]! / t;
  }
  return { ...model, hiddenWeights, hiddenBias, outputWeights };
}

/**
 * Minibatch training (SGD with momentum, or AdamW with decoupled weight decay) for the
 * out-of-family zoo, then full-batch Adam without decay until the data is interpolated (decay
 * and minibatch noise stop short of it). The reference family never uses these trainers.
 */
async function minibatchTrain(start: TwoLayerModel, arrays: TrainingArrays, options: { optimizer: 'sgd-momentum' | 'adamw'; epochs: number; batch: number; learningRate: number; weightDecay: number; seed: number }, maxSteps: number): Promise<TwoLayerModel> {
  const model: TwoLayerModel = { ...start, hiddenWeights: start.hiddenWeights.slice(), hiddenBias: start.hiddenBias?.slice() ?? null, outputWeights: start.outputWeights.slice(), outputBias: start.outputBias?.slice() ?? null };
  const gradient = zeroGradient(model);
  const params = [model.hiddenWeights, model.outputWeights, ...(model.hiddenBias ? [model.hiddenBias] : []), ...(model.outputBias ? [model.outputBias] : [])];
  const grads = [gradient.hiddenWeights, gradient.outputWeights, ...(gradient.hiddenBias ? [gradient.hiddenBias] : []), ...(gradient.outputBias ? [gradient.outputBias] : [])];
  const first = params.map((p) => new Float64Array(p.length));
  const second = params.map((p) => new Float64Array(p.length));
  const random = new SeededRandom(options.seed);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const order = random.permutation(arrays.n);
    for (let startRow = 0; startRow < arrays.n; startRow += options.batch) {
      const batch = subsetArrays(arrays, order.slice(startRow, startRow + options.batch));
      evaluateObjective(model, batch, 2, 1, 0, gradient);
      step++;
      for (let p = 0; p < params.length; p++) {
        const param = params[p]!;
        const grad = grads[p]!;
        for (let q = 0; q < param.length; q++) {
          if (options.optimizer === 'sgd-momentum') {
            first[p]![q] = 0.9 * first[p]![q]! + grad[q]!;
            param[q] = param[q]! - options.learningRate * first[p]![q]!;
          } else {
            first[p]![q] = 0.9 * first[p]![q]! + 0.1 * grad[q]!;
            second[p]![q] = 0.999 * second[p]![q]! + 0.001 * grad[q]! ** 2;
            const update = (first[p]![q]! / (1 - 0.9 ** step)) / (Math.sqrt(second[p]![q]! / (1 - 0.999 ** step)) + 1e-8);
            param[q] = param[q]! * (1 - options.learningRate * options.weightDecay) - options.learningRate * update;
          }
        }
      }
    }
  }
  return (await trainNetwork(model, arrays, 2, { maxSteps, learningRate: 0.002, targetMse: 1e-5 })).model;
}

async function buildZoo(task: Task, mode: StudyMode, flattest: TwoLayerModel | null): Promise<ZooMember[]> {
  const { spec, train } = task;
  const members: ZooMember[] = [];
  const biases = spec.biases;
  const start = (width: number, scale: number, seed: number) => initialNetwork({ inputDim: spec.d, hiddenDim: width, outputDim: 1, scale, hiddenBias: biases, outputBias: biases, activation: activationOf(spec), seed });
  const enough = (points: number, width: number) => Math.max(width, Math.ceil((2 * points) / spec.d));
  const gd = async (data: TrainingArrays, scale: number, seed: number, width = spec.width) => {
    return (await trainNetwork(start(enough(data.n, width), scale, seed), data, 2, { maxSteps: mode.maxSteps, learningRate: scale < 0.2 ? 0.005 : 0.01, targetMse: 1e-5 })).model;
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
      case 'random-features': model = await randomFeatureInterpolator(train, 4 * spec.n, activationOf(spec), seed + 4, biases); break;
      case 'poisoned-gd': model = await gd(withPoisonedPoints(train, spec.n, 1, seed + 5), 1, seed + 5); break;
      case 'poisoned-random-features': {
        const poisoned = withPoisonedPoints(train, Math.ceil(spec.n / 4), 1, seed + 6);
        model = await randomFeatureInterpolator(poisoned, 4 * poisoned.n, activationOf(spec), seed + 6, biases);
        break;
      }
      case 'flattest-search': model = flattest; break;
      case 'sgd-momentum':
        model = await minibatchTrain(start(enough(spec.n, spec.width), 1, seed + 7), train, { optimizer: 'sgd-momentum', epochs: 60, batch: 20, learningRate: 0.01, weightDecay: 0, seed: seed + 7 }, mode.maxSteps);
        break;
      case 'adamw':
        model = await minibatchTrain(start(enough(spec.n, spec.width), 1, seed + 8), train, { optimizer: 'adamw', epochs: 60, batch: 20, learningRate: 0.003, weightDecay: 0.05, seed: seed + 8 }, mode.maxSteps);
        break;
      case 'adam-wide': model = await gd(train, 1, seed + 9, 256); break;
      case 'adam-narrow': model = await gd(train, 1, seed + 10, Math.max(16, Math.ceil((1.5 * spec.n) / spec.d))); break;
      case 'adam-scale-2': model = await gd(train, 2, seed + 11); break;
      case 'poisoned-mild': model = await gd(withPoisonedPoints(train, Math.ceil(spec.n / 10), 0.5, seed + 12), 0.5, seed + 12); break;
      case 'random-features-narrow': model = await randomFeatureInterpolator(train, Math.ceil(1.25 * spec.n), activationOf(spec), seed + 13, biases); break;
    }
    if (!model) continue;
    members.push({ name: kind, kind, model });
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

function squaredParameterNorm(model: TwoLayerModel): number {
  let sum = 0;
  for (const block of [model.hiddenWeights, model.outputWeights, model.hiddenBias, model.outputBias]) if (block) for (const v of block) sum += v * v;
  return sum;
}

export interface MemberResult {
  name: string;
  kind: ZooKind;
  /** In-family: an in-family task and a reference-family recipe. */
  inFamily: boolean;
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
  squaredParameterNorm: number;
  trainLoss: number;
  invariantDiagonal: number | null;
  topEigenvalue: number | null;
  adaptiveSharpness: number | null;
  disagreement: number | null;
  predictedTestLoss: number | null;
  interval: [number, number] | null;
  extrapolated: boolean;
  coreVerdict: ReportVerdict['level'];
  predictionVerdict: ReportVerdict['level'];
  /** |prediction of a per-neuron rescaled copy / prediction - 1|. */
  rescaledDifference: number | null;
}

export interface TaskResult {
  spec: TaskSpec;
  targetVariance: number;
  noiseLoss: number;
  lowerBound: number | null;
  flattestNormalized: number | null;
  flattestRatio: number | null;
  calibrationPoints: { kind: string; ratio: number; heldOutLoss: number; disagreement: number | null }[];
  calibrationCurve: { ratio: number; loss: number }[];
  calibrationCoverage: { inside: number; checked: number };
  members: MemberResult[];
  seconds: number;
}

export async function runTask(spec: TaskSpec, mode: StudyMode, log: (line: string) => void = () => {}): Promise<TaskResult> {
  const started = performance.now();
  const task = makeTask(spec);
  const loss = makeLossSpec('mse', 1);
  const trainData = toDataset(task.train, `memory://${spec.id}`);
  const setup = await preparePrediction(trainData, loss, { width: spec.width, activation: activationOf(spec), hiddenBias: spec.biases, outputBias: spec.biases }, DEFAULT_INTERPOLATION_TOLERANCE, mode.budget);
  log(`  ${spec.id}: calibration ${setup.calibration.points.length} points, flattest F_found ${setup.flattest.normalized?.toPrecision(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const zoo = await buildZoo(task, mode, setup.flattest.model);
  log(`  ${spec.id}: zoo of ${zoo.length} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  const members: MemberResult[] = [];
  for (const [index, member] of zoo.entries()) {
    const report = await analyzeLoaded(member.model, trainData, { backend: 'wasm' });
    const populationLoss = evaluateObjective(member.model, task.population, 2, 1, 0, null).loss;
    const predicted = await predictModel(setup, member.model, report.flatness, report.interpolation, null);
    const p = predicted.prediction;
    // The same function, rescaled per neuron: the prediction must not move.
    const copy = rescaledCopy(member.model, spec.seed * 31 + index);
    const copyReport = await analyzeLoaded(copy, trainData, { backend: 'wasm' });
    const copyPrediction = (await predictModel(setup, copy, copyReport.flatness, copyReport.interpolation, null)).prediction;
    const curvature = await curvatureMeasures(member.model, trainData, loss);
    members.push({
      name: member.name,
      kind: member.kind,
      inFamily: spec.family === 'in' && (IN_FAMILY_KINDS as readonly string[]).includes(member.kind),
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
      squaredParameterNorm: squaredParameterNorm(member.model),
      trainLoss: report.loss.value,
      invariantDiagonal: report.flatness.invariantDiagonal.value,
      topEigenvalue: curvature.topEigenvalue,
      adaptiveSharpness: curvature.adaptiveSharpness,
      disagreement: p.disagreement,
      predictedTestLoss: p.testLoss,
      interval: p.interval,
      extrapolated: p.extrapolated,
      coreVerdict: report.verdict.level,
      predictionVerdict: p.verdict.level,
      rescaledDifference: p.testLoss !== null && copyPrediction.testLoss !== null && p.testLoss > 0 ? Math.abs(copyPrediction.testLoss / p.testLoss - 1) : null,
    });
  }
  return {
    spec,
    targetVariance: task.targetVariance,
    noiseLoss: task.noiseLoss,
    lowerBound: setup.flattest.lowerBound,
    flattestNormalized: setup.flattest.normalized,
    flattestRatio: setup.flattest.normalized !== null && setup.flattest.lowerBound ? setup.flattest.normalized / setup.flattest.lowerBound : null,
    calibrationPoints: setup.calibration.points.map((q) => ({ kind: q.kind, ratio: q.ratio, heldOutLoss: q.heldOutLoss, disagreement: q.disagreement })),
    calibrationCurve: calibrationReport(setup.calibration, 1, 1).curve,
    calibrationCoverage: { ...setup.calibration.fit.coverage },
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
 * Thresholds (flat, sharp) maximizing verdict accuracy on the given (value, excess) pairs. Among
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

/** Rescaled copies count as identical when their predictions differ by at most this (relative). */
export const RESCALED_TOLERANCE = 1e-5;

export const MEASURES = ['trace', 'topEigenvalue', 'adaptiveSharpness', 'trainLoss', 'squaredParameterNorm', 'pathNorm', 'normalized', 'ratio', 'ratioToFound', 'disagreement', 'predictedTestLoss'] as const;
export type Measure = typeof MEASURES[number];

function measureValue(member: MemberResult, measure: Measure): number | null {
  return member[measure] ?? null;
}

export interface GroupFigures {
  models: number;
  /** Share of interpolators whose population loss lies in the predicted interval. */
  coverage: number;
  /** Prediction verdict (thresholds fixed in advance) right. */
  predictionVerdict: number;
  /** R-only verdict with the frozen thresholds of verdict.ts. */
  coreVerdict: number;
  /** R-only verdict with thresholds selected leaving the judged task out. */
  leaveOneTaskOutVerdict: number;
}

export interface StudySummary {
  mode: string;
  tasks: number;
  models: number;
  interpolators: number;
  /** Kendall tau-b against population loss, per task and averaged over in-family / out-of-family tasks. */
  tauByTask: Record<string, Record<Measure, number | null>>;
  tauByFamily: Record<string, Record<Measure, number | null>>;
  tauOverall: Record<Measure, number | null>;
  /** In-family models (reference recipes on in-family tasks), out-of-family models, all. */
  groups: { in: GroupFigures; out: GroupFigures; all: GroupFigures };
  coverageByTask: Record<string, number>;
  committedThresholds: { ratio: { flat: number; sharp: number }; relativeLoss: { flat: number; sharp: number } };
  /** R thresholds chosen on each task's complement, per judged task. */
  leaveOneTaskOutThresholds: Record<string, { flat: number; sharp: number }>;
  /** Largest relative change of the prediction under a per-neuron rescaling. */
  rescaledMaxDifference: number;
  /** Calibration's own held-out coverage check (reference points), pooled. */
  calibrationCoverage: number;
  goals: { name: string; target: string; measured: string; met: boolean }[];
  notes: string[];
}

function mean(values: readonly (number | null)[]): number | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : null;
}

const interpolatorsOf = (r: TaskResult) => r.members.filter((m) => m.interpolates && m.ratio !== null);
const inside = (m: MemberResult) => m.interval !== null && m.populationLoss >= m.interval[0] && m.populationLoss <= m.interval[1];

export function summarize(results: readonly TaskResult[], mode: string): StudySummary {
  const tauByTask: StudySummary['tauByTask'] = {};
  const coverageByTask: Record<string, number> = {};
  for (const result of results) {
    const members = interpolatorsOf(result);
    const population = members.map((m) => m.populationLoss);
    tauByTask[result.spec.id] = Object.fromEntries(MEASURES.map((measure) => [measure, kendallTauFinite(members.map((m) => measureValue(m, measure)), population, TIE_TOLERANCE)])) as Record<Measure, number | null>;
    coverageByTask[result.spec.id] = members.filter(inside).length / Math.max(1, members.length);
  }
  const tauByFamily: StudySummary['tauByFamily'] = {};
  for (const family of ['in', 'out'] as const) {
    const ids = results.filter((r) => r.spec.family === family).map((r) => r.spec.id);
    if (ids.length) tauByFamily[family === 'in' ? 'in-family tasks' : 'out-of-family tasks'] = Object.fromEntries(MEASURES.map((measure) => [measure, mean(ids.map((id) => tauByTask[id]![measure]))])) as Record<Measure, number | null>;
  }
  const tauOverall = Object.fromEntries(MEASURES.map((measure) => [measure, mean(results.map((r) => tauByTask[r.spec.id]![measure]))])) as Record<Measure, number | null>;

  // Frozen R thresholds judged on every task; and the selection procedure run leaving each task out.
  // On the activation-corrected ratio alpha R, as the product's verdict reads it.
  const corrected = (r: TaskResult, m: MemberResult) => activationSlopeFactor(r.spec.activation) * m.ratio!;
  const pairs = (results_: readonly TaskResult[]) => results_.flatMap((r) => interpolatorsOf(r).map((m) => ({ value: corrected(r, m), excess: m.relativeExcess })));
  const leaveOneTaskOutThresholds: Record<string, { flat: number; sharp: number }> = {};
  const lotoRight = new Map<MemberResult, boolean>();
  for (const held of results) {
    const others = results.filter((r) => r !== held);
    const chosen = others.length ? bestThresholds(pairs(others)) : { flat: RATIO_THRESHOLDS.flat, sharp: RATIO_THRESHOLDS.sharp };
    leaveOneTaskOutThresholds[held.spec.id] = { flat: chosen.flat, sharp: chosen.sharp };
    for (const m of interpolatorsOf(held)) lotoRight.set(m, verdictIsRight(levelFor(corrected(held, m), chosen.flat, chosen.sharp), m.relativeExcess));
  }
  const all = results.flatMap(interpolatorsOf);
  const figures = (members: readonly MemberResult[]): GroupFigures => {
    const share = (test: (m: MemberResult) => boolean) => (members.length ? members.filter(test).length / members.length : NaN);
    return {
      models: members.length,
      coverage: share(inside),
      predictionVerdict: share((m) => verdictIsRight(m.predictionVerdict, m.relativeExcess)),
      coreVerdict: share((m) => verdictIsRight(m.coreVerdict, m.relativeExcess)),
      leaveOneTaskOutVerdict: share((m) => lotoRight.get(m) === true),
    };
  };
  const groups = { in: figures(all.filter((m) => m.inFamily)), out: figures(all.filter((m) => !m.inFamily)), all: figures(all) };
  const rescaledMaxDifference = Math.max(0, ...all.map((m) => m.rescaledDifference ?? 0));
  const coverageChecks = results.reduce((acc, r) => ({ inside: acc.inside + r.calibrationCoverage.inside, checked: acc.checked + r.calibrationCoverage.checked }), { inside: 0, checked: 0 });
  const calibrationCoverage = coverageChecks.checked ? coverageChecks.inside / coverageChecks.checked : NaN;

  const worstTaskTau = Math.min(...results.map((r) => tauByTask[r.spec.id]!.predictedTestLoss ?? -1));
  const percent = (value: number) => `${(100 * value).toFixed(1)}%`;
  const goals = [
    { name: 'predicted test loss ranks each task\'s interpolators', target: 'Kendall tau >= 0.8 in every task', measured: `worst task ${worstTaskTau.toFixed(3)}, mean ${tauOverall.predictedTestLoss?.toFixed(3)}`, met: worstTaskTau >= 0.8 },
    { name: 'prediction beats the path norm', target: 'mean tau above the path norm\'s', measured: `${tauOverall.predictedTestLoss?.toFixed(3)} vs ${tauOverall.pathNorm?.toFixed(3)}`, met: (tauOverall.predictedTestLoss ?? -1) > (tauOverall.pathNorm ?? 1) },
    { name: 'the 80% interval holds the population loss, out-of-family', target: '70-90% of out-of-family models', measured: `${percent(groups.out.coverage)} (in-family ${percent(groups.in.coverage)})`, met: groups.out.coverage >= 0.7 && groups.out.coverage <= 0.9 },
    { name: 'verdict is right', target: '>= 90% of interpolators (thresholds fixed in advance)', measured: `${percent(groups.all.predictionVerdict)} (in-family ${percent(groups.in.predictionVerdict)}, out-of-family ${percent(groups.out.predictionVerdict)})`, met: groups.all.predictionVerdict >= 0.9 },
    { name: 'rescaled copies get the same prediction', target: `relative difference <= ${RESCALED_TOLERANCE}`, measured: `largest ${rescaledMaxDifference.toExponential(1)}`, met: rescaledMaxDifference <= RESCALED_TOLERANCE },
  ];
  return {
    mode,
    tasks: results.length,
    models: results.reduce((s, r) => s + r.members.length, 0),
    interpolators: all.length,
    tauByTask,
    tauByFamily,
    tauOverall,
    groups,
    coverageByTask,
    committedThresholds: { ratio: { ...RATIO_THRESHOLDS }, relativeLoss: { ...RELATIVE_LOSS_THRESHOLDS } },
    leaveOneTaskOutThresholds,
    rescaledMaxDifference,
    calibrationCoverage,
    goals,
    notes: [
      `Top eigenvalue: Lanczos on the exact Hessian (src/engine/curvature). Adaptive sharpness: max over ||eps / |theta| ||_2 <= ${SHARPNESS_RHO} of L(theta + eps) - L(theta) by projected gradient ascent (invariant under the rescaling symmetry). Training loss: the loss on the training set (all interpolators have it near 0: it ranks by fit residue only).`,
      'Within one task F_LB is a constant of the data, so the ratio ranks exactly like the normalized flatness.',
      'Each network is counted once. Its per-neuron rescaled copy is predicted too, only to check that the prediction does not move.',
      'Non-interpolating zoo members are listed but left out of every figure (the theory is about interpolators).',
    ],
  };
}
