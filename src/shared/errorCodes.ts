/**
 * Every error code that crosses a process or webview boundary, in one list. The engine throws the
 * first five; 'worker-crashed' is the host's word for an analysis process that died.
 */
export const ERROR_CODES = [
  'bad-input',      // malformed, truncated, NaN, wrong shapes
  'unsupported',    // well-formed but not something we analyze (three layers, unknown activation)
  'too-large',      // over a configured size limit
  'cancelled',
  'internal',       // a bug: never the user's file
  'worker-crashed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The codes the engine itself throws. */
export type EngineErrorCode = Exclude<ErrorCode, 'worker-crashed'>;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export function isEngineErrorCode(value: unknown): value is EngineErrorCode {
  return isErrorCode(value) && value !== 'worker-crashed';
}
