/** Small building blocks every view uses: metric cards with a tone, buttons, the "what this tells you" line. */
import type { WebviewToHost } from '../src/shared/protocol';
import { h } from './dom';

export type Post = (message: WebviewToHost) => void;

export type Tone = '' | 'good' | 'warn' | 'bad' | 'undefined';

/** Tone is shown by a colored edge AND an icon of its own shape with its words: never by color alone. */
const TONE_MARK: Record<Exclude<Tone, '' | 'undefined'>, { icon: string; words: string }> = {
  good: { icon: 'pass-filled', words: 'good' },
  warn: { icon: 'warning', words: 'caution' },
  bad: { icon: 'flame', words: 'bad' },
};

export function card(label: string, value: string, hint: string, testId: string, tone: Tone = ''): HTMLElement {
  const mark = tone === '' || tone === 'undefined' ? null : TONE_MARK[tone];
  return h('div', { class: `card ${tone}`.trim(), role: 'group', 'aria-label': mark ? `${label} (${mark.words})` : label },
    h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value-line' },
      mark ? h('span', { class: `codicon codicon-${mark.icon} tone-icon`, 'aria-hidden': 'true', title: mark.words }) : null,
      h('span', { class: 'card-value', 'data-testid': testId }, value)),
    h('div', { class: 'card-hint' }, hint));
}

export function icon(name: string): HTMLElement {
  return h('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

export function button(label: string, iconName: string, onClick: () => void, secondary = true, attributes: Record<string, string> = {}): HTMLElement {
  const element = h('vscode-button', { icon: iconName, secondary: secondary || undefined, ...attributes }, label);
  element.addEventListener('click', onClick);
  return element;
}

/** The one line under each section's heading that says what it is for. */
export function tells(text: string): HTMLElement {
  return h('p', { class: 'tells' }, icon('lightbulb'), ' ', h('strong', {}, 'What this tells you: '), text);
}
