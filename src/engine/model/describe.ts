import type { ReportModel } from '../../shared/report';
import { type TwoLayerModel, parameterCount } from './types';
import { activationLabel, makeActivation } from '../math/activations';

/** The report's description of a loaded model (also what the model editor shows). */
export function describeModel(model: TwoLayerModel): ReportModel {
  return {
    path: model.source.path,
    format: model.source.format,
    inputDim: model.inputDim,
    hiddenDim: model.hiddenDim,
    outputDim: model.outputDim,
    parameters: parameterCount(model),
    hiddenBias: model.hiddenBias !== null,
    outputBias: model.outputBias !== null,
    activation: activationLabel(model.activation),
    activationSource: model.activationSource,
    homogeneityDegree: makeActivation(model.activation).homogeneityDegree,
    outputLink: model.outputLink,
    tensorNames: model.source.tensorNames,
    notes: model.source.notes,
    ...(model.source.checkpoint ? { checkpoint: { ...model.source.checkpoint } } : {}),
  };
}
