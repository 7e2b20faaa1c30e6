/** Aligned-MTL aggregator. */
import type { Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import {
  alignedMtlSchema,
  alignedMtlWeighting,
  type AlignedMtlOptions,
} from '../weightings/aligned-mtl.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

/**
 * Aligned-MTL (Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component Alignment for
 * Multi-Task Learning", CVPR 2023): rescales the principal components of the gradient system so
 * that all its singular values equal √λ_R (condition number 1): w = √λ_R·VΛ^{−1/2}Vᵀ·(1/K).
 *
 * Traits: permutation-invariant, degree-1 homogeneous, K = 1 gives d = g; no non-conflict claim.
 * Cost: K backward passes, O(K²D), one O(K³) eigendecomposition. Stateless. Deterministic.
 * @example
 * const agg = alignedMtl(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.2133, 0.9673, 0.9673]
 */
export function alignedMtl(options: AlignedMtlOptions = {}): Aggregator<EmptyState> {
  return fromWeighting(alignedMtlWeighting(options), BASE_TRAITS);
}

export const alignedMtlEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'aligned-mtl',
  kind: 'aggregator',
  displayName: 'Aligned-MTL',
  summary: 'Aligns the gradient system so all its singular values are equal (condition number 1).',
  reference:
    'Senushkin, Patakin, Kuznetsov & Konushin, "Independent Component Alignment for Multi-Task Learning", CVPR 2023. As torchjd AlignedMTL (mean preference, scale_mode min/median/rmse; rank cut λ > λmax·K·ε32); LibMTL Aligned_MTL.py uses preference 1 (K× larger). Matches the torchjd golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus an O(K³) eigendecomposition on the host' },
  traits: BASE_TRAITS,
  options: alignedMtlSchema,
  create: (o) => alignedMtl(o as AlignedMtlOptions),
};
