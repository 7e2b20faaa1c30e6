/** PCGrad aggregator (sum convention, Gramian-space implementation). */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { pcgradSchema, pcgradWeighting } from '../weightings/pcgrad.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

const TRAITS: AggregatorTraits = {
  ...BASE_TRAITS,
  nonConflicting: 'two-tasks',
  permutationInvariant: false,
  stochastic: true,
};

/**
 * PCGrad ("Gradient Surgery for Multi-Task Learning", Yu et al., NeurIPS 2020): each g_i is
 * projected onto the normal plane of every g_j it conflicts with, in a random order drawn from
 * `ctx.rng`; d = Σ_i ĝ_i (sum convention of torchjd and LibMTL; the CAGrad toy averages).
 * Implemented on the Gramian only, as torchjd's `PCGradWeighting`.
 *
 * Traits: non-conflicting for K = 2 (deterministic there); random order for K ≥ 3, so not
 * permutation-invariant; degree-1 homogeneous; K = 1 gives d = g. Cost: K backward passes,
 * O(K²D) for G, O(K³) host. Stateless. Stochastic.
 * @example
 * const agg = pcgrad(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.5848, 3.8012, 3.8012]
 */
export function pcgrad(options: Readonly<Record<string, never>> = {}): Aggregator<EmptyState> {
  return fromWeighting(pcgradWeighting(options), TRAITS);
}

export const pcgradEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'pcgrad',
  kind: 'aggregator',
  displayName: 'PCGrad',
  summary: 'Projects each task gradient off the gradients it conflicts with, then sums them.',
  reference:
    'Yu, Kumar, Gupta, Levine, Hausman & Finn, "Gradient Surgery for Multi-Task Learning", NeurIPS 2020. Sum convention and Gramian-space form of torchjd PCGradWeighting (same as LibMTL PCGrad.py). Matches the torchjd golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus O(K³) host work' },
  traits: TRAITS,
  options: pcgradSchema,
  create: (o) => pcgrad(o as Readonly<Record<string, never>>),
};
