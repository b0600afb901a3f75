import { tf } from './tf';
import type { ActivationSpec } from '../model/types';

/** sigma applied elementwise on the backend. */
export function applyActivation(z: tf.Tensor, spec: ActivationSpec): tf.Tensor {
  switch (spec.name) {
    case 'relu': return tf.relu(z);
    case 'leaky_relu': return tf.leakyRelu(z, spec.slope ?? 0.01);
    case 'relu_pow': return tf.pow(tf.relu(z), spec.power ?? 2);
    case 'square': return tf.square(z);
    case 'abs': return tf.abs(z);
    case 'linear': return z;
    case 'tanh': return tf.tanh(z);
    case 'sigmoid': return tf.sigmoid(z);
    case 'gelu': return tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.div(z, Math.SQRT2))));
    case 'softplus': return tf.softplus(z);
    case 'elu': {
      const alpha = spec.alpha ?? 1;
      return alpha === 1 ? tf.elu(z) : tf.where(tf.greater(z, 0), z, tf.mul(alpha, tf.sub(tf.exp(z), 1)));
    }
  }
}

/** sigma' on the backend. */
export function activationFirstDerivative(z: tf.Tensor, spec: ActivationSpec): tf.Tensor {
  switch (spec.name) {
    case 'relu': return tf.step(z, 0);
    case 'leaky_relu': return tf.step(z, spec.slope ?? 0.01);
    case 'relu_pow': {
      const p = spec.power ?? 2;
      return p === 1 ? tf.step(z, 0) : tf.mul(p, tf.pow(tf.relu(z), p - 1));
    }
    case 'square': return tf.mul(2, z);
    case 'abs': return tf.sign(z);
    case 'linear': return tf.onesLike(z);
    case 'tanh': return tf.sub(1, tf.square(tf.tanh(z)));
    case 'sigmoid': { const s = tf.sigmoid(z); return tf.mul(s, tf.sub(1, s)); }
    case 'gelu': return tf.add(normalCdfTensor(z), tf.mul(z, normalPdfTensor(z)));
    case 'softplus': return tf.sigmoid(z);
    case 'elu': return tf.where(tf.greater(z, 0), tf.onesLike(z), tf.mul(spec.alpha ?? 1, tf.exp(z)));
  }
}

/** sigma'' on the backend, or null where it vanishes almost everywhere. */
export function activationSecondDerivative(z: tf.Tensor, spec: ActivationSpec): tf.Tensor | null {
  switch (spec.name) {
    case 'relu': case 'leaky_relu': case 'abs': case 'linear': return null;
    case 'relu_pow': {
      const p = spec.power ?? 2;
      if (p === 1) return null;
      const positive = tf.greater(z, 0);
      // relu(z)^(p-2) is infinite at z <= 0 when p < 2: mask it.
      return tf.where(positive, tf.mul(p * (p - 1), tf.pow(tf.relu(z), p - 2)), tf.zerosLike(z));
    }
    case 'square': return tf.fill(z.shape, 2);
    case 'tanh': { const t = tf.tanh(z); return tf.mul(-2, tf.mul(t, tf.sub(1, tf.square(t)))); }
    case 'sigmoid': { const s = tf.sigmoid(z); return tf.mul(tf.mul(s, tf.sub(1, s)), tf.sub(1, tf.mul(2, s))); }
    case 'gelu': return tf.mul(normalPdfTensor(z), tf.sub(2, tf.square(z)));
    case 'softplus': { const s = tf.sigmoid(z); return tf.mul(s, tf.sub(1, s)); }
    case 'elu': return tf.where(tf.greater(z, 0), tf.zerosLike(z), tf.mul(spec.alpha ?? 1, tf.exp(z)));
  }
}

function normalCdfTensor(z: tf.Tensor): tf.Tensor {
  return tf.mul(0.5, tf.add(1, tf.erf(tf.div(z, Math.SQRT2))));
}

function normalPdfTensor(z: tf.Tensor): tf.Tensor {
  return tf.mul(1 / Math.sqrt(2 * Math.PI), tf.exp(tf.mul(-0.5, tf.square(z))));
}
