/**
 * The engine's own error type. Every failure caused by user input (a file, an option) is a
 * FlatnessLensError with a message that names the file and the problem; anything else that
 * escapes the engine is a bug and is reported as such by the CLI and the extension.
 */
import type { EngineErrorCode } from '../shared/errorCodes';

export type ErrorCode = EngineErrorCode;

export class FlatnessLensError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;

  constructor(code: ErrorCode, message: string, file?: string) {
    super(file !== undefined ? `${file}: ${message}` : message);
    this.name = 'FlatnessLensError';
    this.code = code;
    this.file = file;
  }
}

export function badInput(file: string | undefined, message: string): FlatnessLensError {
  return new FlatnessLensError('bad-input', message, file);
}

export function unsupported(file: string | undefined, message: string): FlatnessLensError {
  return new FlatnessLensError('unsupported', message, file);
}

export function isFlatnessLensError(value: unknown): value is FlatnessLensError {
  return value instanceof FlatnessLensError;
}

export class CancelledError extends FlatnessLensError {
  constructor() {
    super('cancelled', 'analysis cancelled');
  }
}
