/** Mean aggregator: d = (1/K)·Σ_k g_k. */
import type { Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { meanSchema, meanWeighting } from '../weightings/mean.js';
import { fromWeighting, LINEAR_TRAITS } from './base.js';

/**
 * Mean of the task gradients, d = (1/K)·Σ_k g_k (torchjd `Mean`).
 *
 * Traits: linear under scaling, permutation-invariant, degree-1 homogeneous, K = 1 gives d = g;
 * no non-conflict claim. Cost: K backward passes, O(K²D) for G (kept for diagnostics).
 * Stateless. Deterministic.
 * @example
 * const agg = mean(); // golden: J = [[-4,1,1],[6,1,1]] → d = [1, 1, 1], w = [0.5, 0.5]
 */
export function mean(options: Readonly<Record<string, never>> = {}): Aggregator<EmptyState> {
  return fromWeighting(meanWeighting(options), LINEAR_TRAITS);
}

export const meanEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'mean',
  kind: 'aggregator',
  displayName: 'Mean',
  summary: 'Averages the task gradients: d = (1/K)·Σ_k g_k.',
  reference: 'Baseline. Matches torchjd Mean (tests/unit/aggregation/test_values.py golden row).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'no host solve' },
  traits: LINEAR_TRAITS,
  options: meanSchema,
  create: (o) => mean(o as Readonly<Record<string, never>>),
};
