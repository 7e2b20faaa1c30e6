/** Sum aggregator: d = Σ_k g_k. */
import type { Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { sumSchema, sumWeighting } from '../weightings/sum.js';
import { fromWeighting, LINEAR_TRAITS } from './base.js';

/**
 * Sum of the task gradients, d = Σ_k g_k (torchjd `Sum`; LibMTL's EW on the shared parameters).
 *
 * Traits: linear under scaling, permutation-invariant, degree-1 homogeneous, K = 1 gives d = g.
 * Cost: K backward passes, O(K²D). Stateless. Deterministic.
 * @example
 * const agg = sum(); // golden: J = [[-4,1,1],[6,1,1]] → d = [2, 2, 2], w = [1, 1]
 */
export function sum(options: Readonly<Record<string, never>> = {}): Aggregator<EmptyState> {
  return fromWeighting(sumWeighting(options), LINEAR_TRAITS);
}

export const sumEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'sum',
  kind: 'aggregator',
  displayName: 'Sum',
  summary: 'Sums the task gradients: d = Σ_k g_k (equal weighting of the shared gradient).',
  reference:
    'Baseline (LibMTL EW on the shared parameters). Matches torchjd Sum (test_values.py golden row).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'no host solve' },
  traits: LINEAR_TRAITS,
  options: sumSchema,
  create: (o) => sum(o as Readonly<Record<string, never>>),
};
