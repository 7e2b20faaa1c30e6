/** SDMGrad weighting: stochastic direction-oriented multi-objective gradient. Host math only. */
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Weighting } from '../core/types.js';
import { projectSimplex } from '../linalg/simplex.js';

/** Options of {@link sdmgradWeighting}. */
export interface SdmgradOptions {
  /** Pull λ towards the preference direction (default 0.3, as LibMTL and the paper's runs). */
  readonly lambda?: number;
  /** Inner SGD iterations on w per step (default 20). */
  readonly innerIterations?: number;
  /** Inner SGD learning rate (default 5, as LibMTL; torchjd uses 10). */
  readonly innerLr?: number;
  /** Inner SGD momentum (default 0.5). */
  readonly momentum?: number;
  /** Preference vector w̃ (default uniform 1/K: the target is the mean gradient). */
  readonly preference?: readonly number[];
}

/** State: the inner weights w, warm-started across steps. */
export interface SdmgradState {
  readonly w: Float64Array;
}

/** Option schema of SDMGrad. */
export const sdmgradSchema: OptionsSchema = {
  lambda: {
    type: 'number',
    default: 0.3,
    min: 0,
    description: 'weight λ of the preference direction',
  },
  innerIterations: {
    type: 'integer',
    default: 20,
    min: 1,
    description: 'inner SGD iterations on w per step',
  },
  innerLr: {
    type: 'number',
    default: 5,
    min: 0,
    exclusiveMin: true,
    description: 'inner SGD learning rate',
  },
  momentum: { type: 'number', default: 0.5, min: 0, max: 0.999, description: 'inner SGD momentum' },
  preference: { type: 'number[]', description: 'preference vector w̃ (default uniform 1/K)' },
};

/**
 * SDMGrad: MGDA regularised towards a preference direction, solved by a few warm-started SGD
 * steps per training step.
 *
 * Update rule: `A = G/(s² + 1e-8)` with `s = mean_k √max(G_kk, 0)`; starting from the previous
 * w, `innerIterations` steps of SGD with momentum (PyTorch convention: `v ← μv + ∇`, fresh v each
 * step) on `½(w + λw̃)ᵀA(w + λw̃)` over the simplex: `∇ = A(w + λw̃)`, `w ← Π_Δ(w − lr·v)`.
 * Output weights `(w + λw̃)/(1 + λ)`, i.e. `d = (J ᵀw + λ·Jᵀw̃)/(1 + λ)`.
 *
 * Approximation (stated): the paper and LibMTL use three independent mini-batches per step
 * (`A` from `J_ξ J_ξ'ᵀ`, the direction from `J_ζ`; 3K backward passes). Within the one-batch
 * Aggregator contract, manytask uses one batch, `A` from `JJᵀ` (K backward passes), which keeps
 * the rule but not the unbiased stochastic gradient of the paper's analysis.
 *
 * Properties: stateful; permutation-invariant for the uniform preference; weights invariant to
 * scaling J while ‖g‖² ≫ 1e-8 (the reference's ε), so d is then degree-1 homogeneous; K = 1 gives d = g. Cost: K backward passes,
 * O(iterations·K²) host work. Deterministic.
 * @see Xiao, Ban & Ji, "Direction-oriented Multi-objective Learning: Simple and Provable
 *   Stochastic Algorithms", NeurIPS 2023; LibMTL `SDMGrad.py`; torchjd `SDMGradWeighting`.
 */
export function sdmgradWeighting(options: SdmgradOptions = {}): Weighting<SdmgradState> & {
  readonly config: Readonly<Record<string, unknown>>;
} {
  const config = validateOptions('sdmgrad', sdmgradSchema, { ...options });
  const lam = config['lambda'] as number;
  const iters = config['innerIterations'] as number;
  const lr = config['innerLr'] as number;
  const mom = config['momentum'] as number;
  const prefOpt = config['preference'] as readonly number[] | undefined;
  const preference = (k: number): Float64Array => {
    if (prefOpt === undefined) return new Float64Array(k).fill(1 / k);
    if (prefOpt.length !== k) {
      throw new ShapeError(
        `sdmgrad: option \`preference\` has ${prefOpt.length} entries but there are ${k} tasks`,
      );
    }
    return Float64Array.from(prefOpt);
  };
  return {
    id: 'sdmgrad',
    config,
    init: (k) => ({ w: new Float64Array(k).fill(1 / k) }),
    weigh(gramian, state) {
      const k = gramian.k;
      const g = gramian.data;
      const pref = preference(k);
      let s = 0;
      for (let i = 0; i < k; i++) s += Math.sqrt(Math.max(g[i * k + i]!, 0));
      s /= k;
      const inv = 1 / (s * s + 1e-8);
      let w: Float64Array =
        state.w.length === k ? Float64Array.from(state.w) : new Float64Array(k).fill(1 / k);
      const v = new Float64Array(k);
      for (let it = 0; it < iters; it++) {
        for (let i = 0; i < k; i++) {
          let grad = 0;
          for (let j = 0; j < k; j++) grad += g[i * k + j]! * inv * (w[j]! + lam * pref[j]!);
          v[i] = it === 0 ? grad : mom * v[i]! + grad;
        }
        w = projectSimplex(w.map((x, i) => x - lr * v[i]!));
      }
      return {
        weights: w.map((x, i) => (x + lam * pref[i]!) / (1 + lam)),
        state: { w },
      };
    },
  };
}
