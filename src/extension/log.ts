import * as vscode from 'vscode';

/** The "Flatness Lens" output channel: host events and the worker's output. */
export class Log implements vscode.Disposable {
  private readonly channel: vscode.OutputChannel;

  constructor() {
    this.channel = vscode.window.createOutputChannel('Flatness Lens');
  }

  line(text: string): void {
    this.channel.appendLine(`${new Date().toISOString()} ${text}`);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
