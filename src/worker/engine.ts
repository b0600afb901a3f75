/** The real engine behind the worker's message loop. */
import { analyzeFiles } from '../engine/analyze';
import { compareModels } from '../engine/predict/compare';
import { loadModel } from '../engine/load/modelLoader';
import { parameterCount } from '../engine/model/types';
import { activationLabel } from '../engine/math/activations';
import type { WorkerEngine } from './handler';

export const realEngine: WorkerEngine = {
  analyze: (request, context) => analyzeFiles(request, context),
  compare: (request, context) => compareModels(request, context),
  async describe(modelPath) {
    const model = await loadModel(modelPath, {});
    return {
      path: model.source.path,
      format: model.source.format,
      inputDim: model.inputDim,
      hiddenDim: model.hiddenDim,
      outputDim: model.outputDim,
      parameters: parameterCount(model),
      activation: activationLabel(model.activation),
      activationSource: model.activationSource,
      hiddenBias: model.hiddenBias !== null,
      outputBias: model.outputBias !== null,
      outputLink: model.outputLink,
      tensorNames: model.source.tensorNames,
      notes: model.source.notes,
    };
  },
};

