import type { Dataset } from '../data/types';
import type { TwoLayerModel } from '../model/types';
import { type LossSpec, argmax, evaluateSampleLoss, targetClass, targetLayout } from '../math/losses';
import { makeActivation } from '../math/activations';
import { badInput } from '../errors';

export interface MeasuredLoss {
  loss: number;
  /** Mean squared residual per output (regression), else null. */
  meanSquaredError: number | null;
  accuracy: number | null;
}

/** The model's loss on a data set in float64, in the loss's own convention. */
export function evaluateLossOn(model: TwoLayerModel, data: Dataset, loss: LossSpec): MeasuredLoss {
  if (model.inputDim !== data.d) {
    throw badInput(data.source.path, `the model ${model.source.path} expects ${model.inputDim} input features but the data has ${data.d}`);
  }
  const layout = targetLayout(loss, model, data);
  const { inputDim: d, hiddenDim: m, outputDim: c } = model;
  const sigma = makeActivation(model.activation).value;
  const output = new Float64Array(c);
  const gradient = new Float64Array(c);
  const probabilities = new Float64Array(c);
  let total = 0;
  let squared = 0;
  let correct = 0;
  for (let i = 0; i < data.n; i++) {
    for (let o = 0; o < c; o++) output[o] = model.outputBias ? model.outputBias[o]! : 0;
    for (let j = 0; j < m; j++) {
      let z = model.hiddenBias ? model.hiddenBias[j]! : 0;
      for (let l = 0; l < d; l++) z += model.hiddenWeights[j * d + l]! * data.inputs[i * d + l]!;
      const s = sigma(z);
      if (s !== 0) for (let o = 0; o < c; o++) output[o] = output[o]! + model.outputWeights[o * m + j]! * s;
    }
    total += evaluateSampleLoss(loss, layout, output, data.targets, i, gradient, probabilities);
    if (layout === 'regression') {
      for (let o = 0; o < c; o++) squared += (output[o]! - data.targets[i * c + o]!) ** 2;
    } else if (argmax(output) === targetClass(layout, data.targets, i, c)) {
      correct++;
    }
  }
  return {
    loss: total / data.n,
    meanSquaredError: layout === 'regression' ? squared / (data.n * c) : null,
    accuracy: layout === 'regression' ? null : correct / data.n,
  };
}
