/**
 * FairGrad weighting: α-fair resource allocation of the update among tasks.
 *
 * Pure host math on the K×K Gramian (no TF.js).
 */
import { SolverError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { EmptyState, Weighting } from '../core/types.js';
import { cholesky, choleskySolve } from '../linalg/solve.js';

/** Options of {@link fairgradWeighting}. */
export interface FairgradOptions {
  /** Fairness exponent α ≥ 0 (default 1: proportional fairness). α = 0 gives uniform weights. */
  readonly alpha?: number;
  /** Newton iteration cap (default 100). */
  readonly maxIter?: number;
}

/** Option schema of FairGrad. */
export const fairgradSchema: OptionsSchema = {
  alpha: {
    type: 'number',
    default: 1,
    min: 0,
    description:
      'fairness exponent α (0: linear scalarisation, 1: proportional fairness, →∞: max-min)',
  },
  maxIter: { type: 'integer', default: 100, min: 1, description: 'Newton iteration cap' },
};

/**
 * FairGrad: task weights w > 0 solving `G·w = w^{−1/α}` (element-wise), so that each task's
 * first-order loss decrease `⟨g_k, d⟩ = (Gw)_k = w_k^{−1/α}` follows α-fairness.
 *
 * Solver: the root is the unique minimiser of the strictly convex
 * `φ(w) = ½wᵀGw − Σ_k h(w_k)` with `h' = w^{−1/α}` on w > 0; damped Newton with the Hessian
 * `G + diag(w^{−1/α−1}/α)` (always positive definite), a fraction-to-boundary rule and Armijo
 * backtracking on φ. It reaches the reference's `scipy.optimize.least_squares` root to ~1e-12.
 * When no positive root exists (singular G with opposing tasks, e.g. g₂ = −g₁), the iterate
 * diverges along the null space; the solver stops at `maxIter` and reports a warning.
 *
 * Properties: when the root exists, `⟨g_k, d⟩ = w_k^{−1/α} > 0` for every task (non-conflicting);
 * permutation-invariant; for α = 1, `d` is invariant to scaling J (degree 0); K = 1 gives a
 * positive multiple of g. Cost: O(K³) per Newton iteration. Stateless. Deterministic.
 *
 * @example
 * // torchjd golden: G = [[18, −22], [−22, 38]] → w ≈ [0.5915, 0.4071]
 * @see Ban & Ji, "Fair Resource Allocation in Multi-Task Learning", ICML 2024 (official
 *   OptMN-Lab/fairgrad; LibMTL `FairGrad.py`; torchjd `FairGrad`).
 */
export function fairgradWeighting(options: FairgradOptions = {}): Weighting<EmptyState> & {
  readonly config: Readonly<Record<string, unknown>>;
} {
  const config = validateOptions('fairgrad', fairgradSchema, { ...options });
  const alpha = config['alpha'] as number;
  const maxIter = config['maxIter'] as number;
  const p = alpha > 0 ? 1 / alpha : 0;
  // h(w) with h'(w) = w^{−p}: log w for p = 1.
  const h = (w: number): number => (p === 1 ? Math.log(w) : w ** (1 - p) / (1 - p));
  return {
    id: 'fairgrad',
    config,
    init: () => ({}),
    weigh(gramian, state) {
      const k = gramian.k;
      const g = gramian.data;
      let tr = 0;
      for (let i = 0; i < k; i++) tr += g[i * k + i]!;
      if (alpha === 0 || !(tr > 0)) {
        // α = 0 is linear scalarisation (the paper's §3); a zero Jacobian gives d = 0 for any w.
        return { weights: new Float64Array(k).fill(1 / k), state };
      }
      const phi = (w: Float64Array): number => {
        let v = 0;
        for (let i = 0; i < k; i++) {
          let gw = 0;
          for (let j = 0; j < k; j++) gw += g[i * k + j]! * w[j]!;
          v += 0.5 * w[i]! * gw - h(w[i]!);
        }
        return v;
      };
      // Start where 1ᵀG1·c² ≈ K·c^{1−p} (the right scale), not at the reference's 1/K: same root,
      // far fewer Newton steps when ‖G‖ is far from 1.
      let s = 0;
      for (const v of g) s += v;
      const c = s > 0 ? (k / s) ** (1 / (1 + p)) : 1 / k;
      let w = new Float64Array(k).fill(c);
      let residual = Infinity;
      const hess = new Float64Array(k * k);
      const f = new Float64Array(k);
      let iterations = 0;
      for (let it = 0; it < maxIter; it++, iterations++) {
        let scale = 0;
        residual = 0;
        for (let i = 0; i < k; i++) {
          let gw = 0;
          for (let j = 0; j < k; j++) {
            gw += g[i * k + j]! * w[j]!;
            hess[i * k + j] = g[i * k + j]!;
          }
          const t = w[i]! ** -p;
          f[i] = gw - t;
          hess[i * k + i] = hess[i * k + i]! + p * w[i]! ** (-p - 1);
          scale = Math.max(scale, Math.abs(gw), t);
          residual = Math.max(residual, Math.abs(f[i]!));
        }
        residual /= scale;
        if (residual < 1e-12) {
          return {
            weights: w,
            state,
            diagnostics: { fairgradIterations: it, fairgradResidual: residual },
          };
        }
        let factor: Float64Array;
        try {
          factor = cholesky(hess, k);
        } catch (err) {
          // The barrier term w^{−1/α−1}/α vanishes next to a singular G only while w diverges,
          // i.e. when no root exists: report it below instead of failing the step.
          if (err instanceof SolverError) break;
          throw err;
        }
        const step = choleskySolve(factor, k, f);
        // Fraction to the boundary w > 0, then Armijo on φ along −step (a descent direction).
        let t = 1;
        for (let i = 0; i < k; i++) if (step[i]! > 0) t = Math.min(t, (0.99 * w[i]!) / step[i]!);
        const phi0 = phi(w);
        let slope = 0;
        for (let i = 0; i < k; i++) slope -= f[i]! * step[i]!;
        let next = w.map((v, i) => v - t * step[i]!);
        while (phi(next) > phi0 + 1e-4 * t * slope && t > 1e-12) {
          t /= 2;
          next = w.map((v, i) => v - t * step[i]!);
        }
        if (!next.every(Number.isFinite)) break;
        w = next;
      }
      return {
        weights: w,
        state,
        warnings: [
          `fairgrad: no positive solution of G·w = w^(−1/α) after ${iterations} Newton steps (relative residual ${residual.toExponential(2)}); the Gramian is singular with opposing tasks, so the last iterate is used`,
        ],
        diagnostics: { fairgradIterations: iterations, fairgradResidual: residual },
      };
    },
  };
}
