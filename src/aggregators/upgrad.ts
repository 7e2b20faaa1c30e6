/** UPGrad aggregator. */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { upgradSchema, upgradWeighting, type UpgradOptions } from '../weightings/upgrad.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

/** Shared by the dual-cone methods (UPGrad, DualProj). */
export const DUAL_CONE_TRAITS: AggregatorTraits = { ...BASE_TRAITS, nonConflicting: 'always' };

/**
 * UPGrad (Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", 2024): the sum over
 * tasks of the projection of g_i/K onto the dual cone of the rows of J, computed in weight space
 * from the trace-normalised, ridge-regularised Gramian (one K×K QP per task).
 *
 * Traits: non-conflicting, permutation-invariant, degree-1 homogeneous (while trace(G) ≥
 * `normEps`), K = 1 gives d = g. Cost: K backward passes, O(K²D) for G, K small QPs on the host.
 * Stateless. Deterministic.
 * @example
 * const agg = upgrad(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.2929, 1.9004, 1.9004]
 */
export function upgrad(options: UpgradOptions = {}): Aggregator<EmptyState> {
  return fromWeighting(upgradWeighting(options), DUAL_CONE_TRAITS);
}

export const upgradEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'upgrad',
  kind: 'aggregator',
  displayName: 'UPGrad',
  summary: 'Sum of the projections of every task gradient onto the dual cone of all of them.',
  reference:
    'Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", arXiv 2406.16232, 2024. Ported from torchjd UPGrad (norm_eps = reg_eps = 1e-4, mean preference) with an active-set QP instead of quadprog. Matches the torchjd golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus K active-set QPs of size K on the host' },
  traits: DUAL_CONE_TRAITS,
  options: upgradSchema,
  create: (o) => upgrad(o as UpgradOptions),
};
