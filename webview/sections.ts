/**
 * Every top-level key of a report has exactly one renderer: the core keys are drawn by the
 * report's fixed layout (verdict, cards, orbit, neurons, details), every optional section by the
 * renderer listed here. A key without one is named as such, never dumped; the browser test
 * fails when a key of the report schema has no renderer.
 */
import type { Report } from '../src/shared/report';
import type { ReportContext } from '../src/shared/protocol';
import type { Post } from './parts';
import { flattestSection, predictionSection } from './predictionView';
import { canonicalSection, landscapeSection, sharpnessSection, spectrumSection } from './curvatureView';

export interface SectionArgs {
  report: Report;
  context: ReportContext | null;
  post: Post;
  /** Prefix of chart names and element ids, unique per report on the page. */
  prefix: string;
}

export type SectionRenderer = (args: SectionArgs) => HTMLElement | null;

/** Keys drawn by the report's fixed layout in reportView.ts. */
export const CORE_KEYS: readonly string[] = [
  'schemaVersion', 'tool', 'createdAt', 'model', 'data', 'backend', 'loss', 'interpolation', 'flatness', 'verdict', 'timings', 'warnings', 'test',
];

export interface SectionEntry {
  key: string;
  /** Drawn above the orbit and neuron panels (the prediction answers the user's first question). */
  aboveCore: boolean;
  render: SectionRenderer;
}

/** The optional sections, in page order: one entry per optional key of the report. */
export const SECTIONS: readonly SectionEntry[] = [
  { key: 'prediction', aboveCore: true, render: ({ report, prefix }) => (report.prediction ? predictionSection(report, report.prediction, prefix) : null) },
  { key: 'flattest', aboveCore: true, render: ({ report, prefix, context, post }) => (report.flattest ? flattestSection(report.flattest, prefix, context ? post : null, context?.modelUri ?? null) : null) },
  { key: 'spectrum', aboveCore: false, render: ({ report, prefix }) => spectrumSection(report, prefix) },
  { key: 'sharpness', aboveCore: false, render: ({ report, prefix }) => sharpnessSection(report, prefix) },
  { key: 'landscape', aboveCore: false, render: ({ report, prefix }) => landscapeSection(report, prefix) },
  { key: 'canonical', aboveCore: false, render: ({ report, prefix }) => canonicalSection(report, prefix) },
];

export function sectionRenderer(key: string): SectionEntry | undefined {
  return SECTIONS.find((entry) => entry.key === key);
}

/** Every key this webview can show: the core layout's and the optional sections'. */
export function renderableKeys(): string[] {
  return [...CORE_KEYS, ...SECTIONS.map((entry) => entry.key)];
}

/** The report's optional sections present, in page order (unknown keys last). */
export function presentSections(report: Report): string[] {
  const record = report as unknown as Record<string, unknown>;
  const order = (key: string): number => {
    const index = SECTIONS.findIndex((entry) => entry.key === key);
    return index < 0 ? SECTIONS.length : index;
  };
  return Object.keys(record)
    .filter((key) => !CORE_KEYS.includes(key) && record[key] !== undefined && record[key] !== null)
    .sort((a, b) => order(a) - order(b));
}
