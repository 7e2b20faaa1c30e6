/** CAGrad aggregator (and CAGrad-Fast). */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { cagradSchema, cagradWeighting, type CagradOptions } from '../weightings/cagrad.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

const TRAITS: AggregatorTraits = { ...BASE_TRAITS, singleTask: 'positive-multiple' };

/** Traits of a configured instance: c ≥ 1 is non-conflicting; subsampling is random. */
function traitsFor(c: number, subsample: number): AggregatorTraits {
  return {
    ...TRAITS,
    nonConflicting: c >= 1 ? 'always' : 'never-claimed',
    ...(subsample > 0 ? { stochastic: true, permutationInvariant: false } : {}),
  };
}

/**
 * CAGrad (Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task Learning",
 * NeurIPS 2021): d = g₀ + c‖g₀‖·g_w/‖g_w‖ where w minimises g_wᵀg₀ + c‖g₀‖‖g_w‖ on the simplex
 * (g₀ = mean gradient), optionally divided by 1 + c² or 1 + c (`rescale`).
 *
 * The default `rescale: 0` reproduces torchjd and the golden row; LibMTL's default is 1, which only
 * changes d by the positive factor 1/(1 + c²). `subsample: m` is CAGrad-Fast (paper §5.3): g_w
 * over m random tasks per step.
 *
 * Traits: non-conflicting for c ≥ 1 only; permutation-invariant; degree-1 homogeneous; K = 1
 * gives (1 + c)·g (before rescaling). Cost: K backward passes, O(K²D) for G, a 1-D root search
 * over small QPs on the host. Stateless. Deterministic unless `subsample` > 0.
 * @throws {ConfigError} If `c < 0`, `rescale ∉ {0, 1, 2}` or `subsample < 0`.
 * @example
 * const agg = cagrad({ c: 0.5 }); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.1835, 1.2041, 1.2041]
 */
export function cagrad(options: CagradOptions = {}): Aggregator<EmptyState> {
  const w = cagradWeighting(options);
  return fromWeighting(w, traitsFor(w.config['c'] as number, w.config['subsample'] as number));
}

export const cagradEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'cagrad',
  kind: 'aggregator',
  displayName: 'CAGrad',
  summary:
    'Maximises the worst-case task improvement in a ball around the mean gradient (conflict-averse).',
  reference:
    'Liu, Liu, Jin, Stone & Liu, "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS 2021. As torchjd CAGrad (trace-normalised Gramian, rescale 0; golden row) and LibMTL CAGrad.py (rescale option); exact dual solve by parametric QP instead of CLARABEL/SLSQP. subsample = CAGrad-Fast (paper §5.3).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus a 1-D root search over K×K QPs on the host' },
  traits: TRAITS,
  options: cagradSchema,
  create: (o) => cagrad(o as CagradOptions),
};
