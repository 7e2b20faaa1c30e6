/** CAGrad weighting (and CAGrad-Fast task subsampling). */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { cagradDual } from '../linalg/cagrad.js';
import { normalizeTrace, quadForm, subMatrix, matVec } from '../linalg/matrix.js';
import { stateless, uniform, withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link cagradWeighting}. */
export interface CagradOptions {
  /** Radius factor c ≥ 0 of the ball around the mean gradient (default 0.5). */
  readonly c?: number;
  /**
   * Positive rescaling of d (LibMTL `rescale`): 0 none (default; torchjd, golden row),
   * 1: d/(1 + c²) (LibMTL default), 2: d/(1 + c).
   */
  readonly rescale?: 0 | 1 | 2;
  /** ‖g_w‖ below this (trace-normalised scale) gives d = 0, as torchjd (default 1e-4). */
  readonly normEps?: number;
  /** CAGrad-Fast: tasks sampled per step via `ctx.rng` (0 = all, default). */
  readonly subsample?: number;
}

/** Option schema of CAGrad. */
export const cagradSchema: OptionsSchema = {
  c: {
    type: 'number',
    default: 0.5,
    min: 0,
    description: 'radius factor c of the conflict-averse ball (c = 0: mean gradient)',
  },
  rescale: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 2,
    description: 'rescaling of d: 0 none (torchjd), 1 d/(1+c²) (LibMTL default), 2 d/(1+c)',
  },
  normEps: {
    type: 'number',
    default: 1e-4,
    min: 0,
    description:
      'below this ‖g_w‖ (trace-normalised) the point is treated as Pareto-stationary and d = 0',
  },
  subsample: {
    type: 'integer',
    default: 0,
    min: 0,
    description: 'CAGrad-Fast: number of tasks sampled per step for g_w (0 = all tasks)',
  },
};

/**
 * CAGrad (Liu et al., "Conflict-Averse Gradient Descent for Multi-task Learning", NeurIPS 2021):
 * maximise the worst local improvement min_i ⟨g_i, d⟩ over the ball ‖d − g₀‖ ≤ c‖g₀‖ around the
 * mean gradient g₀. Dual: w* = argmin_{w ∈ Δ} g_wᵀg₀ + c‖g₀‖‖g_w‖ (solved exactly by
 * {@link cagradDual} on G/trace(G)), then d = g₀ + c‖g₀‖·g_w/‖g_w‖, i.e.
 * weights 1/K + (c‖g₀‖/‖g_w‖)·w*, divided by 1, 1 + c² or 1 + c (`rescale`).
 *
 * CAGrad-Fast (`subsample` = m, paper §5.3): g_w ranges over a random subset S of m tasks
 * (drawn from `ctx.rng`) while g₀ stays the mean of all tasks; the backward-pass saving needs an
 * engine that only differentiates the sampled tasks; here it only changes the update.
 *
 * Properties: non-conflicting for c ≥ 1 (the ball then contains 0); permutation-invariant;
 * degree-1 homogeneous; K = 1 gives (1 + c)·g before rescaling. Cost: a root search over ≤ ~40
 * warm-started K×K QPs. Stateless; stochastic only with `subsample`.
 */
export function cagradWeighting(options: CagradOptions = {}): ConfiguredWeighting {
  const config = validateOptions('cagrad', cagradSchema, { ...options });
  const c = config['c'] as number;
  const rescale = config['rescale'] as number;
  const normEps = config['normEps'] as number;
  const subsample = config['subsample'] as number;
  const factor = rescale === 1 ? 1 / (1 + c * c) : rescale === 2 ? 1 / (1 + c) : 1;
  return withConfig(
    stateless('cagrad', (gram, ctx) => {
      const k = gram.k;
      const gn = normalizeTrace(gram.data, k, normEps);
      const mean = uniform(k);
      const g0Norm = Math.sqrt(Math.max(0, quadForm(gn, mean, k)));
      let subset: number[];
      if (subsample > 0 && subsample < k) {
        subset = Array.from(ctx.rng.permutation(k).subarray(0, subsample)).sort((a, b) => a - b);
      } else {
        subset = Array.from({ length: k }, (_, i) => i);
      }
      const m = subset.length;
      const bAll = matVec(gn, mean, k);
      const r = cagradDual(subMatrix(gn, k, subset), m, c, {
        linear: { b: subset.map((i) => bAll[i]!), g0Norm },
      });
      const weights = new Float64Array(k);
      if (r.gwNorm > 0 && r.gwNorm >= normEps) {
        weights.set(mean);
        const scale = (c * g0Norm) / r.gwNorm;
        subset.forEach((i, a) => (weights[i]! += scale * r.weights[a]!));
        for (let i = 0; i < k; i++) weights[i]! *= factor;
      }
      return {
        weights,
        ...(r.status.converged
          ? {}
          : {
              warnings: [
                `cagrad: the dual solver stopped after ${r.status.iterations} iterations (residual ${r.status.residual.toExponential(2)}); using its last iterate`,
              ],
            }),
      };
    }),
    config,
  );
}
