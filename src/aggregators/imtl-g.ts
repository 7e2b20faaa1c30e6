/** IMTL-G aggregator. */
import type { Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { imtlGSchema, imtlGWeighting } from '../weightings/imtl-g.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

/**
 * IMTL-G (Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021): the convex-sum-one
 * combination d = Σ w_k g_k whose projections onto every unit task gradient are equal,
 * w ∝ G⁺·(‖g_1‖, …, ‖g_K‖) (torchjd's Gramian form of LibMTL's closed form).
 *
 * Traits: permutation-invariant, degree-1 homogeneous, K = 1 gives d = g; non-conflicting only
 * for linearly independent gradients (not claimed). Cost: K backward passes, O(K²D), O(K³) host.
 * Stateless. Deterministic.
 * @example
 * const agg = imtlG(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.0767, 1, 1], w = [0.5923, 0.4077]
 */
export function imtlG(options: Readonly<Record<string, never>> = {}): Aggregator<EmptyState> {
  return fromWeighting(imtlGWeighting(options), BASE_TRAITS);
}

export const imtlGEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'imtl-g',
  kind: 'aggregator',
  displayName: 'IMTL-G',
  summary: 'Weights with Σw = 1 giving equal projections of d onto every unit task gradient.',
  reference:
    'Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, "Towards Impartial Multi-task Learning", ICLR 2021. Gradient part only (IMTL-L is a loss weighting); torchjd IMTLG Gramian form, equal to LibMTL IMTL.py for independent gradients. Matches the torchjd golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus an O(K³) pseudo-inverse on the host' },
  traits: BASE_TRAITS,
  options: imtlGSchema,
  create: (o) => imtlG(o as Readonly<Record<string, never>>),
};
