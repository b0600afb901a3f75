import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { tf } from './tf';
import type { ReportAdapter } from '../../shared/report';
import { adapterLabel } from '../../shared/backendLabel';

/**
 * The WebGPU backend in Node: Dawn's N-API addon (the `webgpu` package's dawn.node) gives a
 * `navigator.gpu`, and tfjs-backend-webgpu runs on the device we pick. The addon is a native
 * file: the bundler cannot inline it, so it is loaded at run time from beside the bundle
 * (platform-specific .vsix) or from node_modules (source tree).
 */

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface GpuLimitsLike {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeInvocationsPerWorkgroup: number;
}

interface GpuDeviceLike {
  readonly lost: Promise<{ reason: string; message: string }>;
  readonly limits: GpuLimitsLike;
  onuncapturederror: ((event: { error: { message: string; constructor: { name: string } } }) => void) | null;
  destroy(): void;
}

interface GpuAdapterLike {
  readonly info: GpuAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  readonly limits: GpuLimitsLike;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDeviceLike>;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** Why WebGPU could not be used, worded for the report's fallback list. */
export class WebGpuUnavailable extends Error {}

/** The GPU device failed during a computation (lost, out of memory, internal error). */
export class GpuDeviceFailure extends Error {}

export interface WebGpuDevice {
  adapter: ReportAdapter;
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|\bwarp\b/i;

/** True for CPU implementations of WebGPU, which are slower than the wasm backend. */
export function isSoftwareAdapter(info: GpuAdapterInfoLike, fallbackFlag = false): boolean {
  if (fallbackFlag || info.isFallbackAdapter === true) return true;
  return SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

export function describeAdapter(info: GpuAdapterInfoLike, fallbackFlag = false): ReportAdapter {
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: isSoftwareAdapter(info, fallbackFlag),
  };
}

function platformDirectory(): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return `${process.platform}-${arch}`;
}

/** dawn.node beside the bundle (dist/webgpu/<platform>/), else from the `webgpu` package. */
export function findDawnAddon(): string | null {
  const candidates = [path.join(__dirname, 'webgpu', platformDirectory(), 'dawn.node')];
  try {
    const load = createRequire(__filename);
    candidates.push(path.join(path.dirname(load.resolve('webgpu/package.json')), 'dist', platformDirectory(), 'dawn.node'));
  } catch {
    // the package is not installed here: only a copy beside the bundle can work
  }
  return candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
}

const VULKAN_LIBRARY_DIRECTORIES = [
  '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu',
  '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib',
];

/** On Linux Dawn needs the Vulkan loader (Debian/Ubuntu package libvulkan1). */
export function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const directories = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...VULKAN_LIBRARY_DIRECTORIES];
  return directories.some((directory) => fs.existsSync(path.join(directory, 'libvulkan.so.1')));
}

/**
 * The Vulkan loader and Mesa's drivers complain on stderr without XDG_RUNTIME_DIR (services,
 * containers): give them a private one.
 */
function ensureRuntimeDirectory(): void {
  if (process.platform !== 'linux' || process.env.XDG_RUNTIME_DIR) return;
  process.env.XDG_RUNTIME_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'flatness-lens-xdg-'));
}

function requireAddon(): string {
  const addon = findDawnAddon();
  if (addon === null) throw new WebGpuUnavailable(`no WebGPU runtime for ${platformDirectory()} (dawn.node is not beside the engine or in node_modules/webgpu: install the platform-specific .vsix)`);
  return addon;
}

const PROBE_SCRIPT = `
const dawn = require(process.env.FLATNESS_LENS_DAWN_ADDON);
Object.assign(globalThis, dawn.globals);
const gpu = dawn.create([]);
(async () => {
  const found = [];
  for (const powerPreference of ['high-performance', 'low-power']) {
    const adapter = await gpu.requestAdapter({ powerPreference });
    if (!adapter) continue;
    const info = adapter.info;
    found.push({ vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      isFallbackAdapter: Boolean(info.isFallbackAdapter || adapter.isFallbackAdapter) });
  }
  process.stdout.write(JSON.stringify(found), () => process.exit(0));
})().catch((error) => process.stdout.write(JSON.stringify({ error: String(error && error.message || error) }), () => process.exit(0)));
`;

const PROBE_TIMEOUT_MS = 30_000;

/**
 * Lists the adapters from a separate process, before Dawn is loaded into this one: a driver
 * that crashes or hangs while enumerating takes down the probe, not the analysis, and the
 * drivers' console chatter (Dawn refusing lavapipe, loader warnings) is not the user's.
 */
