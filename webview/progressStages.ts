/**
 * The progress line: every stage the analysis went through, by name, the finished ones marked
 * done and the current one with its percentage ("forward done · flatness: 42%"). The worker
 * reports each stage's own fraction, so one bar alone would jump back at every new stage.
 */
import { h } from './dom';

/** What each engine stage does, for the tooltip. */
const STAGE_DESCRIPTIONS: Record<string, string> = {
  forward: 'forward pass over the training data',
  flatness: 'exact Hessian trace and the flatness measures',
  Lanczos: 'Hessian eigenvalues by Lanczos',
  calibration: 'training the reference interpolators of the calibration',
  flattest: 'searching for the flattest interpolator',
  training: 'training',
};

const seen = new WeakMap<HTMLElement, string[]>();

export function showStage(element: HTMLElement, stage: string, fraction: number): void {
  const stages = seen.get(element) ?? [];
  if (stages[stages.length - 1] !== stage) {
    // A stage met again (calibration after flattest, say) moves to the end: the line reads in time order.
    const index = stages.indexOf(stage);
    if (index >= 0) stages.splice(index, 1);
    stages.push(stage);
  }
  seen.set(element, stages);
  const parts = stages.map((name, k) => (k < stages.length - 1
    ? h('span', { class: 'stage-done', title: STAGE_DESCRIPTIONS[name] ?? name }, `${name} done`)
    : h('span', { class: 'stage-current', title: STAGE_DESCRIPTIONS[name] ?? name }, `${name}: ${Math.round(fraction * 100)}%`)));
  element.replaceChildren(...parts.flatMap((part, k) => (k === 0 ? [part] : [' · ', part])));
  element.setAttribute('aria-label', `${STAGE_DESCRIPTIONS[stage] ?? stage}: ${Math.round(fraction * 100)}%`);
}
