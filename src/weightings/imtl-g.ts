/** IMTL-G weighting: equal projections of the update onto every unit task gradient. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { matVec } from '../linalg/matrix.js';
import { pinvSymmetric } from '../linalg/solve.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** IMTL-G takes no options. */
export const imtlGSchema: OptionsSchema = {};

/**
 * IMTL-G (Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021), in torchjd's Gramian
 * form: v = G⁺·(‖g_1‖, …, ‖g_K‖), w = v/Σv (zero when |Σv| ≤ 1e-12·Σ|v|, i.e. no usable
 * direction). For linearly independent gradients Gw ∝ ‖g‖, so ⟨d, g_i/‖g_i‖⟩ is the same for
 * every task (the paper's impartiality); this equals LibMTL's closed form
 * w_{2..K} = (g_1U_mᵀ)(D_mU_mᵀ)⁻¹ there, and the pseudo-inverse handles the singular cases.
 *
 * Properties: permutation-invariant, degree-1 homogeneous, K = 1 gives d = g.
 * Cost O(K³) host (one eigendecomposition). Stateless. Deterministic.
 * @remarks torchjd's zero test is absolute (|Σv| < 1e-12); ours is relative so that the result does
 *   not depend on the scale of J.
 */
export function imtlGWeighting(options: Readonly<Record<string, never>> = {}): ConfiguredWeighting {
  const config = validateOptions('imtl-g', imtlGSchema, options);
  return withConfig(
    stateless('imtl-g', (gram) => {
      const k = gram.k;
      const norms = Float64Array.from({ length: k }, (_, i) =>
        Math.sqrt(Math.max(0, gram.data[i * k + i]!)),
      );
      const v = matVec(pinvSymmetric(gram.data, k), norms, k);
      let s = 0;
      let a = 0;
      for (const x of v) {
        s += x;
        a += Math.abs(x);
      }
      if (!(Math.abs(s) > 1e-12 * a)) return { weights: new Float64Array(k) };
      return { weights: v.map((x) => x / s) };
    }),
    config,
  );
}