function probeAdapters(addon: string): Promise<GpuAdapterInfoLike[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBE_SCRIPT], {
      env: { ...process.env, FLATNESS_LENS_DAWN_ADDON: addon, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (error) => { clearTimeout(timer); reject(new WebGpuUnavailable(`the adapter probe did not start (${error.message})`)); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(output);
      } catch {
        // reported below
      }
      if (Array.isArray(parsed)) return resolve(parsed as GpuAdapterInfoLike[]);
      const detail = parsed && typeof parsed === 'object' && 'error' in parsed ? String((parsed as { error: unknown }).error)
        : signal === 'SIGKILL' ? `no answer in ${PROBE_TIMEOUT_MS / 1000} s`
          : `exit ${signal ?? code}${errors.trim() ? `: ${errors.trim().split('\n')[0]!.slice(0, 160)}` : ''}`;
      reject(new WebGpuUnavailable(`the GPU driver failed while listing adapters (${detail})`));
    });
  });
}

let dawn: DawnModule | null = null;
let gpu: GpuLike | null = null;

function loadDawn(addon: string): GpuLike {
  if (gpu) return gpu;
  try {
    dawn = createRequire(__filename)(addon) as DawnModule;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new WebGpuUnavailable(`the WebGPU runtime did not load (${message})`);
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  gpu = dawn.create([]);
  // tfjs-backend-webgpu checks navigator.gpu when it constructs the backend.
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing) {
    Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true, writable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return gpu;
}

function noAdapterReason(): string {
  return hasVulkanLoader() ? 'no adapter (no GPU with a Vulkan, Metal or Direct3D 12 driver was found)' : 'no Vulkan loader: install libvulkan1';
}

async function pickAdapter(runtime: GpuLike, allowSoftware: boolean): Promise<GpuAdapterLike> {
  const found: GpuAdapterLike[] = [];
  for (const powerPreference of ['high-performance', 'low-power'] as const) {
    const adapter = await runtime.requestAdapter({ powerPreference });
    if (!adapter) continue;
    if (!isSoftwareAdapter(adapter.info, adapter.isFallbackAdapter)) return adapter;
    found.push(adapter);
  }
  if (found.length === 0) throw new WebGpuUnavailable(noAdapterReason());
  if (!allowSoftware) {
    throw new WebGpuUnavailable(`software adapter only (${adapterLabel(describeAdapter(found[0]!.info, found[0]!.isFallbackAdapter))}): slower than wasm, used only with --backend webgpu`);
  }
  return found[0]!;
}

let current: { device: GpuDeviceLike; description: WebGpuDevice } | null = null;
let failure: string | null = null;

/**
 * Creates a device on the best adapter and registers tfjs's 'webgpu' backend on it. A software
 * adapter is accepted only when `allowSoftware` (the backend was forced). The adapters are first
 * listed by a probe process, and Dawn is loaded here only when a usable one exists.
 */
export async function startWebGpu(allowSoftware: boolean): Promise<WebGpuDevice> {
  const addon = requireAddon();
  ensureRuntimeDirectory();
  if (gpu === null) {
    const adapters = await probeAdapters(addon);
    if (adapters.length === 0) throw new WebGpuUnavailable(noAdapterReason());
    const software = adapters.filter((info) => isSoftwareAdapter(info));
    if (!allowSoftware && software.length === adapters.length) {
      throw new WebGpuUnavailable(`software adapter only (${adapterLabel(describeAdapter(software[0]!))}): slower than wasm, used only with --backend webgpu`);
    }
  }
  const runtime = loadDawn(addon);
  const adapter = await pickAdapter(runtime, allowSoftware);
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  failure = null;
  device.onuncapturederror = (event) => {
    failure ??= `${event.error.constructor.name}: ${event.error.message.split('\n')[0]}`;
  };
  void device.lost.then((info) => {
    if (current?.device === device) failure ??= `the GPU device was lost (${info.reason}${info.message ? `: ${info.message.split('\n')[0]}` : ''})`;
  });
  const description: WebGpuDevice = {
    adapter: describeAdapter(adapter.info, adapter.isFallbackAdapter),
    limits: { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize },
  };
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  const backendDevice = device as unknown as ConstructorParameters<typeof WebGPUBackend>[0];
  const backendInfo = adapter.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1];
  tf.registerBackend('webgpu', () => new WebGPUBackend(backendDevice, backendInfo), 0);
  if (!(await tf.setBackend('webgpu'))) throw new WebGpuUnavailable('the webgpu backend did not initialize');
  current = { device, description };
  return description;
}

/** The device the webgpu backend runs on, when it is the active one. */
export function currentWebGpu(): WebGpuDevice | null {
  return current?.description ?? null;
}

/** Throws GpuDeviceFailure if the device reported an error or was lost since it was created. */
export function checkWebGpuHealth(): void {
  if (current !== null && failure !== null) throw new GpuDeviceFailure(failure);
}

/** Forgets the device (after a failure or for a test): the next startWebGpu makes a new one. */
export function stopWebGpu(): void {
  if (current === null) return;
  const { device } = current;
  current = null;
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  try {
    device.destroy();
  } catch {
    // already lost
  }
}

/** For tests: destroys the device under the running backend, as a driver reset would. */
export function loseWebGpuDeviceForTest(): void {
  current?.device.destroy();
}
