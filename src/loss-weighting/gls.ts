/** GLS: geometric loss strategy. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { checkAbove, statelessLossWeighting } from './common.js';

/** Options of {@link gls} (none). */
export type GlsOptions = Readonly<Record<string, never>>;

const schema: OptionsSchema = {};

/**
 * Geometric Loss Strategy (GLS): the model minimises the geometric mean `(Π_k L_k)^{1/K}`.
 *
 * Update rule: `w_k = ∂(Π_j L_j)^{1/K}/∂L_k = GM/(K·L_k)` with `GM = exp(mean_j log L_j)`
 * (computed in log space for stability). Requires `L_k > 0`.
 *
 * Cost: one backward pass. Stateless. Deterministic. Evidence: code.
 *
 * @remarks LibMTL reports `L_k/(K·Π_j L_j)` as GLS's "batch weight"; that is not the weight the
 * gradient applies. manytask reports the true gradient weights above, so `Σ_k w_k g_k` is the
 * gradient of the GLS objective.
 * @example
 * gls().weigh(new Float64Array([1, 4]), {}, ctx).weights; // [1, 0.25]: GM = 2
 * @see Chennupati et al., "MultiNet++: Multi-Stream Feature Aggregation and Geometric Loss
 *   Strategy for Multi-Task Learning", CVPR Workshops 2019; LibMTL `GLS.py`.
 */
export function gls(options: GlsOptions = {}): LossWeighting<EmptyState> {
  const config = validateOptions('gls', schema, { ...options });
  return statelessLossWeighting('gls', config, (losses, ctx) => {
    const k = losses.length;
    checkAbove('gls', losses, 0, ctx);
    let logSum = 0;
    for (const l of losses) logSum += Math.log(l);
    const gm = Math.exp(logSum / k);
    return { weights: losses.map((l) => gm / (k * l)), diagnostics: { glsObjective: gm } };
  });
}

export const glsEntry: RegistryEntry<LossWeighting<EmptyState>> = {
  id: 'gls',
  kind: 'loss-weighting',
  displayName: 'GLS',
  summary: 'Geometric loss strategy: minimise the geometric mean of the task losses.',
  reference:
    'Chennupati et al., "MultiNet++: Multi-Stream Feature Aggregation and Geometric Loss Strategy for Multi-Task Learning", CVPR Workshops 2019. Matches LibMTL GLS.py (objective); weights reported are the true gradient weights.',
  evidence: 'code',
  cost: { backward: '1' },
  options: schema,
  create: (o) => gls(o as GlsOptions),
};
