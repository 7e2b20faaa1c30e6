/** Trimmed mean (robust aggregation): coordinate-wise mean after dropping the extremes. */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import { assertJacobian } from '../autodiff/gramian.js';
import type { RegistryEntry } from '../registry/types.js';
import { BASE_TRAITS } from './base.js';

/** Options of {@link trimmedMean}. */
export interface TrimmedMeanOptions {
  /** Values dropped at each end of every coordinate (default 1). Needs K ≥ 2·trim + 1. */
  readonly trim?: number;
}

const schema: OptionsSchema = {
  trim: {
    type: 'integer',
    default: 1,
    min: 0,
    description:
      'number of largest and of smallest values dropped per coordinate (needs K ≥ 2·trim + 1)',
  },
};

function traits(trim: number): AggregatorTraits {
  return {
    ...BASE_TRAITS,
    linearUnderScaling: trim === 0,
    singleTask: trim === 0 ? 'identity' : 'unsupported',
  };
}

/**
 * Trimmed mean (Yin et al., ICML 2018): for every coordinate of the shared parameters, sort the K
 * task values, drop the `trim` largest and `trim` smallest, and average the rest. A
 * Byzantine-robust aggregator from distributed learning, not an MTL method; kept for completeness
 * (torchjd ships it). It is coordinate-wise, so it has no task weights.
 *
 * Cost: K backward passes; O(D·K log K) device work (a top-k sort per coordinate). Stateless.
 * Deterministic. Traits: permutation-invariant, degree-1 homogeneous; needs K ≥ 2·trim + 1.
 * @throws {ShapeError} From `update` when K < 2·trim + 1.
 * @example
 * const agg = trimmedMean({ trim: 1 }); // torchjd golden on J_TrimmedMean → [1.5, 2.5]
 */
export function trimmedMean(options: TrimmedMeanOptions = {}): Aggregator<EmptyState> {
  const config = validateOptions('trimmed-mean', schema, { ...options });
  const trim = config['trim'] as number;
  return {
    id: 'trimmed-mean',
    traits: traits(trim),
    config,
    init: () => ({}),
    update(jacobian, state) {
      const k = assertJacobian('trimmed-mean', jacobian);
      const keep = k - 2 * trim;
      if (keep < 1) {
        throw new ShapeError(
          `trimmed-mean: needs at least 2·trim + 1 = ${2 * trim + 1} tasks (rows), got ${k}; lower \`trim\``,
        );
      }
      const direction = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [name, b] of Object.entries(jacobian.blocks)) {
          const cols = tf.transpose(tf.reshape(b, [k, -1])); // [D_b, K]
          const sorted = tf.topk(cols, k, true).values;
          out[name] = tf.reshape(
            tf.mean(tf.slice(sorted, [0, trim], [-1, keep]), 1),
            b.shape.slice(1),
          );
        }
        return out;
      });
      return { direction, state };
    },
  };
}

export const trimmedMeanEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'trimmed-mean',
  kind: 'aggregator',
  displayName: 'TrimmedMean',
  summary: 'Byzantine-robust coordinate-wise mean after dropping the largest and smallest values.',
  reference:
    'Yin, Chen, Ramchandran & Bartlett, "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates", ICML 2018. Matches torchjd TrimmedMean (golden values).',
  evidence: 'code-3p',
  cost: { backward: 'K', notes: 'coordinate-wise top-k sort on the device; needs K ≥ 2·trim + 1' },
  traits: traits(1),
  options: schema,
  create: (o) => trimmedMean(o as TrimmedMeanOptions),
};
