/** Random loss weighting on the Jacobian (RLW): w = softmax(N(0, I)). */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** Random takes no options. */
export const randomSchema: OptionsSchema = {};

/**
 * Random (RLW, Lin et al., TMLR 2022): each step draws λ_k ~ N(0, 1) from `ctx.rng` and uses
 * w = softmax(λ), d = Σ_k w_k g_k (torchjd `Random`). Cost O(K). Stateless. Stochastic.
 */
export function randomWeighting(
  options: Readonly<Record<string, never>> = {},
): ConfiguredWeighting {
  const config = validateOptions('random', randomSchema, options);
  return withConfig(
    stateless('random', (g, ctx) => {
      const lam = Float64Array.from({ length: g.k }, () => ctx.rng.normal());
      let max = Number.NEGATIVE_INFINITY;
      for (const v of lam) max = Math.max(max, v);
      let s = 0;
      const w = lam.map((v) => {
        const e = Math.exp(v - max);
        s += e;
        return e;
      });
      return { weights: w.map((v) => v / s) };
    }),
    config,
  );
}
