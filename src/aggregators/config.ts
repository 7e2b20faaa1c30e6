/** ConFIG aggregator. */
import type { Aggregator, EmptyState } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { configSchema, configWeighting } from '../weightings/config.js';
import { BASE_TRAITS, fromWeighting } from './base.js';

/**
 * ConFIG (Liu, Chu, Thuerey, "ConFIG: Towards Conflict-free Training of Physics Informed Neural
 * Networks", ICLR 2025): the direction b̂ with equal cosine to every task gradient
 * (b = pinv(U)·1 over the unit gradients U), scaled by Σ_i ⟨g_i, b̂⟩.
 *
 * Traits: permutation-invariant, degree-1 homogeneous, K = 1 gives d = g; non-conflicting for
 * linearly independent gradients (not claimed for rank-deficient J). Cost: K backward passes,
 * O(K²D), one O(K³) pseudo-inverse on the host. Stateless. Deterministic.
 * @example
 * const agg = config(); // golden: J = [[-4,1,1],[6,1,1]] → d = [0.1588, 2.0706, 2.0706]
 */
export function config(options: Readonly<Record<string, never>> = {}): Aggregator<EmptyState> {
  return fromWeighting(configWeighting(options), BASE_TRAITS);
}

export const configEntry: RegistryEntry<Aggregator<EmptyState>> = {
  id: 'config',
  kind: 'aggregator',
  displayName: 'ConFIG',
  summary: 'Conflict-free direction with equal cosine to every task gradient, scaled by their sum.',
  reference:
    'Liu, Chu & Thuerey, "ConFIG: Towards Conflict-free Training of Physics Informed Neural Networks", ICLR 2025. Ported from torchjd ConFIG (sum preference) in Gramian form. Matches the torchjd golden row.',
  evidence: 'code-3p',
  cost: { backward: 'K', notes: 'plus an O(K³) pseudo-inverse on the host' },
  traits: BASE_TRAITS,
  options: configSchema,
  create: (o) => config(o as Readonly<Record<string, never>>),
};
