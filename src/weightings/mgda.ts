/** MGDA weighting: the minimum-norm point of the convex hull of the (normalised) task gradients. */
import { NumericalError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { minNormFrankWolfe, minNormSimplex } from '../linalg/simplex.js';
import { stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** Gradient normalisation of MGDA (LibMTL `mgda_gn`). */
export type MgdaNormalization = 'none' | 'l2' | 'loss' | 'loss+';

/** Options of {@link mgdaWeighting}. */
export interface MgdaOptions {
  /** `none` (default), `l2`: g/‖g‖, `loss`: g/L, `loss+`: g/(L·‖g‖). */
  readonly normalization?: MgdaNormalization;
  /** `active-set` (default, exact KKT) or `frank-wolfe` (LibMTL's MinNormSolver, 250 iterations). */
  readonly solver?: 'active-set' | 'frank-wolfe';
}

/** Option schema of MGDA. */
export const mgdaSchema: OptionsSchema = {
  normalization: {
    type: 'enum',
    values: ['none', 'l2', 'loss', 'loss+'],
    default: 'none',
    description:
      "gradient normalisation before the min-norm solve (LibMTL mgda_gn): 'none', 'l2' (g/‖g‖), 'loss' (g/L), 'loss+' (g/(L‖g‖))",
  },
  solver: {
    type: 'enum',
    values: ['active-set', 'frank-wolfe'],
    default: 'active-set',
    description:
      "min-norm solver: 'active-set' (exact) or 'frank-wolfe' (LibMTL MinNormSolver, ≤ 250 iterations, ‖Δw‖₁ < 1e-5)",
  },
};

/**
 * MGDA (Sener & Koltun, NeurIPS 2018): with normalisers n_k (1, ‖g_k‖, L_k or L_k‖g_k‖),
 * s = argmin_{s ∈ Δ} ‖Σ_k s_k g_k/n_k‖² (on the Gramian G̃ = N⁻¹GN⁻¹), and w_k = s_k/n_k, so
 * d = Σ_k s_k g_k/n_k is the normalised min-norm point, exactly as LibMTL back-propagates it.
 *
 * Certificate (KKT): ⟨g̃_k, d⟩ ≥ ‖d‖² for every k, with equality where s_k > 0; hence d never
 * conflicts with any task, and d = 0 iff the (normalised) gradients are Pareto-stationary.
 * A zero gradient has normaliser 1 under `l2`/`loss+` (its row is zero anyway).
 * Cost: O(K³) per active-set change (typically ≤ K changes). Stateless. Deterministic.
 * @throws {NumericalError} From `weigh` when `loss`/`loss+` normalisation meets a loss that is not
 *   finite and positive.
 */
export function mgdaWeighting(options: MgdaOptions = {}): ConfiguredWeighting {
  const config = validateOptions('mgda', mgdaSchema, { ...options });
  const normalization = config['normalization'] as MgdaNormalization;
  const solver = config['solver'] as 'active-set' | 'frank-wolfe';
  return withConfig(
    stateless('mgda', (gram, ctx) => {
      const k = gram.k;
      const n = new Float64Array(k).fill(1);
      for (let i = 0; i < k; i++) {
        const norm = Math.sqrt(Math.max(0, gram.data[i * k + i]!));
        if (normalization === 'loss' || normalization === 'loss+') {
          const l = ctx.losses[i];
          if (l === undefined || !(l > 0) || !Number.isFinite(l)) {
            throw new NumericalError(
              `mgda: normalization '${normalization}' needs a finite positive loss for every task, got ${l} for task '${ctx.tasks[i] ?? i}'; use normalization 'none' or 'l2'`,
              { task: ctx.tasks[i] ?? String(i), step: ctx.step },
            );
          }
          n[i] = normalization === 'loss' ? l : norm > 0 ? l * norm : l;
        } else if (normalization === 'l2' && norm > 0) {
          n[i] = norm;
        }
      }
      const gn = Float64Array.from(
        gram.data,
        (v, idx) => v / (n[Math.floor(idx / k)]! * n[idx % k]!),
      );
      const r = solver === 'active-set' ? minNormSimplex(gn, k) : minNormFrankWolfe(gn, k);
      const warnings = r.status.converged
        ? []
        : [
            `mgda: the ${solver} min-norm solver stopped after ${r.status.iterations} iterations (residual ${r.status.residual.toExponential(2)}); using its last iterate`,
          ];
      return {
        weights: r.weights.map((s, i) => s / n[i]!),
        warnings,
        diagnostics: { mgdaNormSquared: r.normSquared, mgdaIterations: r.status.iterations },
      };
    }),
    config,
  );
}
