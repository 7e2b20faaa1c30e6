/** Krum aggregator (robust aggregation): `d` = mean of the most central rows. */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { krumSchema, krumWeighting, type KrumOptions } from '../weightings/krum.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

const TRAITS: AggregatorTraits = {
  ...BASE_TRAITS,
  // Not claimed: with K − f − 2 = 1 the two closest rows always tie and the lower index wins.
  permutationInvariant: false,
  singleTask: 'unsupported',
};

/**
 * Krum / Multi-Krum (Blanchard et al., NeurIPS 2017): the mean of the `nSelected` rows with the
 * smallest summed distance to their K − f − 2 nearest rows. A Byzantine-robust aggregator, not an
 * MTL method; kept for completeness (torchjd ships it). Needs K ≥ `nByzantine` + 3.
 *
 * Ties between equal scores go to the lower row index (a stable sort); with K − f − 2 = 1 the two
 * mutually closest rows always tie, so permutation invariance is not declared.
 *
 * Cost: K backward passes, O(K²D) for G, O(K² log K) host work. Stateless. Deterministic.
 * Traits: degree-1 homogeneous; K = 1 unsupported.
 * @example
 * const agg = krum({ nByzantine: 1, nSelected: 4 }); // torchjd golden on J_Krum → [1.25, 0.75, 1.5]
 */
export function krum(options: KrumOptions = {}): Aggregator<EmptyState> {
  return fromWeighting(krumWeighting(options), TRAITS);
}

export const krumEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'krum',
  kind: 'aggregator',
  displayName: 'Krum',
  summary:
    'Byzantine-robust aggregation: mean of the rows closest to their neighbours (Multi-Krum).',
  reference:
    'Blanchard, El Mhamdi, Guerraoui & Stainer, "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017. Matches torchjd Krum (golden values).',
  evidence: 'code-3p',
  cost: { backward: 'K', notes: 'needs K ≥ nByzantine + 3 tasks' },
  traits: TRAITS,
  options: krumSchema,
  create: (o) => krum(o as KrumOptions),
};
