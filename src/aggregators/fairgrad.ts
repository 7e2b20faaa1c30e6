/** FairGrad aggregator: `d = Jᵀw` with the α-fair weights of {@link fairgradWeighting}. */
import type { AggregatorTraits, Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { fairgradSchema, fairgradWeighting, type FairgradOptions } from '../weightings/fairgrad.js';
import { fromWeighting } from './base.js';

function traits(alpha: number): AggregatorTraits {
  return {
    nonConflicting: 'never-claimed',
    permutationInvariant: true,
    // G → λ²G scales the root by λ^{−2α/(1+α)}, so d has degree (1 − α)/(1 + α).
    ...(alpha === 1 ? { homogeneity: 0 as const } : alpha === 0 ? { homogeneity: 1 as const } : {}),
    linearUnderScaling: alpha === 0,
    singleTask: alpha === 0 ? 'identity' : 'positive-multiple',
    stochastic: false,
    stateful: false,
  };
}

/**
 * FairGrad (Ban & Ji, ICML 2024): `d = Σ_k w_k g_k` with `w > 0` solving `G·w = w^{−1/α}`, so
 * every task's first-order decrease `⟨g_k, d⟩ = w_k^{−1/α}` is positive and α-fair. See
 * {@link fairgradWeighting} for the solver.
 *
 * Cost: K backward passes, O(K²D) for G, O(K³) per Newton step on the host. Stateless.
 * Deterministic. Traits: permutation-invariant; degree-0 homogeneous for α = 1; K = 1 gives a
 * positive multiple of g. The non-conflict property holds whenever the root exists (G positive
 * definite); it is not declared as a trait because rank-deficient G (K > D) can have none.
 *
 * @example
 * const agg = fairgrad(); // torchjd golden: J = [[-4,1,1],[6,1,1]] → d ≈ [0.0766, 0.9985, 0.9985]
 */
export function fairgrad(options: FairgradOptions = {}): Aggregator<EmptyState> {
  const w = fairgradWeighting(options);
  return fromWeighting(w, traits(w.config['alpha'] as number));
}

export const fairgradEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'fairgrad',
  kind: 'aggregator',
  displayName: 'FairGrad',
  summary: 'α-fair allocation of the update: weights solving G·w = w^(−1/α).',
  reference:
    'Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024. Matches the official OptMN-Lab/fairgrad rule (LibMTL FairGrad.py, torchjd FairGrad); root found by damped Newton instead of scipy least_squares.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'O(K²D) Gramian + O(K³) per host Newton step' },
  traits: traits(1),
  options: fairgradSchema,
  create: (o) => fairgrad(o as FairgradOptions),
};
