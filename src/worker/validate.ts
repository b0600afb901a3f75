import { BACKEND_REQUESTS } from '../engine/compute/backend';
import { LOSS_KINDS } from '../engine/math/losses';
import type { HostToWorker } from '../shared/protocol';

/**
 * Field-by-field check of a request that passed the protocol's shape guard: the optional fields
 * the engine reads must have their types too, so a malformed request is answered with a clear
 * refusal instead of failing somewhere inside the engine. Returns the problem, or null.
 */
export function requestProblem(message: HostToWorker): string | null {
  if ('id' in message && !Number.isSafeInteger(message.id)) return `request id ${String(message.id)} is not an integer`;
  switch (message.type) {
    case 'analyze': {
      const r = message.request as unknown as Record<string, unknown>;
      return optionalStrings(r, ['targetsPath', 'testDataPath', 'activation'])
        ?? oneOf(r, 'loss', LOSS_KINDS) ?? oneOf(r, 'backend', BACKEND_REQUESTS)
        ?? number(r, 'interpolationTolerance', 0) ?? number(r, 'maxFileBytes', 1) ?? number(r, 'chunkRows', 1)
        ?? targetColumns(r['targetColumns']) ?? sections(r['sections']);
    }
    case 'compare': {
      const r = message.request as unknown as Record<string, unknown>;
      return optionalStrings(r, ['testDataPath', 'activation']) ?? oneOf(r, 'loss', LOSS_KINDS) ?? oneOf(r, 'backend', BACKEND_REQUESTS);
    }
    default:
      return null;
  }
}

function optionalStrings(record: Record<string, unknown>, keys: string[]): string | null {
  const bad = keys.find((key) => record[key] !== undefined && typeof record[key] !== 'string');
  return bad === undefined ? null : `${bad} must be a string`;
}

function oneOf(record: Record<string, unknown>, key: string, allowed: readonly string[]): string | null {
  const value = record[key];
  return value === undefined || (typeof value === 'string' && allowed.includes(value)) ? null : `${key} must be one of ${allowed.join(', ')}`;
}

function number(record: Record<string, unknown>, key: string, minimum: number): string | null {
  const value = record[key];
  return value === undefined || value === null || (typeof value === 'number' && Number.isFinite(value) && value >= minimum) ? null : `${key} must be a finite number >= ${minimum}`;
}

function targetColumns(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return null;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return null;
  return 'targetColumns must be a positive count or a list of column names';
}

function sections(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'sections must be an object of switches';
  const bad = Object.entries(value).find(([, on]) => on !== undefined && typeof on !== 'boolean');
  return bad === undefined ? null : `sections.${bad[0]} must be true or false`;
}
