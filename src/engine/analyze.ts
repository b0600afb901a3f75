import type { Report } from '../shared/report';
import type { AnalyzeRequest } from '../shared/analysisRequest';
import type { ActivationSpec } from './model/types';
import type { AnyDataset } from './data/types';
import { ACTIVATION_NAMES, parseActivation } from './math/activations';
import type { ComputeContext } from './compute/context';
import { throwIfCancelled } from './compute/context';
import { FlatnessLensError } from './errors';
import { loadModel } from './load/modelLoader';
import { openDataset } from './load/dataLoader';
import { analyzeLoaded } from './analysis/analyzeLoaded';
import { analysisStages } from './analysis/progressStages';
import { withPlan } from './compute/progressPlan';

export type { AnalyzeRequest };


export function parseActivationOption(text: string | undefined): ActivationSpec | undefined {
  if (text === undefined) return undefined;
  const spec = parseActivation(text);
  if (spec === null) {
    throw new FlatnessLensError('bad-input',
      `unknown activation '${text}' (known: ${ACTIVATION_NAMES.join(', ')}; parameters as leaky_relu:0.1, relu^2, elu:0.5)`);
  }
  return spec;
}

/** What the training and test data of a request are read from. */
export type DataRequest = Pick<AnalyzeRequest, 'dataPath' | 'targetsPath' | 'targetColumns' | 'testDataPath' | 'maxFileBytes' | 'streamAboveBytes'>;

/** Reads a request's training data, then its test data (null without one). */
export async function loadTrainingData(request: DataRequest): Promise<AnyDataset> {
  return openDataset(request.dataPath, {
    maxFileBytes: request.maxFileBytes,
    targetsPath: request.targetsPath,
    targetColumns: request.targetColumns,
    streamAboveBytes: request.streamAboveBytes,
  });
}

export async function loadTestData(request: DataRequest): Promise<AnyDataset | null> {
  return request.testDataPath
    ? openDataset(request.testDataPath, {
      maxFileBytes: request.maxFileBytes, targetColumns: request.targetColumns, streamAboveBytes: request.streamAboveBytes,
    })
    : null;
}

/**
 * Loads the files, runs every requested analysis and returns the report. Progress goes out as one
 * fraction of the whole run, monotone, with the current stage's name (compute/progressPlan.ts).
 */
export async function analyzeFiles(request: AnalyzeRequest, context?: ComputeContext): Promise<Report> {
  const activation = parseActivationOption(request.activation);
  const dataStarted = performance.now();
  const data = await loadTrainingData(request);
  const loadDataMs = performance.now() - dataStarted;
  throwIfCancelled(context);
  const modelStarted = performance.now();
  const model = await loadModel(request.modelPath, {
    activation,
    expectedInputDim: data.d,
    maxFileBytes: request.maxFileBytes,
    signal: context?.signal,
  });
  const loadModelMs = performance.now() - modelStarted;
  const testData = await loadTestData(request);
  throwIfCancelled(context);
  const stages = analysisStages(request.sections ?? {}, { n: data.n, m: model.hiddenDim, d: data.d, testRows: testData?.n ?? 0 });
  return withPlan(stages, context, (planned) => analyzeLoaded(model, data, {
    loss: request.loss,
    backend: request.backend,
    interpolationTolerance: request.interpolationTolerance,
    chunkRows: request.chunkRows,
    sections: request.sections,
    testData,
  }, planned, { loadModelMs, loadDataMs }));
}
