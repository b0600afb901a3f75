import type { ModelSummary } from '../../shared/protocol';
import { isFlatnessLensError, unsupported } from '../errors';
import { loadDataset } from '../load/dataLoader';
import { loadModel } from '../load/modelLoader';
import { describeModel } from './describe';
import { modelStatistics } from './statistics';

/** Marks the message of a file that holds data, not a model (the model view says so instead of an error). */
export const DATA_FILE_MARK = 'holds data, not a model';

/**
 * What the model view shows about a file: the model's description and statistics; a data file
 * (an .npz of X and y opened in the model view) is recognized and named as data.
 */
export async function describeModelFile(path: string): Promise<ModelSummary> {
  try {
    const model = await loadModel(path, {});
    return { ...describeModel(model), statistics: modelStatistics(model) };
  } catch (modelError) {
    if (!isFlatnessLensError(modelError) || modelError.code !== 'bad-input') throw modelError;
    let data;
    try {
      data = await loadDataset(path, {});
    } catch {
      throw modelError;
    }
    throw unsupported(path, `${DATA_FILE_MARK}: ${data.n} samples of ${data.d} inputs (${data.source.inputName}) and ${data.targetDim} target column(s) (${data.source.targetName}). Use it as training or test data of a model (Choose Training Data...).`);
  }
}
