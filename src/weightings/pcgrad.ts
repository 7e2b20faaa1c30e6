/** PCGrad weighting in Gramian space (torchjd `PCGradWeighting`). */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { correctEachTask, stateless, withConfig, type ConfiguredWeighting } from './base.js';

/** PCGrad takes no options. */
export const pcgradSchema: OptionsSchema = {};

/**
 * PCGrad (Yu et al., NeurIPS 2020), sum convention (torchjd, LibMTL): for each task i, start from
 * ĝ_i = g_i and, for j in a fresh random permutation (from `ctx.rng`), if ⟨ĝ_i, g_j⟩ < 0 project
 * ĝ_i ← ĝ_i − ⟨ĝ_i, g_j⟩/‖g_j‖²·g_j (original g_j; j = i never triggers); d = Σ_i ĝ_i.
 *
 * Gramian form: ĝ_i = Jᵀc_i with c_i = e_i initially, ⟨ĝ_i, g_j⟩ = (G c_i)_j, and the projection
 * is c_{i,j} −= (Gc_i)_j / G_jj; w = Σ_i c_i. No D-sized vector is touched. A (numerically) zero
 * g_j, ‖g_j‖ < 1e-8·max_k‖g_k‖, is skipped (ALGORITHMS §0.3).
 *
 * Properties: for K = 2 non-conflicting (⟨g_1, d⟩ = ‖ĝ_1‖²-type identity) and deterministic; for
 * K ≥ 3 order-dependent. Positively homogeneous (degree 1). Cost O(K³) host. Stateless. Stochastic.
 */
export function pcgradWeighting(
  options: Readonly<Record<string, never>> = {},
): ConfiguredWeighting {
  const config = validateOptions('pcgrad', pcgradSchema, options);
  return withConfig(
    stateless('pcgrad', (gram, ctx) => {
      const k = gram.k;
      const g = gram.data;
      // ALGORITHMS §0.3: a gradient with ‖g_j‖ < 1e-8·max‖g‖ counts as zero and is never projected
      // on (dividing by its norm would blow the weights up without changing d).
      let maxSq = 0;
      for (let i = 0; i < k; i++) maxSq = Math.max(maxSq, g[i * k + i]!);
      const zeroSq = 1e-16 * maxSq;
      const w = correctEachTask(k, ctx.rng, (c, _i, j) => {
        const gjj = g[j * k + j]!;
        if (!(gjj > zeroSq)) return;
        let ip = 0;
        for (let p = 0; p < k; p++) ip += g[j * k + p]! * c[p]!;
        if (ip < 0) c[j]! -= ip / gjj;
      });
      return { weights: w };
    }),
    config,
  );
}
