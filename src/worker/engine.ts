/** The real engine behind the worker's message loop. */
import { analyzeFiles } from '../engine/analyze';
import { compareModels } from '../engine/predict/compare';
import { loadModel } from '../engine/load/modelLoader';
import { describeModel } from '../engine/model/describe';
import type { WorkerEngine } from './handler';

export const realEngine: WorkerEngine = {
  analyze: (request, context) => analyzeFiles(request, context),
  compare: (request, context) => compareModels(request, context),
  async describe(modelPath) {
    const model = await loadModel(modelPath, {});
    return describeModel(model);
  },
};

