/** CR-MOGM: exponential smoothing of another weighting's task weights. Host math only. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Weighting } from '../core/types.js';

/** Options of {@link crMogmWeighting} (the inner weighting is given as an object). */
export interface CrMogmOptions {
  /** EMA coefficient α on the previous weights (default 0.9). 0 disables smoothing. */
  readonly alpha?: number;
}

/** State: the smoothed weights and the inner weighting's state. */
export interface CrMogmState<S> {
  readonly lambda: Float64Array;
  readonly inner: S;
}

/** Option schema of the smoothing part of CR-MOGM. */
export const crMogmSchema: OptionsSchema = {
  alpha: {
    type: 'number',
    default: 0.9,
    min: 0,
    max: 1,
    description: 'EMA coefficient α on the previous weights (0: no smoothing, 1: frozen at 1/K)',
  },
};

/**
 * CR-MOGM: conflict-reduction smoothing of a multi-objective gradient method's weights.
 *
 * Update rule: with `λ̂_t` the weights of the inner weighting at step t,
 * `λ_t = α·λ_{t−1} + (1 − α)·λ̂_t`, `λ_0 = 1/K`; `d = Jᵀλ_t`.
 *
 * Convention: torchjd's code defaults α to 0.1 while its documentation (and the usual EMA
 * convention) says 0.9; manytask defaults to 0.9. The paper's Corollary 1 schedules α_t from near
 * 0 towards 1; a fixed α is what torchjd ships.
 *
 * Properties: stateful; inherits permutation invariance from the inner weighting; K = 1 with an
 * inner weighting returning 1 gives d = g. Cost: the inner weighting's, plus O(K).
 * @see Zhou et al., "On the Convergence of Stochastic Multi-Objective Gradient Manipulation and
 *   Beyond" (CR-MOGM), NeurIPS 2022; torchjd `CRMOGMWeighting`.
 */
export function crMogmWeighting<S>(
  inner: Weighting<S>,
  options: CrMogmOptions = {},
): Weighting<CrMogmState<S>> & { readonly config: Readonly<Record<string, unknown>> } {
  const config = validateOptions('cr-mogm', crMogmSchema, { ...options });
  const alpha = config['alpha'] as number;
  return {
    id: 'cr-mogm',
    config,
    init: (k) => ({ lambda: new Float64Array(k).fill(1 / k), inner: inner.init(k) }),
    weigh(gramian, state, ctx) {
      const r = inner.weigh(gramian, state.inner, ctx);
      const lambda = r.weights.map((v, i) => alpha * state.lambda[i]! + (1 - alpha) * v);
      return {
        weights: lambda,
        state: { lambda, inner: r.state },
        ...(r.warnings !== undefined ? { warnings: r.warnings } : {}),
        ...(r.diagnostics !== undefined ? { diagnostics: r.diagnostics } : {}),
      };
    },
  };
}
