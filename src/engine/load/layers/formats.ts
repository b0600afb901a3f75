import type { DataFormat, ModelFormat } from '../formatTypes';
import { kerasH5ModelFormat } from './kerasH5';
import { kerasV3ModelFormat } from './kerasV3';
import { onnxModelFormat } from './onnx';
import { torchDataFormat, torchModelFormat } from './pytorch';
import { tfjsLayersModelFormat } from './tfjsLayers';

/** The layered-framework model readers, appended to the registry in modelFormats.ts. */
export const layeredModelFormats: ModelFormat[] = [
  kerasH5ModelFormat,
  kerasV3ModelFormat,
  tfjsLayersModelFormat,
  torchModelFormat,
  onnxModelFormat,
];

/** PyTorch .pt data files, appended to the registry in dataFormats.ts. */
export const layeredDataFormats: DataFormat[] = [torchDataFormat];
