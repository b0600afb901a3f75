import type { TwoLayerModel } from '../../model/types';
import { OnnxGraph } from './graph';
import { addOutputs, addPreactivations } from './network';
import type { OnnxRunner } from './runtime';
import { cachedSession } from './sessionCache';

/** f = sigma(X W^T + b) A^T + c0 for a rows x d chunk on onnxruntime: the forward pass. */
export class OnnxForwardKernel {
  private constructor(private readonly model: TwoLayerModel, private readonly session: OnnxRunner) {}

  static async create(model: TwoLayerModel): Promise<OnnxForwardKernel> {
    const session = await cachedSession(model, `forward ${JSON.stringify(model.activation)}`, () => {
      const g = new OnnxGraph();
      const x = g.input('X', ['rows', model.inputDim]);
      addOutputs(g, model, addPreactivations(g, model, x), 'F');
      g.output('F', ['rows', model.outputDim]);
      return g.build();
    });
    return new OnnxForwardKernel(model, session);
  }

  /** The chunk's outputs, rows x c row-major. */
  async outputs(inputs: Float32Array, rows: number): Promise<Float32Array> {
    const { F } = await this.session.run({ X: { data: inputs, dims: [rows, this.model.inputDim] } });
    return F!;
  }
}
