import type { Feed, RunOptions } from './runtime';

/** Messages between the engine and the onnxruntime session thread (sessionThreadMain.ts). */
export type SessionThreadRequest =
  | { kind: 'create'; id: number; model: Uint8Array; threads: number }
  | { kind: 'run'; id: number; session: number; feeds: Record<string, Feed>; fetches: readonly string[]; options: RunOptions }
  | { kind: 'forget'; id: number; keys: readonly string[] }
  | { kind: 'census'; id: number }
  | { kind: 'release'; id: number; session: number };

export type SessionThreadReply =
  | {
    id: number;
    ok: true;
    session?: number;
    outputNames?: readonly string[];
    outputs?: Record<string, Float32Array>;
    /** Buffers of feeds the thread no longer holds, given back for reuse. */
    returned?: ArrayBuffer[];
    /** What the thread holds (census requests). */
    census?: ThreadCensus;
  }
  | { id: number; ok: false; message: string };

export interface ThreadCensus {
  sessions: number;
  keptValues: number;
}

/** Buffers a message may move instead of copy: each distinct whole-buffer array once. */
export function transferables(arrays: Iterable<Float32Array | Uint8Array>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) {
    const buffer = array.buffer;
    if (buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}

/**
 * Reusable buffers by size. A fresh large ArrayBuffer costs page faults on every first touch (17 ms
 * for 6.4 MB here, ten times a copy into a used one), so buffers that crossed to the other thread
 * and came back are filled again.
 */
export class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();

  constructor(private readonly perSize = 4) {}

  /** A Float32Array of `length` over a reused buffer where one is free. */
  take(length: number): Float32Array {
    const buffer = this.free.get(length * 4)?.pop();
    return buffer ? new Float32Array(buffer) : new Float32Array(length);
  }

  give(buffers: Iterable<ArrayBuffer>): void {
    for (const buffer of buffers) {
      if (buffer.byteLength === 0) continue;
      const list = this.free.get(buffer.byteLength) ?? [];
      if (list.length < this.perSize) list.push(buffer);
      this.free.set(buffer.byteLength, list);
    }
  }
}
