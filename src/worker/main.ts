/**
 * Entry of dist/worker.js: the engine in its own Node process, forked by the extension host
 * (ELECTRON_RUN_AS_NODE=1 under VS Code). Talks only through the typed IPC protocol.
 */
import type { WorkerToHost } from '../shared/protocol';
import { WorkerHandler } from './handler';
import { realEngine } from './engine';

function send(message: WorkerToHost): void {
  if (process.connected) process.send?.(message);
}

if (!process.send) {
  console.error('flatness-lens worker: start me with child_process.fork (no IPC channel)');
  process.exit(2);
}

const handler = new WorkerHandler(realEngine, send, () => {
  setTimeout(() => process.exit(0), 50);
});

process.on('message', (message: unknown) => {
  void handler.handle(message);
});
// The host went away: nothing left to answer to.
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (error) => {
  console.error(`uncaught exception in the worker: ${error.stack ?? error.message}`);
  process.exit(70);
});

send({ type: 'ready', pid: process.pid });
