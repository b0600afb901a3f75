import type { AnalysisSection, SectionInput } from '../analysis/sections';
import { materialize, needsMemoryNote } from '../data/rows';
import {
  DEFAULT_PREDICTION_BUDGET, architectureOf, predictModel, predictionUnavailableReason, preparePrediction,
  unavailablePrediction,
} from './predictor';

/**
 * report.prediction and report.flattest, read at the model's ratio; runs when switches.predict is on.
 */
export const predictionSection: AnalysisSection = {
  name: 'prediction',
  enabled: (switches) => switches.predict === true,
  async run(input: SectionInput): Promise<void> {
    const { model, data, loss, report, context } = input;
    // report.test is measured by the core analysis whenever test data is given.
    const measuredTestLoss = report.test?.loss ?? null;
    const reason = predictionUnavailableReason(loss, model.activation, model.outputDim);
    if (reason !== null) {
      Object.assign(report, unavailablePrediction(reason, measuredTestLoss));
      return;
    }
    const inMemory = await materialize(data);
    if (inMemory === null) {
      Object.assign(report, unavailablePrediction(needsMemoryNote('The prediction', data), measuredTestLoss));
      return;
    }
    // The search starts with a flatness measure and the first training steps: name its stage now.
    context?.onProgress?.('flattest', 0);
    const setup = await preparePrediction(
      inMemory, loss, architectureOf(model), report.interpolation.tolerance,
      DEFAULT_PREDICTION_BUDGET, context,
    );
    const result = await predictModel(setup, model, report.flatness, report.interpolation, measuredTestLoss, context);
    report.prediction = result.prediction;
    report.flattest = result.flattest;
  },
};
