/** Makes `require('vscode')` load the mock: import this first in every extension test. */
import Module from 'node:module';
import { join } from 'node:path';

const mockPath = join(__dirname, 'vscodeMock.ts');
const moduleWithResolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const original = moduleWithResolver._resolveFilename;
moduleWithResolver._resolveFilename = function resolve(request: string, ...rest: unknown[]): string {
  if (request === 'vscode') return mockPath;
  return original.call(this, request, ...rest);
};
