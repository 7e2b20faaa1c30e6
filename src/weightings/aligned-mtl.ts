/** Aligned-MTL weighting: condition-number-1 alignment of the gradient system. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { eigh, rankTolerance, spectralFunction } from '../linalg/eigen.js';
import { matVec } from '../linalg/matrix.js';
import { stateless, uniform, withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link alignedMtlWeighting}. */
export interface AlignedMtlOptions {
  /** Eigenvalue λ_R that sets the common singular value √λ_R: `min` (default), `median`, `rmse` (mean). */
  readonly scaleMode?: AlignedScaleMode;
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
  const mode = config['scaleMode'] as AlignedScaleMode;
  return withConfig(
    stateless('aligned-mtl', (gram) => {
      const k = gram.k;
      const t = balanceTransformation(gram.data, k, mode);
      return { weights: matVec(t.b, uniform(k), k), diagnostics: { alignedRank: t.rank } };
    }),
    config,
  );
}

/** Which kept eigenvalue sets the aligned scale. */
export type AlignedScaleMode = 'min' | 'median' | 'rmse';

/**
 * Aligned-MTL's balance transformation B = √λ_R·V_rΛ_r^{−1/2}V_rᵀ over the eigenpairs with
 * λ > λ_max·K·ε₃₂ (torchjd `_compute_balance_transformation`); B·G·B = λ_R·V_rV_rᵀ, i.e. the
 * aligned system BJ has all r non-zero singular values equal to √λ_R.
 */
export function balanceTransformation(
  g: ArrayLike<number>,
  k: number,
  mode: AlignedScaleMode,
): { readonly b: Float64Array; readonly lambdaR: number; readonly rank: number } {
  const e = eigh(g, k);
  const tol = rankTolerance(e.values, k);
  const lams: number[] = [];
  for (let i = 0; i < k; i++) if (e.values[i]! > tol) lams.push(e.values[i]!);
  if (lams.length === 0) return { b: new Float64Array(k * k), lambdaR: 0, rank: 0 };
  const lambdaR =
    mode === 'min'
      ? lams[lams.length - 1]!
      : mode === 'median'
        ? // torch.median: the lower median; `lams` is sorted in descending order.
          lams[lams.length - 1 - Math.floor((lams.length - 1) / 2)]!
        : lams.reduce((x, y) => x + y, 0) / lams.length;
  const root = Math.sqrt(lambdaR);
  const b = spectralFunction(e, (l) => root / Math.sqrt(l), tol);
  return { b, lambdaR, rank: lams.length };
}
