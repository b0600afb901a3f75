import type { ActivationSpec } from '../../model/types';
import { OnnxGraph } from './graph';
import { OnnxSession } from './runtime';
import { onnxActivation, onnxFirstDerivative } from './activations';

/**
 * Loss-and-gradient products at P parameter points of one architecture, on onnxruntime. The
 * weights are feeds (not initializers), so one pair of sessions serves every point set of every
 * model of this shape; P and the chunk's rows are symbolic. With U = [X | 1] (rows x du) and
 * W = [W | b] per point (P x m x du):
 *   forward:  Z^T = W U^T (P x m x rows),  F^T = A sigma(Z^T) (P x c x rows)
 *   backward: dA^T = sigma(Z^T) G (P x m x c),  delta^T = (A^T G^T) o sigma'(Z^T),
 *             dW = delta^T U (P x m x du: the last column is the hidden bias's gradient)
 * G is dl/df per sample, computed in float64 JavaScript between the two runs.
 */
export interface PointsShape {
  du: number;
  m: number;
  c: number;
  activation: ActivationSpec;
}

interface PointsSessions {
  forward: OnnxSession;
  backward: OnnxSession;
}

const sessions = new Map<string, Promise<PointsSessions>>();

function shapeKey(shape: PointsShape): string {
  return JSON.stringify([shape.du, shape.m, shape.c, shape.activation]);
}

function buildForward(shape: PointsShape): Uint8Array {
  const { du, m, c, activation } = shape;
  const g = new OnnxGraph();
  const inputsTransposed = g.op('Transpose', [g.input('U', ['rows', du])]);
  const z = g.op('MatMul', [g.input('W', ['P', m, du]), inputsTransposed], {}, 'Z');
  g.op('MatMul', [g.input('A', ['P', c, m]), onnxActivation(g, z, activation)], {}, 'F');
  g.output('Z', ['P', m, 'rows']);
  g.output('F', ['P', c, 'rows']);
  return g.build();
}

function buildBackward(shape: PointsShape): Uint8Array {
  const { du, m, c, activation } = shape;
  const g = new OnnxGraph();
  const u = g.input('U', ['rows', du]);
  const z = g.input('Z', ['P', m, 'rows']);
  const outputsTransposed = g.input('AT', ['P', m, c]);
  const lossGradient = g.input('G', ['P', 'rows', c]);
  const lossGradientTransposed = g.input('GT', ['P', c, 'rows']);
  g.op('MatMul', [onnxActivation(g, z, activation), lossGradient], {}, 'dAT');
  // One output: an outer product, as a broadcast multiply rather than a K = 1 product.
  const back = c === 1
    ? g.op('Mul', [outputsTransposed, lossGradientTransposed])
    : g.op('MatMul', [outputsTransposed, lossGradientTransposed]);
  const delta = g.op('Mul', [back, onnxFirstDerivative(g, z, activation)]);
  g.op('MatMul', [delta, u], {}, 'dW');
  g.output('dAT', ['P', m, c]);
  g.output('dW', ['P', m, du]);
  return g.build();
}

/** The sessions for this shape, made once and kept until the last lease ends (or releasePointSessions). */
export function pointSessions(shape: PointsShape): Promise<PointsSessions> {
  const key = shapeKey(shape);
  let entry = sessions.get(key);
  if (!entry) {
    entry = Promise.all([OnnxSession.create(buildForward(shape)), OnnxSession.create(buildBackward(shape))])
      .then(([forward, backward]) => ({ forward, backward }));
    entry.catch(() => sessions.delete(key));
    sessions.set(key, entry);
  }
  return entry;
}

/** Releases every point-evaluation session: their memory arenas go back. */
export async function releasePointSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  await Promise.all(all.map((entry) => entry.then(
    async ({ forward, backward }) => { await forward.release(); await backward.release(); },
    () => undefined,
  )));
}

let leases = 0;

/**
 * Marks an analysis that may use the point sessions; the returned function ends its lease, and
 * the last lease to end releases them. The worker may run analyses side by side, so one that ends
 * must not release sessions another is running.
 */
export function leasePointSessions(): () => Promise<void> {
  leases++;
  let ended = false;
  return async () => {
    if (ended) return;
    ended = true;
    leases--;
    if (leases === 0) await releasePointSessions();
  };
}

export function pointSessionCount(): number {
  return sessions.size;
}
