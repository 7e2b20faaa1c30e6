/** MGDA aggregator: minimum-norm point of the convex hull of the task gradients. */
import type { Aggregator, AggregatorTraits, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { mgdaSchema, mgdaWeighting, type MgdaOptions } from '../weightings/mgda.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

const TRAITS: AggregatorTraits = { ...BASE_TRAITS, nonConflicting: 'always' };

/** With `l2`/`loss+` normalisation w scales like 1/‖g‖, so d no longer scales with J. */
const NORMALISED_TRAITS: AggregatorTraits = {
  ...TRAITS,
  homogeneity: 0,
  singleTask: 'positive-multiple',
};

/**
 * MGDA (Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018):
 * d = Σ_k s_k g_k/n_k with s = argmin_{s ∈ Δ} ‖Σ_k s_k g_k/n_k‖² and normalisers n_k from
 * `normalization` (LibMTL semantics: `none` 1, `l2` ‖g_k‖, `loss` L_k from `ctx.losses`,
 * `loss+` L_k‖g_k‖).
 *
 * Traits: non-conflicting (KKT: ⟨g_k, d⟩ ≥ n_k‖d‖² ≥ 0); permutation-invariant; degree-1
 * homogeneous with `none`/`loss` (degree 0 with `l2`/`loss+`); K = 1 gives d = g (`none`).
 * Cost: K backward passes, O(K²D) for G, an exact active-set solve on the host. Stateless.
 * @throws {ConfigError} On unknown options or values.
 * @example
 * const agg = mgda(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0, 1, 1], w = [0.6, 0.4]
 */
export function mgda(options: MgdaOptions = {}): Aggregator<EmptyState> {
  const w = mgdaWeighting(options);
  const n = w.config['normalization'];
  return fromWeighting(w, n === 'l2' || n === 'loss+' ? NORMALISED_TRAITS : TRAITS);
}

export const mgdaEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'mgda',
  kind: 'aggregator',
  displayName: 'MGDA',
  summary:
    'Minimum-norm point of the convex hull of the (normalised) task gradients (Pareto descent).',
  reference:
    'Sener & Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018. Normalisation semantics of LibMTL MGDA.py (mgda_gn); exact active-set min-norm solver (LibMTL MinNormSolver available as solver: frank-wolfe). Matches torchjd/LibMTL golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus an O(K³) active-set min-norm solve on the host' },
  traits: TRAITS,
  options: mgdaSchema,
  create: (o) => mgda(o as MgdaOptions),
};
