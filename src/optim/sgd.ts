/** SGD with optional (Nesterov) momentum, as a pure transform. */
import * as tf from '@tensorflow/tfjs';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { GradientTransformation } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { learningRateOption } from './schema.js';
import { elementwise, filledLike, type Slots } from './tree.js';

/** Options of {@link sgd}. */
export interface SgdOptions {
  /** Step size η (default 0.01). */
  readonly learningRate?: number;
  /** Momentum μ (default 0 = plain SGD). */
  readonly momentum?: number;
  /** Nesterov momentum (default false). */
  readonly nesterov?: boolean;
}

/** State of {@link sgd}: the momentum buffer per parameter (empty without momentum). */
export interface SgdState {
  readonly count: number;
  readonly momentum: Readonly<Slots>;
}

export const sgdSchema: OptionsSchema = {
  learningRate: learningRateOption(0.01),
  momentum: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1,
    description: 'momentum μ (0 = plain SGD)',
  },
  nesterov: { type: 'boolean', default: false, description: 'Nesterov momentum' },
};

/**
 * Stochastic gradient descent: `u = −η·g`; with momentum `a ← μ·a + g`, `u = −η·a`
 * (Nesterov: `u = −η·(g + μ·a)`). Same rule as `tf.train.sgd` / `tf.train.momentum`.
 *
 * Cost: element-wise; state: one tensor per parameter with momentum, none without.
 *
 * @see Robbins & Monro 1951; Polyak 1964 (heavy ball); Sutskever et al., ICML 2013 (Nesterov).
 */
export function sgd(options: SgdOptions = {}): GradientTransformation<SgdState> {
  const config = validateOptions('sgd', sgdSchema, { ...options });
  const lr = config['learningRate'] as number;
  const mu = config['momentum'] as number;
  const nesterov = config['nesterov'] as boolean;
  return {
    id: 'sgd',
    config,
    init: (params) => ({ count: 0, momentum: mu > 0 ? filledLike(params, 0) : {} }),
    update(grads, state) {
      if (mu === 0) {
        const updates = tf.tidy(() =>
          Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, -lr)])),
        );
        return { updates, state: { count: state.count + 1, momentum: state.momentum } };
      }
      const r = elementwise('sgd', grads, { a: state.momentum }, (g, s) => {
        const a = tf.add(tf.mul(s.a, mu), g);
        const dir = nesterov ? tf.add(g, tf.mul(a, mu)) : a;
        return { update: tf.mul(dir, -lr), slots: { a } };
      });
      return { updates: r.updates, state: { count: state.count + 1, momentum: r.slots.a } };
    },
  };
}

export const sgdEntry: RegistryEntry<GradientTransformation<SgdState>> = {
  id: 'sgd',
  kind: 'optimizer',
  displayName: 'SGD',
  summary: 'Stochastic gradient descent with optional (Nesterov) momentum.',
  reference:
    'Robbins & Monro, "A Stochastic Approximation Method", Ann. Math. Stat. 1951; momentum: Polyak 1964, Nesterov as in Sutskever et al., ICML 2013. Same update as tf.train.sgd / tf.train.momentum.',
  evidence: 'standard',
  cost: { backward: '0', notes: 'element-wise; one state tensor per parameter with momentum' },
  options: sgdSchema,
  create: (o) => sgd(o as SgdOptions),
};
