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

/**
 * The kernels and threads the data passes ran on: "onnxruntime 1.30.0 CPU, 2 intra-op threads,
 * curvature pass on 2 session threads"; null when unknown.
 */
export function kernelsLabel(backend: Pick<ReportBackend, 'name' | 'kernels' | 'threads' | 'lanes'>): string | null {
  if (!backend.kernels) return null;
  if (backend.threads === undefined) return backend.kernels;
  const unit = backend.name === 'onnxruntime' ? 'intra-op thread' : 'thread';
  const lanes = backend.lanes === undefined ? '' : `, curvature pass on ${backend.lanes} session thread${backend.lanes === 1 ? '' : 's'}`;
  return `${backend.kernels}, ${backend.threads} ${unit}${backend.threads === 1 ? '' : 's'}${lanes}`;
}
