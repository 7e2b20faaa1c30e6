/** Nash-MTL aggregator (stateful). */
import type { Aggregator, AggregatorTraits } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  nashMtlSchema,
  nashMtlWeighting,
  type NashMtlOptions,
  type NashMtlState,
} from '../weightings/nash-mtl.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

const TRAITS: AggregatorTraits = {
  ...BASE_TRAITS,
  homogeneity: 0,
  singleTask: 'positive-multiple',
  stateful: true,
};

/**
 * Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, "Multi-Task Learning as
 * a Bargaining Game", ICML 2022): w > 0 with Gw = 1/w (the Nash bargaining solution), d = Jᵀw
 * clipped to ‖d‖ ≤ `maxNorm`. New weights every `updateWeightsEvery` steps (state keeps the last
 * ones, also the warm start and the fallback). K = 1: d = g/‖g‖ — this library's choice follows
 * the paper's formulation (w = 1/‖g‖); with the default clip it is also what LibMTL computes.
 *
 * Traits: d is invariant to scaling J (degree 0); permutation-invariant; non-conflicting whenever
 * the solve succeeds (⟨g_i, d⟩ ∝ 1/w_i > 0) but not claimed because of the fallback and
 * `updateWeightsEvery`. Cost: K backward passes, O(K²D), a few O(K³) Newton steps on the host.
 * Stateful. Deterministic.
 * @example
 * const agg = nashMtl(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.0542, 0.7061, 0.7061]
 */
export function nashMtl(options: NashMtlOptions = {}): Aggregator<NashMtlState> {
  return fromWeighting(nashMtlWeighting(options), TRAITS);
}

export const nashMtlEntry: RegistryEntry<Aggregator<NashMtlState>> = {
  id: 'nash-mtl',
  kind: 'aggregator',
  displayName: 'Nash-MTL',
  summary: 'Nash bargaining weights (Gw = 1/w) with a norm clip on the update.',
  reference:
    'Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022. Options and fallback of the official code / LibMTL Nash_MTL.py (max_norm 1, update_weights_every 1, optim_niter 20); the cvxpy CCP is replaced by damped Newton on ½wᵀGw − Σ log w. Matches the torchjd golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus a few O(K³) Newton steps on the host' },
  traits: TRAITS,
  options: nashMtlSchema,
  create: (o) => nashMtl(o as NashMtlOptions),
};
