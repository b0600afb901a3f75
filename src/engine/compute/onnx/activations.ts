import type { ActivationSpec } from '../../model/types';
import type { OnnxGraph } from './graph';

/**
 * sigma, sigma' and sigma'' as ONNX nodes, the same functions as activationTensors.ts computes
 * with tfjs (step(z) at the kink: z > 0 is the positive side).
 */
const CAST_TO_FLOAT = { to: { kind: 'int', value: 1 } } as const;

function positiveMask(g: OnnxGraph, z: string): string {
  return g.op('Greater', [z, g.scalar(0)]);
}

export function onnxStep(g: OnnxGraph, z: string): string {
  return g.op('Cast', [positiveMask(g, z)], CAST_TO_FLOAT);
}

function constantLike(g: OnnxGraph, z: string, value: number): string {
  return g.op('Add', [g.op('Mul', [z, g.scalar(0)]), g.scalar(value)]);
}

function scale(g: OnnxGraph, factor: number, value: string): string {
  return g.op('Mul', [value, g.scalar(factor)]);
}

function normalCdf(g: OnnxGraph, z: string): string {
  return scale(g, 0.5, g.op('Add', [g.scalar(1), g.op('Erf', [scale(g, Math.SQRT1_2, z)])]));
}

function normalPdf(g: OnnxGraph, z: string): string {
  return scale(g, 1 / Math.sqrt(2 * Math.PI), g.op('Exp', [scale(g, -0.5, g.op('Mul', [z, z]))]));
}

export function onnxActivation(g: OnnxGraph, z: string, spec: ActivationSpec): string {
  switch (spec.name) {
    case 'relu': return g.op('Relu', [z]);
    case 'leaky_relu': return g.op('LeakyRelu', [z], { alpha: { kind: 'float', value: spec.slope ?? 0.01 } });
    case 'relu_pow': return g.op('Pow', [g.op('Relu', [z]), g.scalar(spec.power ?? 2)]);
    case 'square': return g.op('Mul', [z, z]);
    case 'abs': return g.op('Abs', [z]);
    case 'linear': return g.op('Identity', [z]);
    case 'tanh': return g.op('Tanh', [z]);
    case 'sigmoid': return g.op('Sigmoid', [z]);
    case 'gelu': return g.op('Mul', [z, normalCdf(g, z)]);
    case 'softplus': return g.op('Softplus', [z]);
    case 'elu': return g.op('Elu', [z], { alpha: { kind: 'float', value: spec.alpha ?? 1 } });
  }
}

export function onnxFirstDerivative(g: OnnxGraph, z: string, spec: ActivationSpec): string {
  switch (spec.name) {
    case 'relu': return onnxStep(g, z);
    case 'leaky_relu': return g.op('Where', [positiveMask(g, z), g.scalar(1), g.scalar(spec.slope ?? 0.01)]);
    case 'relu_pow': {
      const p = spec.power ?? 2;
      return p === 1 ? onnxStep(g, z) : scale(g, p, g.op('Pow', [g.op('Relu', [z]), g.scalar(p - 1)]));
    }
    case 'square': return scale(g, 2, z);
    case 'abs': return g.op('Sign', [z]);
    case 'linear': return constantLike(g, z, 1);
    case 'tanh': { const t = g.op('Tanh', [z]); return g.op('Sub', [g.scalar(1), g.op('Mul', [t, t])]); }
    case 'sigmoid': { const s = g.op('Sigmoid', [z]); return g.op('Mul', [s, g.op('Sub', [g.scalar(1), s])]); }
    case 'gelu': return g.op('Add', [normalCdf(g, z), g.op('Mul', [z, normalPdf(g, z)])]);
    case 'softplus': return g.op('Sigmoid', [z]);
    case 'elu': return g.op('Where', [positiveMask(g, z), g.scalar(1), scale(g, spec.alpha ?? 1, g.op('Exp', [z]))]);
  }
}

/** sigma'' as a node, or null where it vanishes almost everywhere. */
export function onnxSecondDerivative(g: OnnxGraph, z: string, spec: ActivationSpec): string | null {
  switch (spec.name) {
    case 'relu': case 'leaky_relu': case 'abs': case 'linear': return null;
    case 'relu_pow': {
      const p = spec.power ?? 2;
      if (p === 1) return null;
      // relu(z)^(p-2) is infinite at z <= 0 when p < 2: mask it.
      return g.op('Where', [positiveMask(g, z), scale(g, p * (p - 1), g.op('Pow', [g.op('Relu', [z]), g.scalar(p - 2)])), g.scalar(0)]);
    }
    case 'square': return constantLike(g, z, 2);
    case 'tanh': {
      const t = g.op('Tanh', [z]);
      return scale(g, -2, g.op('Mul', [t, g.op('Sub', [g.scalar(1), g.op('Mul', [t, t])])]));
    }
    case 'sigmoid': {
      const s = g.op('Sigmoid', [z]);
      return g.op('Mul', [g.op('Mul', [s, g.op('Sub', [g.scalar(1), s])]), g.op('Sub', [g.scalar(1), scale(g, 2, s)])]);
    }
    case 'gelu': return g.op('Mul', [normalPdf(g, z), g.op('Sub', [g.scalar(2), g.op('Mul', [z, z])])]);
    case 'softplus': { const s = g.op('Sigmoid', [z]); return g.op('Mul', [s, g.op('Sub', [g.scalar(1), s])]); }
    case 'elu': return g.op('Where', [positiveMask(g, z), g.scalar(0), scale(g, spec.alpha ?? 1, g.op('Exp', [z]))]);
  }
}

/** Whether sigma'' is nonzero on a set of positive measure (onnxSecondDerivative is not null). */
export function hasSecondDerivative(spec: ActivationSpec): boolean {
  switch (spec.name) {
    case 'relu': case 'leaky_relu': case 'abs': case 'linear': return false;
    case 'relu_pow': return (spec.power ?? 2) !== 1;
    default: return true;
  }
}
