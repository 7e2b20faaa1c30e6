/** ConFIG weighting: the conflict-free direction with equal cosines to every task gradient. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { FLOAT32_EPS, matVec } from '../linalg/matrix.js';
import { eigh, spectralFunction } from '../linalg/eigen.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** ConFIG takes no options. */
export const configSchema: OptionsSchema = {};

/**
 * ConFIG (Liu et al., "ConFIG: Towards Conflict-free Training of Physics Informed Neural
 * Networks", ICLR 2025), torchjd's formulation with the sum preference: with unit rows
 * u_i = g_i/‖g_i‖ (zero rows stay zero), b = pinv(U)·1 = Uᵀ(UUᵀ)⁺1 is the minimum-norm direction
 * with ⟨u_i, b⟩ = 1 for all i, and d = (Σ_i ⟨g_i, b̂⟩)·b̂ with b̂ = b/‖b‖.
 *
 * Gramian form: C = D⁻¹GD⁻¹ (D = diag‖g_i‖) is UUᵀ, a = C⁺1, β_i = a_i/‖g_i‖ so b = Jᵀβ,
 * ‖b‖² = aᵀCa and Σ_i⟨g_i, b⟩ = 1ᵀGβ; hence w = β·(1ᵀGβ)/‖b‖². C⁺ keeps eigenvalues
 * λ > (√λ_max·K·ε₃₂)² (torch's pinv cut-off on the singular values of U).
 *
 * Properties: for linearly independent gradients all cosines ⟨u_i, d⟩/‖d‖ are equal and positive;
 * permutation-invariant; degree-1 homogeneous; K = 1 gives d = g. Cost O(K³) host. Stateless.
 */
export function configWeighting(
  options: Readonly<Record<string, never>> = {},
): ConfiguredWeighting {
  const config = validateOptions('config', configSchema, options);
  return withConfig(
    stateless('config', (gram) => {
      const k = gram.k;
      const g = gram.data;
      const n = Float64Array.from({ length: k }, (_, i) => Math.sqrt(Math.max(0, g[i * k + i]!)));
      const c = new Float64Array(k * k);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          c[i * k + j] = n[i]! > 0 && n[j]! > 0 ? g[i * k + j]! / (n[i]! * n[j]!) : 0;
        }
      }
      const e = eigh(c, k);
      const cut = (Math.sqrt(Math.max(0, e.values[0]!)) * k * FLOAT32_EPS) ** 2;
      const a = matVec(
        spectralFunction(e, (l) => 1 / l, cut),
        new Float64Array(k).fill(1),
        k,
      );
      const ca = matVec(c, a, k);
      let bb = 0;
      let length = 0;
      for (let i = 0; i < k; i++) {
        bb += a[i]! * ca[i]!;
        length += n[i]! * ca[i]!;
      }
      const weights = new Float64Array(k);
      // torch's F.normalize guards ‖b‖ with 1e-12; b is scale-free here (a combination of unit rows).
      if (!(Math.sqrt(Math.max(0, bb)) > 1e-12)) return { weights };
      for (let i = 0; i < k; i++) weights[i] = n[i]! > 0 ? (a[i]! / n[i]!) * (length / bb) : 0;
      return { weights };
    }),
    config,
  );
}
