/** MoDo aggregator: `d = Jᵀλ` with λ from one projected MGDA step per training step. */
import type { Aggregator, AggregatorTraits } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { modoSchema, modoWeighting, type ModoOptions, type ModoState } from '../weightings/modo.js';
import { BASE_TRAITS, fromWeighting, withoutHomogeneity } from './base.js';

const TRAITS: AggregatorTraits = withoutHomogeneity({ ...BASE_TRAITS, stateful: true });

/**
 * MoDo (Chen et al., NeurIPS 2023): `λ ← Π_Δ(λ − γ(Gλ + ρλ))`, `d = Jᵀλ`. One-batch
 * approximation of the paper's three-batch double sampling (see {@link modoWeighting}).
 *
 * Cost: K backward passes (the reference: 3K on three mini-batches), O(K²D) for G. Stateful (λ).
 */
export function modo(options: ModoOptions = {}): Aggregator<ModoState> {
  return fromWeighting(modoWeighting(options), TRAITS);
}

export const modoEntry: RegistryEntry<Aggregator<ModoState>> = {
  id: 'modo',
  kind: 'aggregator',
  displayName: 'MoDo',
  summary: 'Stochastic MGDA with a warm-started projected λ step per training step.',
  reference:
    'Chen, Fernando, Ying & Chen, "Three-Way Trade-Off in Multi-Objective Learning: Optimization, Generalization and Conflict-Avoidance", NeurIPS 2023 / JMLR 2024. Matches LibMTL MoDo.py (γ = 1e-3, ρ = 0.1) with one batch instead of three.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'reference uses 3 mini-batches (3K); manytask uses one batch' },
  traits: TRAITS,
  options: modoSchema,
  create: (o) => modo(o as ModoOptions),
};
