/** IMTL aggregator: IMTL-L scales + IMTL-G weights (see {@link imtlWeighting}). */
import type { Aggregator, AggregatorTraits } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { imtlSchema, imtlWeighting, type ImtlOptions, type ImtlState } from '../weightings/imtl.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

const TRAITS: AggregatorTraits = {
  ...BASE_TRAITS,
  singleTask: 'positive-multiple',
  stateful: true,
};

/**
 * IMTL (Liu et al., ICLR 2021, as combined in LibMTL): IMTL-G's equal-projection weights on the
 * gradients of the scaled losses `e^{s_k}L_k − s_k`, with s learned from the losses.
 *
 * Cost: K backward passes, O(K²D) for G, O(K³) host. Stateful (K scales + optimiser moments).
 */
export function imtl(options: ImtlOptions = {}): Aggregator<ImtlState> {
  return fromWeighting(imtlWeighting(options), TRAITS);
}

export const imtlEntry: RegistryEntry<Aggregator<ImtlState>> = {
  id: 'imtl',
  kind: 'aggregator',
  displayName: 'IMTL',
  summary: 'IMTL-L learned loss scales combined with IMTL-G equal-projection gradient weights.',
  reference:
    'Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021. Matches LibMTL IMTL.py (IMTL-L + IMTL-G; s0 = 0); s trained by a host optimiser.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'O(K²D) Gramian + O(K³) host' },
  traits: TRAITS,
  options: imtlSchema,
  create: (o) => imtl(o as ImtlOptions),
};
