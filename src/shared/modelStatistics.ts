/** What the model view shows beyond the report's model section: each tensor's statistics and the per-neuron norms. */

export type TensorRole = 'hidden weights' | 'hidden bias' | 'output weights' | 'output bias';

export interface TensorSummary {
  role: TensorRole;
  /** The name in the file (the layer's, for Keras / TF.js / ONNX). */
  name: string;
  /** The shape as stored in the file. */
  shape: number[];
  /** The dtype as stored in the file (e.g. F32, <f4, float16). */
  dtype: string;
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Euclidean (Frobenius) norm. */
  norm: number;
}

export interface ModelStatistics {
  tensors: TensorSummary[];
  /** Per hidden neuron j: ||(w_j, b_j)|| and ||a_j||, the two factors of its path norm. */
  neurons: { inputNorm: number[]; outputNorm: number[] };
}
