/** RMSProp as a pure transform. */
import * as tf from '@tensorflow/tfjs';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { GradientTransformation } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { decayOption, epsilonOption, learningRateOption } from './schema.js';
import { elementwise, filledLike, movingAverage, type Slots } from './tree.js';

/** Options of {@link rmsprop}. */
export interface RmspropOptions {
  /** Step size η (default 1e-3). */
  readonly learningRate?: number;
  /** Decay ρ of the mean square (default 0.9, as tf.train.rmsprop). */
  readonly decay?: number;
  /** Momentum μ (default 0). */
  readonly momentum?: number;
  /** ε inside the square root (default 1e-7, tf.train.rmsprop's float32 default). */
  readonly epsilon?: number;
  /** Centered variant: divide by the estimated variance instead of the raw second moment. */
  readonly centered?: boolean;
}

/** State of {@link rmsprop}. `mg` is empty unless centered. */
export interface RmspropState {
  readonly count: number;
  readonly ms: Readonly<Slots>;
  readonly mom: Readonly<Slots>;
  readonly mg: Readonly<Slots>;
}

export const rmspropSchema: OptionsSchema = {
  learningRate: learningRateOption(1e-3),
  decay: decayOption(0.9, 'decay ρ of the mean square'),
  momentum: { type: 'number', default: 0, min: 0, max: 1, description: 'momentum μ' },
  epsilon: epsilonOption(1e-7, 'ε inside the square root'),
  centered: {
    type: 'boolean',
    default: false,
    description: 'centered (variance-normalised) variant',
  },
};

/**
 * RMSProp: `s ← ρ s + (1−ρ) g²`, `a ← μ a + η g / √(s + ε)`, `u = −a` (the rule of
 * `tf.train.rmsprop`). Centered: `ḡ ← ρ ḡ + (1−ρ) g` and the denominator is
 * `√(max(s − ḡ², 0) + ε)` as in TensorFlow/Keras (plus the clamp); `tf.train.rmsprop` (tfjs 4.22)
 * computes `√(s − ḡ² − ε)`, which is NaN as soon as float32 cancellation or ε makes the variance
 * estimate negative — we do not copy that.
 *
 * Cost: element-wise; state: 2 tensors per parameter (3 centered).
 *
 * @see Tieleman & Hinton, Lecture 6.5 of "Neural Networks for Machine Learning", 2012; centered
 *   variant: Graves, "Generating Sequences With Recurrent Neural Networks", 2013.
 */
export function rmsprop(options: RmspropOptions = {}): GradientTransformation<RmspropState> {
  const config = validateOptions('rmsprop', rmspropSchema, { ...options });
  const lr = config['learningRate'] as number;
  const rho = config['decay'] as number;
  const mu = config['momentum'] as number;
  const eps = config['epsilon'] as number;
  const centered = config['centered'] as boolean;
  return {
    id: 'rmsprop',
    config,
    init: (params) => ({
      count: 0,
      ms: filledLike(params, 0),
      mom: filledLike(params, 0),
      mg: centered ? filledLike(params, 0) : {},
    }),
    update(grads, state) {
      const slots: Record<string, Readonly<Slots>> = { ms: state.ms, mom: state.mom };
      if (centered) slots['mg'] = state.mg;
      const r = elementwise('rmsprop', grads, slots, (g, s) => {
        const ms = movingAverage(s['ms']!, tf.square(g), rho);
        let denom: tf.Tensor;
        const out: Record<string, tf.Tensor> = { ms };
        if (centered) {
          const mg = movingAverage((s as Record<string, tf.Tensor>)['mg']!, g, rho);
          // float32 cancellation can make s − ḡ² slightly negative: clamp at 0.
          denom = tf.sqrt(tf.add(tf.relu(tf.sub(ms, tf.square(mg))), eps));
          out['mg'] = mg;
        } else {
          denom = tf.sqrt(tf.add(ms, eps));
        }
        const mom = tf.add(tf.mul(s['mom']!, mu), tf.div(tf.mul(g, lr), denom));
        out['mom'] = mom;
        return { update: tf.neg(mom), slots: out };
      });
      const next = r.slots;
      return {
        updates: r.updates,
        state: {
          count: state.count + 1,
          ms: next['ms']!,
          mom: next['mom']!,
          mg: next['mg'] ?? state.mg,
        },
      };
    },
  };
}

export const rmspropEntry: RegistryEntry<GradientTransformation<RmspropState>> = {
  id: 'rmsprop',
  kind: 'optimizer',
  displayName: 'RMSProp',
  summary:
    'Divides the gradient by a running root mean square, with optional momentum and centering.',
  reference:
    'Tieleman & Hinton, "Lecture 6.5 — RMSProp", Neural Networks for Machine Learning (Coursera), 2012; centered variant: Graves 2013. Same update as tf.train.rmsprop (tested to float tolerance).',
  evidence: 'standard',
  cost: { backward: '0', notes: 'element-wise; two state tensors per parameter (three centered)' },
  options: rmspropSchema,
  create: (o) => rmsprop(o as RmspropOptions),
};
