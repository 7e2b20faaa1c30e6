/** MoDo weighting: stochastic multi-objective gradient with double sampling. Host math only. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Weighting } from '../core/types.js';
import { projectSimplex } from '../linalg/simplex.js';

/** Options of {@link modoWeighting}. */
export interface ModoOptions {
  /** Step size γ of the λ update (default 1e-3, as LibMTL). */
  readonly gamma?: number;
  /** ℓ₂ regularisation ρ of the λ update (default 0.1, as LibMTL). */
  readonly rho?: number;
  /** `'simplex'` (default: Euclidean projection, LibMTL/official) or `'softmax'` (torchjd). */
  readonly projection?: 'simplex' | 'softmax';
}

/** State: the task weights λ carried between steps. */
export interface ModoState {
  readonly lambda: Float64Array;
}

/** Option schema of MoDo. */
export const modoSchema: OptionsSchema = {
  gamma: {
    type: 'number',
    default: 1e-3,
    min: 0,
    exclusiveMin: true,
    description: 'step size γ of the λ update',
  },
  rho: { type: 'number', default: 0.1, min: 0, description: 'ℓ₂ regularisation ρ of the λ update' },
  projection: {
    type: 'enum',
    values: ['simplex', 'softmax'],
    default: 'simplex',
    description: "'simplex' (LibMTL / official code) or 'softmax' (torchjd) after the λ step",
  },
};

/**
 * MoDo: one projected step on the MGDA objective per training step, λ carried across steps.
 *
 * Update rule: `λ ← Π(λ − γ·(G λ + ρ λ))` with Π the Euclidean projection onto the simplex
 * (`projection: 'simplex'`, LibMTL and the official code) or a softmax (`'softmax'`, torchjd);
 * then `d = Jᵀλ` with the new λ. λ starts at 1/K.
 *
 * Approximation (stated): the paper and LibMTL draw three independent mini-batches per step and
 * use `G = J₁J₂ᵀ` for the λ step and `J₃` for the direction (3K backward passes). Within the
 * one-batch Aggregator contract, manytask uses the same batch for all three, `G = JJᵀ`
 * (K backward passes); this keeps the update rule but loses the unbiasedness of the λ step that
 * double sampling provides.
 *
 * Properties: stateful; permutation-invariant; K = 1 gives d = g. Cost: K backward passes,
 * O(K² + K log K) host work. Deterministic.
 * @see Chen, Fernando, Ying & Chen, "Three-Way Trade-Off in Multi-Objective Learning:
 *   Optimization, Generalization and Conflict-Avoidance", NeurIPS 2023 (JMLR 2024); LibMTL
 *   `MoDo.py`; torchjd `MoDoWeighting`.
 */
export function modoWeighting(options: ModoOptions = {}): Weighting<ModoState> & {
  readonly config: Readonly<Record<string, unknown>>;
} {
  const config = validateOptions('modo', modoSchema, { ...options });
  const gamma = config['gamma'] as number;
  const rho = config['rho'] as number;
  const softmax = config['projection'] === 'softmax';
  return {
    id: 'modo',
    config,
    init: (k) => ({ lambda: new Float64Array(k).fill(1 / k) }),
    weigh(gramian, state) {
      const k = gramian.k;
      const g = gramian.data;
      const l = state.lambda.length === k ? state.lambda : new Float64Array(k).fill(1 / k);
      const y = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        let gl = 0;
        for (let j = 0; j < k; j++) gl += g[i * k + j]! * l[j]!;
        y[i] = l[i]! - gamma * (gl + rho * l[i]!);
      }
      let lambda: Float64Array;
      if (softmax) {
        const m = Math.max(...y);
        const e = y.map((v) => Math.exp(v - m));
        const s = e.reduce((a, v) => a + v, 0);
        lambda = e.map((v) => v / s);
      } else {
        lambda = projectSimplex(y);
      }
      return { weights: lambda, state: { lambda } };
    },
  };
}
