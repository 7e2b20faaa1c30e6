/** Random aggregator (RLW on the Jacobian). */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { randomSchema, randomWeighting } from '../weightings/random.js';
import { fromWeighting, LINEAR_TRAITS } from './base.js';

const TRAITS: AggregatorTraits = {
  ...LINEAR_TRAITS,
  permutationInvariant: false,
  stochastic: true,
};

/**
 * Random weighting (RLW, Lin et al., "Reasonable Effectiveness of Random Weighting", TMLR 2022)
 * on the Jacobian: w = softmax(λ), λ ~ N(0, I_K) drawn from `ctx.rng` each step; d = Σ_k w_k g_k
 * (torchjd `Random`). For the loss-level RLW (one backward pass) use the loss weighting instead.
 *
 * Traits: linear under scaling and degree-1 homogeneous for a fixed draw; not permutation-invariant
 * (draws follow row order); K = 1 gives d = g. Cost: K backward passes. Stateless. Stochastic.
 * @example
 * const agg = random(); // weights are positive and sum to 1; values depend on ctx.rng
 */
export function random(options: Readonly<Record<string, never>> = {}): Aggregator<EmptyState> {
  return fromWeighting(randomWeighting(options), TRAITS);
}

export const randomEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'random',
  kind: 'aggregator',
  displayName: 'Random (RLW)',
  summary: 'Random convex combination of the task gradients: w = softmax(N(0, I)) each step.',
  reference:
    'Lin, Ye, Xu, Shi & Zhang, "Reasonable Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022. As torchjd Random / LibMTL RLW (normal distribution).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'no host solve' },
  traits: TRAITS,
  options: randomSchema,
  create: (o) => random(o as Readonly<Record<string, never>>),
};
