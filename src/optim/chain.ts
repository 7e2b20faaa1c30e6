/** Composition and clipping transforms (optax's `chain` and `clip_by_global_norm`). */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { GradientTransformation, ParamTree } from '../core/types.js';
import { globalNorm } from './tree.js';

/**
 * Applies transforms in order, each on the previous one's updates; the state is the tuple of
 * their states. `chain(clipByGlobalNorm({ maxNorm: 1 }), adam())` clips, then runs Adam.
 * Intermediate updates are freed; the caller owns the final ones.
 */
export function chain(
  ...transforms: readonly GradientTransformation[]
): GradientTransformation<readonly unknown[]> {
  if (transforms.length === 0) {
    throw new ConfigError(
      'chain: give at least one transform, e.g. chain(clipByGlobalNorm(), adam())',
    );
  }
  return {
    id: transforms.map((t) => t.id).join('+'),
    config: { chain: transforms.map((t) => ({ id: t.id, ...t.config })) },
    init: (params) => transforms.map((t) => t.init(params)),
    update(grads, state, params) {
      let u: ParamTree = grads;
      const next: unknown[] = [];
      transforms.forEach((t, i) => {
        const r = t.update(u, state[i], params);
        if (u !== grads)
          tf.dispose(Object.values(u).filter((x) => !Object.values(r.updates).includes(x)));
        u = r.updates;
        next.push(r.state);
      });
      return { updates: u, state: next };
    },
  };
}

/** Options of {@link clipByGlobalNorm}. */
export interface ClipOptions {
  /** Largest allowed global norm (default 1). */
  readonly maxNorm?: number;
}

const clipSchema: OptionsSchema = {
  maxNorm: {
    type: 'number',
    default: 1,
    min: 0,
    exclusiveMin: true,
    description: 'largest allowed global L2 norm',
  },
};

/**
 * Rescales the whole tree so that its global L2 norm `‖u‖ = √Σ‖u_p‖²` is at most `maxNorm`:
 * `u ← u · min(1, maxNorm/‖u‖)`. Stateless; no host read-back (the factor stays on the device).
 */
export function clipByGlobalNorm(options: ClipOptions = {}): GradientTransformation<null> {
  const config = validateOptions('clipByGlobalNorm', clipSchema, { ...options });
  const maxNorm = config['maxNorm'] as number;
  return {
    id: 'clip-by-global-norm',
    config,
    init: () => null,
    update(grads) {
      const updates = tf.tidy(() => {
        const n = globalNorm(grads);
        const factor = tf.minimum(1, tf.div(maxNorm, tf.maximum(n, 1e-30)));
        return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, factor)]));
      });
      return { updates, state: null };
    },
  };
}
