/** Adam as a pure transform. */
import * as tf from '@tensorflow/tfjs';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { GradientTransformation } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { decayOption, epsilonOption, learningRateOption } from './schema.js';
import { elementwise, filledLike, movingAverage, type Slots } from './tree.js';

/** Options of {@link adam}. */
export interface AdamOptions {
  /** Step size η (default 1e-3). */
  readonly learningRate?: number;
  /** First-moment decay β1 (default 0.9). */
  readonly beta1?: number;
  /** Second-moment decay β2 (default 0.999). */
  readonly beta2?: number;
  /** ε added to √v̂ (default 1e-8, as in the paper and PyTorch; tf.train.adam uses 1e-7). */
  readonly epsilon?: number;
}

/** State of {@link adam}: step count and the two moments per parameter. */
export interface AdamState {
  readonly count: number;
  readonly m: Readonly<Slots>;
  readonly v: Readonly<Slots>;
}

export const adamSchema: OptionsSchema = {
  learningRate: learningRateOption(1e-3),
  beta1: decayOption(0.9, 'first-moment decay β1'),
  beta2: decayOption(0.999, 'second-moment decay β2'),
  epsilon: epsilonOption(1e-8, 'ε added to √v̂'),
};

/**
 * Adam: `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`, `u = −η · m̂ / (√v̂ + ε)` with
 * `m̂ = m/(1−β1^t)`, `v̂ = v/(1−β2^t)` (t = step count, starting at 1). Same rule and ε placement
 * as `tf.train.adam`; the bias corrections are computed on the host in float64.
 *
 * Cost: element-wise; state: 2 tensors per parameter.
 *
 * @see Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
 */
export function adam(options: AdamOptions = {}): GradientTransformation<AdamState> {
  const config = validateOptions('adam', adamSchema, { ...options });
  const lr = config['learningRate'] as number;
  const b1 = config['beta1'] as number;
  const b2 = config['beta2'] as number;
  const eps = config['epsilon'] as number;
  return {
    id: 'adam',
    config,
    init: (params) => ({ count: 0, m: filledLike(params, 0), v: filledLike(params, 0) }),
    update(grads, state) {
      const t = state.count + 1;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const r = elementwise('adam', grads, { m: state.m, v: state.v }, (g, s) => {
        const m = movingAverage(s.m, g, b1);
        const v = movingAverage(s.v, tf.square(g), b2);
        const step = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        return { update: tf.mul(step, -lr), slots: { m, v } };
      });
      return { updates: r.updates, state: { count: t, m: r.slots.m, v: r.slots.v } };
    },
  };
}

export const adamEntry: RegistryEntry<GradientTransformation<AdamState>> = {
  id: 'adam',
  kind: 'optimizer',
  displayName: 'Adam',
  summary: 'Adaptive moment estimation with bias-corrected first and second moments.',
  reference:
    'Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015. Same update and ε placement as tf.train.adam (tested to float tolerance).',
  evidence: 'standard',
  cost: { backward: '0', notes: 'element-wise; two state tensors per parameter' },
  options: adamSchema,
  create: (o) => adam(o as AdamOptions),
};
