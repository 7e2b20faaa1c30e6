/** AdaGrad as a pure transform. */
import * as tf from '@tensorflow/tfjs';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { GradientTransformation } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { epsilonOption, learningRateOption } from './schema.js';
import { elementwise, filledLike, type Slots } from './tree.js';

/** Options of {@link adagrad}. */
export interface AdagradOptions {
  /** Step size η (default 0.01). */
  readonly learningRate?: number;
  /** Initial value of the accumulator (default 0.1, as tf.train.adagrad). */
  readonly initialAccumulatorValue?: number;
  /** ε inside the square root (default 1e-7, tf.train.adagrad's float32 value). */
  readonly epsilon?: number;
}

/** State of {@link adagrad}: the sum of squared gradients per parameter. */
export interface AdagradState {
  readonly count: number;
  readonly accum: Readonly<Slots>;
}

export const adagradSchema: OptionsSchema = {
  learningRate: learningRateOption(0.01),
  initialAccumulatorValue: {
    type: 'number',
    default: 0.1,
    min: 0,
    description: 'initial accumulator value',
  },
  epsilon: epsilonOption(1e-7, 'ε inside the square root'),
};

/**
 * AdaGrad: `s ← s + g²`, `u = −η · g / √(s + ε)` with `s₀ = initialAccumulatorValue`. Same rule
 * as `tf.train.adagrad`.
 *
 * Cost: element-wise; state: one tensor per parameter.
 *
 * @see Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic
 *   Optimization", JMLR 2011.
 */
export function adagrad(options: AdagradOptions = {}): GradientTransformation<AdagradState> {
  const config = validateOptions('adagrad', adagradSchema, { ...options });
  const lr = config['learningRate'] as number;
  const s0 = config['initialAccumulatorValue'] as number;
  const eps = config['epsilon'] as number;
  return {
    id: 'adagrad',
    config,
    init: (params) => ({ count: 0, accum: filledLike(params, s0) }),
    update(grads, state) {
      const r = elementwise('adagrad', grads, { s: state.accum }, (g, st) => {
        const s = tf.add(st.s, tf.square(g));
        return { update: tf.mul(tf.div(g, tf.sqrt(tf.add(s, eps))), -lr), slots: { s } };
      });
      return { updates: r.updates, state: { count: state.count + 1, accum: r.slots.s } };
    },
  };
}

export const adagradEntry: RegistryEntry<GradientTransformation<AdagradState>> = {
  id: 'adagrad',
  kind: 'optimizer',
  displayName: 'AdaGrad',
  summary: 'Per-coordinate step sizes from the running sum of squared gradients.',
  reference:
    'Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and Stochastic Optimization", JMLR 2011. Same update as tf.train.adagrad (tested to float tolerance).',
  evidence: 'standard',
  cost: { backward: '0', notes: 'element-wise; one state tensor per parameter' },
  options: adagradSchema,
  create: (o) => adagrad(o as AdagradOptions),
};
