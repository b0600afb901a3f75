import * as vscode from 'vscode';
import type { BackendRequest, LossKind } from '../shared/report';
import type { AnalysisRequest } from '../shared/protocol';
import { DEFAULT_MODEL_GLOBS } from './modelFiles';

export const SECTION = 'flatnessLens';

export interface Settings {
  backend: BackendRequest;
  loss: LossKind;
  defaultActivation: string;
  interpolationTolerance: number | null;
  memoryLimitMb: number;
  modelGlobs: string[];
  sections: NonNullable<AnalysisRequest['sections']>;
}

const BACKENDS: readonly BackendRequest[] = ['auto', 'webgpu', 'tensorflow-gpu', 'tensorflow', 'onnxruntime', 'wasm', 'cpu'];
const LOSSES: readonly LossKind[] = ['mse', 'mse-half', 'mse-mean', 'ce'];

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const backend = config.get<string>('backend', 'auto');
  const loss = config.get<string>('loss', 'mse');
  const tolerance = config.get<number | null>('interpolationTolerance', null);
  const memory = config.get<number>('memoryLimitMb', 4096);
  const globs = config.get<string[]>('modelGlobs', DEFAULT_MODEL_GLOBS);
  return {
    backend: (BACKENDS as readonly string[]).includes(backend) ? (backend as BackendRequest) : 'auto',
    loss: (LOSSES as readonly string[]).includes(loss) ? (loss as LossKind) : 'mse',
    defaultActivation: config.get<string>('defaultActivation', '').trim(),
    interpolationTolerance: typeof tolerance === 'number' && tolerance >= 0 ? tolerance : null,
    memoryLimitMb: Number.isFinite(memory) && memory >= 256 ? Math.round(memory) : 4096,
    modelGlobs: Array.isArray(globs) && globs.length > 0 ? globs.filter((g) => typeof g === 'string') : DEFAULT_MODEL_GLOBS,
    sections: {
      spectrum: config.get<boolean>('sections.spectrum', false),
      sharpness: config.get<boolean>('sections.sharpness', false),
      landscape: config.get<boolean>('sections.landscape', false),
      predict: config.get<boolean>('sections.predict', false),
    },
  };
}
