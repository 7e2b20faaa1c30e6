/** Sum weighting: w = 1. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** Sum takes no options. */
export const sumSchema: OptionsSchema = {};

/**
 * Sum: w_k = 1, d = Σ_k g_k (torchjd `SumWeighting`; LibMTL's EW on the shared parameters).
 * Cost O(K). Stateless. Deterministic.
 */
export function sumWeighting(options: Readonly<Record<string, never>> = {}): ConfiguredWeighting {
  const config = validateOptions('sum', sumSchema, options);
  return withConfig(
    stateless('sum', (g) => ({ weights: new Float64Array(g.k).fill(1) })),
    config,
  );
}
