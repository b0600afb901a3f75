/** The real engine behind the worker's message loop. */
import { analyzeFiles } from '../engine/analyze';
import { compareModels } from '../engine/predict/compare';
import { describeModelFile } from '../engine/model/describeFile';
import type { WorkerEngine } from './handler';

export const realEngine: WorkerEngine = {
  analyze: (request, context) => analyzeFiles(request, context),
  compare: (request, context) => compareModels(request, context),
  describe: (modelPath) => describeModelFile(modelPath),
};

