/** Aligned-MTL weighting: condition-number-1 alignment of the gradient system. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { eigh, rankTolerance } from '../linalg/eigen.js';
import { stateless, uniform, withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link alignedMtlWeighting}. */
export interface AlignedMtlOptions {
  /** Eigenvalue λ_R that sets the common singular value √λ_R: `min` (default), `median`, `rmse` (mean). */
  readonly scaleMode?: 'min' | 'median' | 'rmse';
}

/** Option schema of Aligned-MTL. */
export const alignedMtlSchema: OptionsSchema = {
  scaleMode: {
    type: 'enum',
    values: ['min', 'median', 'rmse'],
    default: 'min',
    description:
      "which kept eigenvalue sets the aligned scale: 'min' (paper, LibMTL), 'median' or 'rmse' (their mean), as torchjd",
  },
};

/**
 * Aligned-MTL (Senushkin et al., "Independent Component Alignment for Multi-Task Learning",
 * CVPR 2023): G = VΛVᵀ; keep λ > λ_max·K·ε₃₂ (sorted descending); B = √λ_R·VΛ^{−1/2}Vᵀ over the
 * kept pairs; w = B·u with the preference u = 1/K (torchjd; LibMTL uses u = 1, i.e. K× this).
 * The aligned system then has all singular values equal to √λ_R (condition number 1).
 *
 * Properties: permutation-invariant, degree-1 homogeneous (B is scale-free), K = 1 gives d = g.
 * Cost O(K³) host (one eigendecomposition). Stateless. Deterministic.
 */
export function alignedMtlWeighting(options: AlignedMtlOptions = {}): ConfiguredWeighting {
  const config = validateOptions('aligned-mtl', alignedMtlSchema, { ...options });
  const mode = config['scaleMode'] as 'min' | 'median' | 'rmse';
  return withConfig(
    stateless('aligned-mtl', (gram) => {
      const k = gram.k;
      const e = eigh(gram.data, k);
      const tol = rankTolerance(e.values, k);
      const kept: number[] = [];
      for (let i = 0; i < k; i++) if (e.values[i]! > tol) kept.push(i);
      const weights = new Float64Array(k);
      if (kept.length === 0) return { weights, diagnostics: { alignedRank: 0 } };
      const lams = kept.map((i) => e.values[i]!);
      const lambdaR =
        mode === 'min'
          ? lams[lams.length - 1]!
          : mode === 'median'
            ? // torch.median: the lower median; `lams` is sorted in descending order.
              lams[lams.length - 1 - Math.floor((lams.length - 1) / 2)]!
            : lams.reduce((a, b) => a + b, 0) / lams.length;
      const u = uniform(k);
      // w = √λ_R · Σ_kept v_k (v_kᵀu)/√λ_k
      for (const idx of kept) {
        let proj = 0;
        for (let i = 0; i < k; i++) proj += e.vectors[i * k + idx]! * u[i]!;
        const f = (Math.sqrt(lambdaR) * proj) / Math.sqrt(e.values[idx]!);
        for (let i = 0; i < k; i++) weights[i]! += f * e.vectors[i * k + idx]!;
      }
      return { weights, diagnostics: { alignedRank: kept.length } };
    }),
    config,
  );
}
