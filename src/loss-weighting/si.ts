/** SI: scale-invariant loss, `Σ_k log L_k`. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { checkAbove, statelessLossWeighting } from './common.js';

/** Options of {@link si} (none). */
export type SiOptions = Readonly<Record<string, never>>;

const schema: OptionsSchema = {};

/**
 * Scale-invariant linear scalarisation (SI): the model minimises `Σ_k log L_k`.
 *
 * Update rule: `w_k = ∂(Σ_j log L_j)/∂L_k = 1/L_k`, so rescaling a task's loss by a constant
 * leaves the update unchanged. Requires `L_k > 0`.
 *
 * Cost: one backward pass. Stateless. Deterministic. Evidence: code (nash-mtl `scaleinvls`).
 *
 * @example
 * si().weigh(new Float64Array([2, 0.5]), {}, ctx).weights; // [0.5, 2]
 * @see Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022 (the SI baseline,
 *   `methods/weight_methods.py` `ScaleInvariantLinearScalarization`).
 */
export function si(options: SiOptions = {}): LossWeighting<EmptyState> {
  const config = validateOptions('si', schema, { ...options });
  return statelessLossWeighting('si', config, (losses, ctx) => {
    checkAbove('si', losses, 0, ctx);
    return { weights: losses.map((l) => 1 / l) };
  });
}

export const siEntry: RegistryEntry<LossWeighting<EmptyState>> = {
  id: 'si',
  kind: 'loss-weighting',
  displayName: 'SI',
  summary: 'Scale-invariant scalarisation: minimise the sum of log-losses (weights 1/L_k).',
  reference:
    'Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022 (SI baseline). Matches nash-mtl methods/weight_methods.py scaleinvls.',
  evidence: 'code',
  cost: { backward: '1' },
  options: schema,
  create: (o) => si(o as SiOptions),
};
