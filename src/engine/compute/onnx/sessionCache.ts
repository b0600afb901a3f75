import type { TwoLayerModel } from '../../model/types';
import { type OnnxRunner, OnnxSession } from './runtime';

/**
 * Sessions per (model, kernel): the weights are initializers of the graph, so a session belongs
 * to one set of weights. A repeated pass over the same model (forward then trace, test data,
 * benchmarks) reuses it. The weights are fingerprinted on every lookup, so a model changed in
 * place gets new sessions rather than stale ones; the key names everything else the graph
 * depends on (the activation, the kernel's options).
 */
interface Entry { fingerprint: number; sessions: Map<string, Promise<OnnxRunner>> }
const cache = new WeakMap<TwoLayerModel, Entry>();

function mix(hash: number, values: Float64Array | null): number {
  if (values === null) return Math.imul(hash ^ 0x9e3779b9, 0x85ebca6b);
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  let h = hash ^ values.length;
  for (let k = 0; k < words.length; k++) h = Math.imul(h ^ words[k]!, 0x01000193);
  return h >>> 0;
}

function fingerprint(model: TwoLayerModel): number {
  let hash = 0x811c9dc5;
  for (const values of [model.hiddenWeights, model.hiddenBias, model.outputWeights, model.outputBias]) hash = mix(hash, values);
  return hash;
}

/** `create` makes the session from the graph's bytes (on this thread by default). */
export function cachedSession(
  model: TwoLayerModel,
  key: string,
  build: () => Uint8Array,
  create: (graph: Uint8Array) => Promise<OnnxRunner> = (graph) => OnnxSession.create(graph),
): Promise<OnnxRunner> {
  const current = fingerprint(model);
  let entry = cache.get(model);
  if (!entry || entry.fingerprint !== current) {
    if (entry) for (const stale of entry.sessions.values()) void stale.then((s) => s.release(), () => undefined);
    entry = { fingerprint: current, sessions: new Map() };
    cache.set(model, entry);
  }
  const sessions = entry.sessions;
  let session = sessions.get(key);
  if (!session) {
    session = create(build());
    session.catch(() => sessions.delete(key));
    sessions.set(key, session);
  }
  return session;
}

/** Releases a model's cached sessions whose key starts with `prefix`: their memory arenas go back. */
export async function releaseCachedSessions(model: TwoLayerModel, prefix: string): Promise<void> {
  const entry = cache.get(model);
  if (!entry) return;
  const released: Promise<void>[] = [];
  for (const [key, session] of entry.sessions) {
    if (!key.startsWith(prefix)) continue;
    entry.sessions.delete(key);
    released.push(session.then((s) => s.release(), () => undefined));
  }
  await Promise.all(released);
}
