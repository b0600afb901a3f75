import type { AnalysisSection, SectionInput } from '../analysis/sections';
import { ANALYSIS_SECTIONS } from '../analysis/sections';
import { evaluateLossOn } from './evaluate';
import {
  DEFAULT_PREDICTION_BUDGET, architectureOf, predictModel, predictionUnavailableReason, preparePrediction,
  unavailablePrediction,
} from './predictor';

/**
 * report.test (measured loss on the user's test data), report.prediction and report.flattest.
 * Runs when switches.predict is on; the test loss is measured whenever test data is given.
 */
export const predictionSection: AnalysisSection = {
  name: 'prediction',
  enabled: (switches) => switches.predict === true,
  async run(input: SectionInput): Promise<void> {
    const { model, data, testData, loss, report, context } = input;
    let measuredTestLoss: number | null = null;
    if (report.test) {
      measuredTestLoss = report.test.loss;
    } else if (testData) {
      const measured = evaluateLossOn(model, testData, loss);
      report.test = { path: testData.source.path, n: testData.n, ...measured };
      measuredTestLoss = measured.loss;
    }
    const reason = predictionUnavailableReason(loss, model.activation, model.outputDim);
    if (reason !== null) {
      Object.assign(report, unavailablePrediction(reason, measuredTestLoss));
      return;
    }
    const setup = await preparePrediction(
      data, loss, architectureOf(model), report.interpolation.tolerance,
      DEFAULT_PREDICTION_BUDGET, context,
    );
    const result = await predictModel(setup, model, report.flatness, report.interpolation, measuredTestLoss, context);
    report.prediction = result.prediction;
    report.flattest = result.flattest;
  },
};

ANALYSIS_SECTIONS.push(predictionSection);
