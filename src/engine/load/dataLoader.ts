import type { AnyDataset, Dataset } from '../data/types';
import { badInput } from '../errors';
import type { TwoLayerModel } from '../model/types';
import { dataFormats } from './dataFormats';
import type { DataLoadOptions } from './formatTypes';
import { pickFormat } from './modelFormats';
import { describeMagic, readFileChecked } from './readFileChecked';
import { openStreamedDataset } from './streamed/streamedData';

export type { DataLoadOptions } from './formatTypes';

/**
 * Opens a dataset for analysis: .npy pairs, .npz with stored members and CSV files larger than
 * options.streamAboveBytes are streamed from disk (streamed/streamedData.ts); everything else is
 * read into memory by loadDataset.
 */
export async function openDataset(path: string, options: DataLoadOptions = {}): Promise<AnyDataset> {
  return (await openStreamedDataset(path, options)) ?? loadDataset(path, options);
}

/**
 * Reads a dataset into memory (inputs n x d and targets n x c, float32), within the file-size
 * limit; the format is found from the bytes.
 */
export async function loadDataset(path: string, options: DataLoadOptions = {}): Promise<Dataset> {
  const bytes = await readFileChecked(path, options.maxFileBytes);
  const format = pickFormat(dataFormats, bytes, path);
  if (format === null) {
    throw badInput(path, `not a recognized data format (${describeMagic(bytes)}). Supported: ${dataFormats.map((f) => f.description).join('; ')}`);
  }
  if (options.targetsPath !== undefined && format.name !== 'npy-pair') {
    throw badInput(path, `a separate targets file (${options.targetsPath}) is only read when the data is an inputs .npy; this ${format.name} file holds its own targets`);
  }
  return format.load(bytes, path, options);
}

/**
 * Errors when the data cannot feed the model: input width differs, or the target columns
 * match neither the model's outputs nor a single class-index column.
 */
export function checkDataMatchesModel(model: TwoLayerModel, data: AnyDataset): void {
  if (model.inputDim !== data.d) {
    throw badInput(
      data.source.path,
      `model expects ${model.inputDim} inputs, data has ${data.d} columns (model ${model.source.path})`,
    );
  }
  if (data.targetDim !== model.outputDim && data.targetDim !== 1) {
    throw badInput(
      data.source.path,
      `model has ${model.outputDim} outputs, targets have ${data.targetDim} columns (model ${model.source.path})`,
    );
  }
}
