/** Nash-MTL weighting: the Nash bargaining solution Gw = 1/w (stateful). */
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { quadForm } from '../linalg/matrix.js';
import { nashSolve } from '../linalg/nash.js';
import { withConfig, type ConfiguredWeighting } from './base.js';

/** Options of {@link nashMtlWeighting}. */
export interface NashMtlOptions {
  /** Clip ‖d‖ to this norm (0 disables; default 1, LibMTL/torchjd `max_norm`). */
  readonly maxNorm?: number;
  /** Solve for new weights every this many steps and reuse the last ones in between (default 1). */
  readonly updateWeightsEvery?: number;
  /** Iteration cap of the solver (default 20, as LibMTL's `optim_niter` CCP rounds). */
  readonly optimNiter?: number;
}

/** Option schema of Nash-MTL. */
export const nashMtlSchema: OptionsSchema = {
  maxNorm: {
    type: 'number',
    default: 1,
    min: 0,
    description: 'clip the norm of d to this value (0: no clipping)',
  },
  updateWeightsEvery: {
    type: 'integer',
    default: 1,
    min: 1,
    description: 'solve for new weights every N steps; reuse the previous ones in between',
  },
  optimNiter: {
    type: 'integer',
    default: 20,
    min: 1,
    description: 'iteration cap of the Newton solver for Gw = 1/w',
  },
};

/** Nash-MTL state: the step counter and the last solved (unclipped) weights (ones at init, as the reference). */
export interface NashMtlState {
  readonly step: number;
  readonly weights: Float64Array;
}

/**
 * Nash-MTL (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022): w > 0 with
 * Gw = 1/w, so that ⟨g_i, d⟩ = 1/w_i for every task, solved by damped Newton on the barrier
 * ½wᵀGw − Σ log w (see {@link nashSolve}) warm-started from the previous weights, instead of the
 * reference's cvxpy/ECOS CCP (≤ `optimNiter` rounds). Then d = Jᵀw is clipped to ‖d‖ ≤ maxNorm:
 * since wᵀGw = K at the solution, ‖Jᵀw‖ = √K, so with maxNorm = 1 and K ≥ 2 the update has norm 1.
 *
 * K = 1: w = 1/‖g‖, so d = g/‖g‖ (the paper's normalised gradient; the clip is then inactive).
 * When no positive solution exists (a zero gradient, exactly opposite gradients) or the solver
 * stops early, the previous weights (initially all ones, as the reference) are reused and a
 * warning is returned — the reference falls back the same way but silently.
 *
 * Properties: when solved, ⟨g_i, d⟩ > 0 for all i; permutation-invariant; d is invariant to
 * scaling J (degree 0). Cost O(K³) per Newton step. Stateful (previous w, step). Deterministic.
 */
export function nashMtlWeighting(options: NashMtlOptions = {}): ConfiguredWeighting<NashMtlState> {
  const config = validateOptions('nash-mtl', nashMtlSchema, { ...options });
  const maxNorm = config['maxNorm'] as number;
  const every = config['updateWeightsEvery'] as number;
  const niter = config['optimNiter'] as number;
  return withConfig<NashMtlState>(
    {
      id: 'nash-mtl',
      init: (k) => ({ step: 0, weights: new Float64Array(k).fill(1) }),
      weigh(gram, state) {
        const k = gram.k;
        if (state.weights.length !== k) {
          throw new ShapeError(
            `nash-mtl: the state holds ${state.weights.length} weights but the Gramian has ${k} tasks; call init again when the task set changes`,
          );
        }
        const warnings: string[] = [];
        let alpha: Float64Array;
        let iterations = 0;
        if (state.step % every === 0) {
          const r = nashSolve(gram.data, k, {
            maxIter: niter,
            initial: state.weights,
          });
          iterations = r.status.iterations;
          if (r.status.converged) {
            alpha = r.weights;
          } else {
            alpha = Float64Array.from(state.weights);
            warnings.push(
              `nash-mtl: no positive solution of Gw = 1/w found in ${r.status.iterations} iterations (residual ${r.status.residual.toExponential(2)}; a zero or exactly opposite gradient has none); reusing the previous weights`,
            );
          }
        } else {
          alpha = Float64Array.from(state.weights);
        }
        const norm = Math.sqrt(Math.max(0, quadForm(gram.data, alpha, k)));
        const clip = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
        return {
          weights: alpha.map((v) => v * clip),
          state: { step: state.step + 1, weights: alpha },
          warnings,
          diagnostics: { nashIterations: iterations },
        };
      },
    },
    config,
  );
}
