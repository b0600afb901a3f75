import * as vscode from 'vscode';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * The level of a line from the worker client when it does not say: the worker's own log
 * messages carry their level in the prefix ("[worker warn] ..."); its stderr is a warning;
 * a crash or an ignored message is an error.
 */
export function workerLineLevel(line: string): LogLevel {
  const tagged = /^\[worker (info|warn|error)\]/.exec(line);
  if (tagged) return tagged[1] as LogLevel;
  if (line.startsWith('[worker stderr]')) return 'warn';
  if (line.startsWith('[worker stdout]')) return 'debug';
  if (/^\[(host|worker)\] .*(stopped unexpectedly|process error|malformed|did not stop)/.test(line)) return 'warn';
  return 'info';
}

/**
 * The "Flatness Lens" log output channel (a LogOutputChannel: the user picks the level shown
 * and VS Code stamps the time): host events and the worker's output at their levels.
 */
export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('Flatness Lens', { log: true });
  }

  write(level: LogLevel, text: string): void {
    this.channel[level](text);
  }

  debug(text: string): void {
    this.channel.debug(text);
  }

  info(text: string): void {
    this.channel.info(text);
  }

  warn(text: string): void {
    this.channel.warn(text);
  }

  error(text: string): void {
    this.channel.error(text);
  }

  /** A line from the worker client, at its level (or the level its prefix implies). */
  worker(line: string, level?: LogLevel): void {
    this.write(level ?? workerLineLevel(line), line);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
