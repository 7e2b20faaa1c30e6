/** GradVac weighting in Gramian space: adaptive cosine targets (stateful). */
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { correctEachTask, withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link gradvacWeighting}. */
export interface GradvacOptions {
  /** EMA rate β of the cosine targets (default 0.5, LibMTL; the paper uses 1e-2). */
  readonly beta?: number;
  /** Additive guard in the cosine and coefficient denominators (default 1e-8, LibMTL). */
  readonly eps?: number;
  /**
   * When the target EMA moves: `on-conflict` (default, LibMTL: only after a correction, so
   * targets never rise above 0) or `always` (the paper's Algorithm 1).
   */
  readonly emaUpdate?: 'on-conflict' | 'always';
}

/** Option schema of GradVac. */
export const gradvacSchema: OptionsSchema = {
  beta: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    description: 'EMA rate β of the cosine-similarity targets (LibMTL 0.5; paper 1e-2)',
  },
  eps: {
    type: 'number',
    default: 1e-8,
    min: 0,
    description: 'additive guard in the cosine and coefficient denominators',
  },
  emaUpdate: {
    type: 'enum',
    values: ['on-conflict', 'always'],
    default: 'on-conflict',
    description:
      "'on-conflict' updates a target only after a correction (LibMTL); 'always' after every pair (paper)",
  },
};

/** GradVac state: the K×K matrix of cosine targets ρ̂_ij (row-major), initially 0. */
export interface GradvacState {
  readonly targets: Float64Array;
}

/**
 * GradVac (Wang et al., ICLR 2021), whole-model grouping, sum convention: for each i, ĝ_i = g_i;
 * for j ≠ i in random order (`ctx.rng`): ρ = ⟨ĝ_i, g_j⟩/(‖ĝ_i‖‖g_j‖ + ε); if ρ < ρ̂_ij then
 * ĝ_i += g_j·‖ĝ_i‖(ρ̂√(1−ρ²) − ρ√(1−ρ̂²))/(‖g_j‖√(1−ρ̂²) + ε) and ρ̂_ij ← (1−β)ρ̂_ij + βρ;
 * d = Σ_i ĝ_i. In Gramian form ĝ_i = Jᵀc_i, so only G is needed.
 *
 * With targets at 0 the first step equals PCGrad (golden row). Per-layer/per-matrix groups of the
 * paper need per-block Gramians and are not offered. Cost O(K³) host. Stateful (K² targets).
 * Stochastic. Not positively homogeneous because of the absolute ε (as LibMTL).
 */
export function gradvacWeighting(options: GradvacOptions = {}): ConfiguredWeighting<GradvacState> {
  const config = validateOptions('gradvac', gradvacSchema, { ...options });
  const beta = config['beta'] as number;
  const eps = config['eps'] as number;
  const always = config['emaUpdate'] === 'always';
  return withConfig<GradvacState>(
    {
      id: 'gradvac',
      init: (k) => ({ targets: new Float64Array(k * k) }),
      weigh(gram, state, ctx) {
        const k = gram.k;
        const g = gram.data;
        if (state.targets.length !== k * k) {
          throw new ShapeError(
            `gradvac: the state holds targets for ${Math.round(Math.sqrt(state.targets.length))} tasks but the Gramian has ${k}; call init again when the task set changes`,
          );
        }
        const targets = Float64Array.from(state.targets);
        const gc = new Float64Array(k);
        const w = correctEachTask(k, ctx.rng, (c, i, j) => {
          for (let r = 0; r < k; r++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += g[r * k + p]! * c[p]!;
            gc[r] = s;
          }
          let normI = 0;
          for (let p = 0; p < k; p++) normI += c[p]! * gc[p]!;
          normI = Math.sqrt(Math.max(0, normI));
          const normJ = Math.sqrt(Math.max(0, g[j * k + j]!));
          const rho = Math.max(-1, Math.min(1, gc[j]! / (normI * normJ + eps)));
          const target = targets[i * k + j]!;
          if (rho < target) {
            const sT = Math.sqrt(Math.max(0, 1 - target * target));
            const coef =
              (normI * (target * Math.sqrt(Math.max(0, 1 - rho * rho)) - rho * sT)) /
              (normJ * sT + eps);
            c[j]! += coef;
          }
          if (always || rho < target) {
            targets[i * k + j] = (1 - beta) * target + beta * rho;
          }
        });
        return { weights: w, state: { targets } };
      },
    },
    config,
  );
}
