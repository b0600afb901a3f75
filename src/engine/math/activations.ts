import type { ActivationName, ActivationSpec } from '../model/types';
import { normalCdf, normalPdf } from './special';

/** sigma, sigma' and sigma'' in float64, and the degree k of positive homogeneity (or null). */
export interface Activation {
  spec: ActivationSpec;
  label: string;
  homogeneityDegree: number | null;
  /** True when sigma'' = 0 almost everywhere, so the C_j term vanishes. */
  piecewiseLinear: boolean;
  value: (z: number) => number;
  firstDerivative: (z: number) => number;
  secondDerivative: (z: number) => number;
}

export const ACTIVATION_NAMES: readonly ActivationName[] = [
  'relu', 'leaky_relu', 'relu_pow', 'square', 'abs', 'linear',
  'tanh', 'sigmoid', 'gelu', 'softplus', 'elu',
];

const ALIASES: Record<string, ActivationName> = {
  relu: 'relu', leaky_relu: 'leaky_relu', leakyrelu: 'leaky_relu', 'leaky-relu': 'leaky_relu',
  relu_pow: 'relu_pow', relupow: 'relu_pow', square: 'square', quadratic: 'square', abs: 'abs',
  linear: 'linear', identity: 'linear', none: 'linear', tanh: 'tanh', sigmoid: 'sigmoid',
  logistic: 'sigmoid', gelu: 'gelu', softplus: 'softplus', elu: 'elu',
};

/**
 * Parses 'relu', 'leaky_relu', 'leaky_relu:0.1', 'relu^2', 'relu_pow:3', 'elu:0.5', ... Returns
 * null for names the engine does not know.
 */
export function parseActivation(text: string): ActivationSpec | null {
  const cleaned = text.trim().toLowerCase();
  const power = /^relu\s*\^\s*([0-9.]+)$/.exec(cleaned);
  if (power) return validSpec({ name: 'relu_pow', power: Number(power[1]) });
  const [rawName, rawParameter] = cleaned.split(/[:(=]/, 2);
  const key = (rawName ?? '').trim();
  // Own properties only: names come from files ('constructor' must not find Object).
  const name = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (name === undefined) return null;
  const parameterText = rawParameter?.replace(/\)$/, '').trim();
  if (parameterText !== undefined && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(parameterText)) return null; // '', '0x10'
  const parameter = parameterText === undefined ? undefined : Number(parameterText);
  if (parameter !== undefined && !Number.isFinite(parameter)) return null;
  switch (name) {
    case 'leaky_relu': return validSpec({ name, slope: parameter ?? 0.01 });
    case 'relu_pow': return validSpec({ name, power: parameter ?? 2 });
    case 'elu': return validSpec({ name, alpha: parameter ?? 1 });
    default: return rawParameter === undefined ? { name } : null; // 'relu:5' has no parameter to honor
  }
}

function validSpec(spec: ActivationSpec): ActivationSpec | null {
  if (spec.name === 'relu_pow' && !(spec.power !== undefined && spec.power >= 1)) return null;
  if (spec.name === 'leaky_relu' && !(spec.slope !== undefined && spec.slope >= 0 && spec.slope < 1)) return null;
  return spec;
}

export function activationLabel(spec: ActivationSpec): string {
  switch (spec.name) {
    case 'leaky_relu': return `leaky_relu(${spec.slope ?? 0.01})`;
    case 'relu_pow': return `relu^${spec.power ?? 2}`;
    case 'elu': return `elu(${spec.alpha ?? 1})`;
    default: return spec.name;
  }
}

export function makeActivation(spec: ActivationSpec): Activation {
  const label = activationLabel(spec);
  const base = { spec, label };
  switch (spec.name) {
    case 'relu':
      return {
        ...base, homogeneityDegree: 1, piecewiseLinear: true,
        value: (z) => (z > 0 ? z : 0),
        firstDerivative: (z) => (z > 0 ? 1 : 0),
        secondDerivative: () => 0,
      };
    case 'leaky_relu': {
      const slope = spec.slope ?? 0.01;
      return {
        ...base, homogeneityDegree: 1, piecewiseLinear: true,
        value: (z) => (z > 0 ? z : slope * z),
        firstDerivative: (z) => (z > 0 ? 1 : slope),
        secondDerivative: () => 0,
      };
    }
    case 'relu_pow': {
      const p = spec.power ?? 2;
      if (p === 1) return makeActivation({ name: 'relu' });
      return {
        ...base, homogeneityDegree: p, piecewiseLinear: false,
        value: (z) => (z > 0 ? Math.pow(z, p) : 0),
        firstDerivative: (z) => (z > 0 ? p * Math.pow(z, p - 1) : 0),
        secondDerivative: (z) => (z > 0 ? p * (p - 1) * Math.pow(z, p - 2) : 0),
      };
    }
    case 'square':
      return {
        ...base, homogeneityDegree: 2, piecewiseLinear: false,
        value: (z) => z * z,
        firstDerivative: (z) => 2 * z,
        secondDerivative: () => 2,
      };
    case 'abs':
      return {
        ...base, homogeneityDegree: 1, piecewiseLinear: true,
        value: (z) => Math.abs(z),
        firstDerivative: (z) => (z > 0 ? 1 : z < 0 ? -1 : 0),
        secondDerivative: () => 0,
      };
    case 'linear':
      return {
        ...base, homogeneityDegree: 1, piecewiseLinear: true,
        value: (z) => z,
        firstDerivative: () => 1,
        secondDerivative: () => 0,
      };
    case 'tanh':
      return {
        ...base, homogeneityDegree: null, piecewiseLinear: false,
        value: (z) => Math.tanh(z),
        firstDerivative: (z) => { const t = Math.tanh(z); return 1 - t * t; },
        secondDerivative: (z) => { const t = Math.tanh(z); return -2 * t * (1 - t * t); },
      };
    case 'sigmoid':
      return {
        ...base, homogeneityDegree: null, piecewiseLinear: false,
        value: logistic,
        firstDerivative: (z) => { const s = logistic(z); return s * (1 - s); },
        secondDerivative: (z) => { const s = logistic(z); return s * (1 - s) * (1 - 2 * s); },
      };
    case 'gelu':
      return {
        ...base, homogeneityDegree: null, piecewiseLinear: false,
        value: (z) => z * normalCdf(z),
        firstDerivative: (z) => normalCdf(z) + z * normalPdf(z),
        secondDerivative: (z) => normalPdf(z) * (2 - z * z),
      };
    case 'softplus':
      return {
        ...base, homogeneityDegree: null, piecewiseLinear: false,
        value: (z) => (z > 30 ? z : z < -30 ? Math.exp(z) : Math.log1p(Math.exp(z))),
        firstDerivative: logistic,
        secondDerivative: (z) => { const s = logistic(z); return s * (1 - s); },
      };
    case 'elu': {
      const alpha = spec.alpha ?? 1;
      return {
        ...base, homogeneityDegree: null, piecewiseLinear: false,
        value: (z) => (z > 0 ? z : alpha * Math.expm1(z)),
        firstDerivative: (z) => (z > 0 ? 1 : alpha * Math.exp(z)),
        secondDerivative: (z) => (z > 0 ? 0 : alpha * Math.exp(z)),
      };
    }
  }
}

function logistic(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
