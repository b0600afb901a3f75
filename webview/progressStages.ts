/**
 * The progress line: every stage the analysis went through, by name, the finished ones marked
 * done, then the current one and how far the whole run has come ("backend done · flatness done ·
 * calibration · 63% overall"). The engine reports one monotone fraction of the whole run, each
 * stage weighted by its expected cost (src/engine/compute/progressPlan.ts).
 */
import { h } from './dom';

/** What each engine stage does, for the tooltip. */
const STAGE_DESCRIPTIONS: Record<string, string> = {
  backend: 'starting the compute backend',
  forward: 'forward pass over the data',
  'test loss': 'loss on the test data',
  flatness: 'exact Hessian trace and the flatness measures',
  Lanczos: 'Hessian eigenvalues by Lanczos',
  'top eigenvalue': 'largest Hessian eigenvalue by Lanczos',
  sharpness: 'adaptive sharpness',
  landscape: 'loss landscape',
  calibration: 'training the reference interpolators of the calibration',
  flattest: 'searching for the flattest interpolator',
  training: 'training',
};

/** "model 2/3 flatness" is described as "flatness". */
function describe(stage: string): string {
  return STAGE_DESCRIPTIONS[stage.replace(/^model \d+\/\d+ /, '')] ?? stage;
}

const seen = new WeakMap<HTMLElement, string[]>();

export function showStage(element: HTMLElement, stage: string, fraction: number): void {
  const stages = seen.get(element) ?? [];
  if (stages[stages.length - 1] !== stage) {
    // A stage met again moves to the end: the line reads in time order.
    const index = stages.indexOf(stage);
    if (index >= 0) stages.splice(index, 1);
    stages.push(stage);
  }
  seen.set(element, stages);
  const percent = `${Math.round(fraction * 100)}% overall`;
  const parts = stages.map((name, k) => (k < stages.length - 1
    ? h('span', { class: 'stage-done', title: describe(name) }, `${name} done`)
    : h('span', { class: 'stage-current', title: describe(name) }, name)));
  parts.push(h('span', { class: 'stage-overall' }, percent));
  element.replaceChildren(...parts.flatMap((part, k) => (k === 0 ? [part] : [' · ', part])));
  element.setAttribute('aria-label', `${describe(stage)}: ${percent}`);
}
