/** DualProj aggregator. */
import type { Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { dualprojSchema, dualprojWeighting, type DualprojOptions } from '../weightings/dualproj.js';
import { fromWeighting } from './base.js';
import { DUAL_CONE_TRAITS } from './upgrad.js';

/**
 * DualProj (torchjd; Quinton & Rey 2024): the projection of the mean gradient onto the dual cone
 * of the rows of J (one K×K QP on the trace-normalised, ridge-regularised Gramian).
 *
 * Traits: non-conflicting, permutation-invariant, degree-1 homogeneous (while trace(G) ≥
 * `normEps`), K = 1 gives d = g. Cost: K backward passes, O(K²D), one small QP. Stateless.
 * @example
 * const agg = dualproj(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.5563, 1.1109, 1.1109]
 */
export function dualproj(options: DualprojOptions = {}): Aggregator<EmptyState> {
  return fromWeighting(dualprojWeighting(options), DUAL_CONE_TRAITS);
}

export const dualprojEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'dualproj',
  kind: 'aggregator',
  displayName: 'DualProj',
  summary: 'Projects the mean gradient onto the dual cone of the task gradients (non-conflicting).',
  reference:
    'Quinton & Rey, "Jacobian Descent for Multi-Objective Optimization", arXiv 2406.16232, 2024. Ported from torchjd DualProj (norm_eps = reg_eps = 1e-4) with an active-set QP. Matches the torchjd golden row.',
  evidence: 'code',
  cost: { backward: 'K', notes: 'plus one active-set QP of size K on the host' },
  traits: DUAL_CONE_TRAITS,
  options: dualprojSchema,
  create: (o) => dualproj(o as DualprojOptions),
};
