/**
 * The HTML shell of every Flatness Lens webview. No vscode import: the browser tests build the
 * exact same page with the exact same Content-Security-Policy.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../shared/escape';

export interface WebviewHtmlOptions {
  /** webview.cspSource: the origin the webview may load local resources from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  codiconUri: string;
  title: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}


export function renderWebviewHtml(options: WebviewHtmlOptions): string {
  const csp = contentSecurityPolicy(options.cspSource, options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${escapeHtml(options.codiconUri)}" id="vscode-codicon-stylesheet" nonce="${options.nonce}">
<link rel="stylesheet" href="${escapeHtml(options.styleUri)}" nonce="${options.nonce}">
<title>${escapeHtml(options.title)}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="muted">Loading the report…</p></main>
<script nonce="${options.nonce}" src="${escapeHtml(options.scriptUri)}"></script>
</body>
</html>
`;
}
