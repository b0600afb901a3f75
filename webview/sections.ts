/**
 * Every top-level key of a report has exactly one renderer: the core keys are drawn by the
 * report's fixed layout (verdict, cards, orbit, neurons, details), every optional section by a
 * renderer registered here. A key without one is named as such, never dumped; the browser test
 * fails when a key of the report schema has no renderer.
 */
import type { Report, ReportModel } from '../src/shared/report';
import type { ReportContext, WebviewToHost } from '../src/shared/protocol';

export type Post = (message: WebviewToHost) => void;

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

const renderers = new Map<string, { order: number; render: SectionRenderer }>();

/** One call per optional section; `order` places it on the page (smaller first). */
export function registerSection(key: string, order: number, render: SectionRenderer): void {
  renderers.set(key, { order, render });
}

export function sectionRenderer(key: string): SectionRenderer | undefined {
  return renderers.get(key)?.render;
}

/** Every key this webview can show: the core layout's and the registered sections'. */
export function renderableKeys(): string[] {
  return [...CORE_KEYS, ...renderers.keys()];
}

/** The report's optional sections present, in page order. */
export function presentSections(report: Report): string[] {
  const record = report as unknown as Record<string, unknown>;
  return Object.keys(record)
    .filter((key) => !CORE_KEYS.includes(key) && record[key] !== undefined && record[key] !== null)
    .sort((a, b) => (renderers.get(a)?.order ?? 1000) - (renderers.get(b)?.order ?? 1000));
}

export type { ReportModel };
