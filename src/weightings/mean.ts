/** Mean weighting: w = 1/K. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { stateless, uniform, withConfig, type ConfiguredWeighting } from './base.js';

/** Mean takes no options. */
export const meanSchema: OptionsSchema = {};

/**
 * Mean: w_k = 1/K, d = (1/K)·Σ_k g_k (torchjd `MeanWeighting`).
 * Cost O(K). Stateless. Deterministic.
 */
export function meanWeighting(options: Readonly<Record<string, never>> = {}): ConfiguredWeighting {
  const config = validateOptions('mean', meanSchema, options);
  return withConfig(
    stateless('mean', (g) => ({ weights: uniform(g.k) })),
    config,
  );
}
