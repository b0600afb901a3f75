import { isZip } from '../io/zip';
import type { DataFormat } from './formatTypes';
import { csvDataFormat } from './formats/csvData';
import { jsonDataFormat } from './formats/jsonData';
import { npyPairDataFormat } from './formats/npyPairData';
import { npzDataFormat } from './formats/npzData';
import { layeredDataFormats } from './layers/formats';
import { unknownZipError } from './unknownZip';

export type { DataFormat, DataLoadOptions } from './formatTypes';

/** Data formats in sniffing order (same rules as modelFormats: append specific readers). */
export const dataFormats: DataFormat[] = [
  npzDataFormat,
  npyPairDataFormat,
  jsonDataFormat,
  csvDataFormat,
  ...layeredDataFormats,
  {
    name: 'zip',
    description: 'zip archive (identified by its entries)',
    fallback: true,
    sniff: (bytes) => isZip(bytes),
    load: (bytes, path) => {
      throw unknownZipError(bytes, path, 'data (.npz of .npy arrays)');
    },
  },
];
