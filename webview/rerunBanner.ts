/**
 * The strip above a finished result while it is re-run: a progress bar with Cancel while the
 * re-run runs, a notice when it was cancelled, its error when it failed. The result below
 * stays readable in every case.
 */
import type { RerunStatus, WebviewToHost } from '../src/shared/protocol';
import { h } from './dom';

export function rerunBanner(rerun: RerunStatus, post: (message: WebviewToHost) => void, onDismiss: () => void): HTMLElement {
  switch (rerun.status) {
    case 'running': {
      const cancel = h('vscode-button', { icon: 'stop-circle', secondary: true, 'data-testid': 'rerun-cancel' }, 'Cancel');
      cancel.addEventListener('click', () => post({ type: 'cancel' }));
      return h('section', { class: 'rerun rerun-running', 'data-testid': 'rerun-banner', 'data-status': 'running', 'aria-busy': 'true', 'aria-live': 'polite' },
        h('div', { class: 'rerun-line' },
          h('span', { class: 'codicon codicon-sync rerun-icon', 'aria-hidden': 'true' }),
          h('span', { class: 'rerun-text' }, rerun.message),
          cancel),
        h('vscode-progress-bar', { id: 'progress', 'aria-label': 'analysis progress' }),
        h('p', { id: 'progress-stage', class: 'muted' }, 'starting the analysis process; the previous result stays below until the new one is ready'));
    }
    case 'cancelled':
      return h('section', { class: 'rerun rerun-cancelled', 'data-testid': 'rerun-banner', 'data-status': 'cancelled', role: 'status' },
        h('div', { class: 'rerun-line' },
          h('span', { class: 'codicon codicon-info rerun-icon', 'aria-hidden': 'true' }),
          h('span', { class: 'rerun-text' }, rerun.message),
          dismissButton(onDismiss)));
    case 'failed':
      return h('section', { class: 'rerun rerun-failed', 'data-testid': 'rerun-banner', 'data-status': 'failed', role: 'alert' },
        h('div', { class: 'rerun-line' },
          h('span', { class: 'codicon codicon-error rerun-icon', 'aria-hidden': 'true' }),
          h('span', { class: 'rerun-text', 'data-testid': 'error-message' }, `The new analysis failed: ${rerun.error.message}`),
          dismissButton(onDismiss)),
        rerun.error.file ? h('p', {}, 'File: ', h('code', {}, rerun.error.file)) : null,
        h('p', { class: 'muted' }, `Error code: ${rerun.error.code}. The last good result is shown below.`));
  }
}

function dismissButton(onDismiss: () => void): HTMLElement {
  const button = h('vscode-button', { icon: 'close', secondary: true, 'aria-label': 'Dismiss' }, 'Dismiss');
  button.addEventListener('click', onDismiss);
  return button;
}
