/**
 * The options of each CLI verb, one table per verb. parseVerbOptions (options.ts) refuses any
 * option not in the verb's table and names the verb it belongs to. A new verb adds its table here.
 */
const string = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

const common = { quiet: flag, 'no-color': flag, help: flag } as const;

export const ANALYZE_OPTIONS = {
  model: string, data: string, targets: string, 'target-columns': string, test: string,
  activation: string, loss: string, backend: string, tolerance: string,
  json: string, html: string, 'max-file-mb': string, 'stream-above-mb': string, 'chunk-rows': string,
  spectrum: flag, sharpness: flag, landscape: flag, predict: flag, all: flag,
  ...common,
} as const;

export const COMPARE_OPTIONS = {
  data: string, test: string, activation: string, loss: string, backend: string,
  json: string, html: string,
  ...common,
} as const;

export const TRAJECTORY_OPTIONS = {
  data: string, targets: string, 'target-columns': string, test: string,
  activation: string, loss: string, backend: string, tolerance: string,
  'max-file-mb': string, 'chunk-rows': string,
  json: string, html: string, csv: string,
  'top-eigenvalue': flag, predict: flag, 'skip-unreadable': flag,
  ...common,
} as const;

export const VERB_OPTIONS = {
  analyze: ANALYZE_OPTIONS,
  compare: COMPARE_OPTIONS,
  trajectory: TRAJECTORY_OPTIONS,
} as const;

export type Verb = keyof typeof VERB_OPTIONS;
