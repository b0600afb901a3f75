/** Assertions on the mocked webview panels shared by the extension tests. */
import assert from 'node:assert/strict';
import { mock, type MockWebviewPanel } from './vscodeMock';
import type { HostToWebview, ViewState } from '../../src/shared/protocol';

export function lastShown(panel: MockWebviewPanel): ViewState {
  const shows = panel.webview.posted.filter((m): m is Extract<HostToWebview, { type: 'show' }> => (m as HostToWebview).type === 'show');
  assert.ok(shows.length > 0, 'the panel was sent a view state');
  return shows.at(-1)!.state;
}

export function reportPanel(): MockWebviewPanel {
  const panels = mock.panels.filter((p) => p.viewType === 'flatnessLens.report' && !p.disposed);
  assert.ok(panels.length > 0, 'a report panel is open');
  return panels.at(-1)!;
}
