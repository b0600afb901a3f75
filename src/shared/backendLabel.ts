import type { ReportAdapter, ReportBackend } from './report';

/** A GPU's name for people: "NVIDIA GeForce RTX 3060", "SwiftShader driver 5.0.0 (software)". */
export function adapterLabel(adapter: ReportAdapter): string {
  const name = adapter.description || [adapter.vendor, adapter.architecture, adapter.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return adapter.software ? `${name} (software)` : name;
}

/** The backend as the status bar, the terminal summary and the reports show it: the GPU's name for webgpu. */
export function backendLabel(backend: Pick<ReportBackend, 'name' | 'adapter'>): string {
  return backend.adapter ? `${backend.name} on ${adapterLabel(backend.adapter)}` : backend.name;
}
