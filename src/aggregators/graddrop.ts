/** GradDrop aggregator: sign-purity dropout of the task gradients (needs J itself). */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { assertJacobian } from '../autodiff/gramian.js';
import { EMPTY_STATE, perTaskValues } from '../weightings/base.js';
import { BASE_TRAITS } from './base.js';

/** Options of {@link graddrop}. */
export interface GraddropOptions {
  /** Leak ℓ ∈ [0, 1] per task (one number for all, or K numbers): the part of g_k always kept. Default 0. */
  readonly leak?: number | readonly number[];
}

/** Option schema of GradDrop. */
export const graddropSchema: OptionsSchema = {
  leak: {
    type: 'number|number[]',
    default: 0,
    description:
      'leak ℓ_k ∈ [0, 1]: fraction of task k’s gradient that is never dropped (number or one per task)',
  },
};

const TRAITS: AggregatorTraits = { ...BASE_TRAITS, stochastic: true };

/**
 * GradDrop (Chen et al., "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign
 * Dropout", NeurIPS 2020), as torchjd `GradDrop` on the parameter Jacobian: per coordinate,
 * the sign purity P = ½(1 + Σ_k g_k / Σ_k |g_k|) (½ where all g_k are 0) and one U ~ Uniform(0, 1)
 * shared by all tasks; task k keeps its coordinate when (P > U and g_k > 0) or (P < U and
 * g_k < 0); d = Σ_k (ℓ_k + (1 − ℓ_k)·mask_k) ⊙ g_k. U comes from `tf.randomUniform` seeded by
 * `ctx.rng` (one seed per block, in block order), so a seed reproduces the masks.
 *
 * The paper applies the masks to gradients at a layer's activations (LibMTL requires `rep_grad`);
 * applying them to the parameter Jacobian, as torchjd does, works in both Jacobian modes.
 *
 * Traits: permutation-invariant and degree-1 homogeneous (P and the masks are scale-free);
 * K = 1 keeps every coordinate (d = g); no weights (masks are per coordinate). Cost: K backward
 * passes, O(KD) device work, no read-back. Stateless. Stochastic.
 * @throws {ConfigError} If a leak is outside [0, 1].
 * @throws {ShapeError} From `update` when `leak` is an array whose length is not K.
 */
export function graddrop(options: GraddropOptions = {}): Aggregator<EmptyState> {
  const config = validateOptions('graddrop', graddropSchema, { ...options });
  const leak = config['leak'] as number | readonly number[];
  const leaks = typeof leak === 'number' ? [leak] : leak;
  if (leaks.some((l) => l < 0 || l > 1)) {
    throw new ConfigError(
      `graddrop: option \`leak\` must lie in [0, 1], got ${JSON.stringify(leak)}`,
    );
  }
  const leakFor = (k: number): Float32Array =>
    Float32Array.from(perTaskValues('graddrop', 'leak', 'leak', leak, k));
  return {
    id: 'graddrop',
    traits: typeof leak === 'number' ? TRAITS : { ...TRAITS, permutationInvariant: false },
    config,
    init: (spec) => {
      leakFor(spec.tasks.length);
      return EMPTY_STATE;
    },
    update(jacobian, state, ctx) {
      const k = assertJacobian('graddrop', jacobian);
      const l = leakFor(k);
      const entries = Object.entries(jacobian.blocks);
      const seeds = entries.map(() => ctx.rng.seed());
      const direction = tf.tidy(() => {
        const lk = tf.tensor2d(l, [k, 1]);
        const out: Record<string, tf.Tensor> = {};
        entries.forEach(([name, block], i) => {
          const dim = block.size / k;
          const g = block.reshape([k, dim]);
          const purity = tf.mul(0.5, tf.add(1, tf.divNoNan(tf.sum(g, 0), tf.sum(tf.abs(g), 0))));
          const u = tf.randomUniform([dim], 0, 1, 'float32', seeds[i]);
          const keep = tf.logicalOr(
            tf.logicalAnd(tf.greater(purity, u), tf.greater(g, 0)),
            tf.logicalAnd(tf.less(purity, u), tf.less(g, 0)),
          );
          const coef = tf.add(lk, tf.mul(tf.sub(1, lk), tf.cast(keep, 'float32')));
          out[name] = tf.sum(tf.mul(coef, g), 0).reshape(block.shape.slice(1));
        });
        return out;
      });
      return { direction, state };
    },
  };
}

export const graddropEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'graddrop',
  kind: 'aggregator',
  displayName: 'GradDrop',
  summary:
    'Randomly drops, per coordinate, the gradient components whose sign disagrees with the majority.',
  reference:
    'Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov, "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020. As torchjd GradDrop (identity f, leak) on the parameter Jacobian; LibMTL GradDrop.py applies it to representation gradients.',
  evidence: 'code-3p',
  cost: { backward: 'K', notes: 'O(KD) element-wise device work; no host solve, no read-back' },
  traits: TRAITS,
  options: graddropSchema,
  create: (o) => graddrop(o as GraddropOptions),
};
