/**
 * Orthogonal-gradient regulariser (Suteu & Guo, seed method 5, ALGORITHMS.md §5).
 *
 * Evidence: [CODE-3P]. No official code exists. The squared-cosine form is the one of two
 * independent third-party implementations (danielmao2019/Pylon `cosreg.py`, which cites
 * arXiv 1912.06844, and a two-task variant); the paper's exact form (cos² or |cos|, which
 * parameters, λ) is unverified.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type {
  Gramian,
  ParamTree,
  Regularizer,
  RegularizerContext,
  RegularizerInput,
} from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';

/** Options of {@link orthoReg}. */
export interface OrthoRegOptions {
  /** λ (default 10, the third-party default; the paper's value is not known). */
  readonly penalty?: number;
  /** `'cos2'` (default): mean cos²; `'abs-cos'`: mean |cos|. */
  readonly form?: 'cos2' | 'abs-cos';
  /** Compute R per shared parameter tensor, then average over tensors (default false). */
  readonly perLayer?: boolean;
  /**
   * Use the gradients with respect to the shared representation (the trunk's features) instead of
   * the shared parameters: much cheaper, and needs second order only through the heads.
   */
  readonly wrtRepresentation?: boolean;
  /** ε of the cosine's denominator max(‖g_i‖‖g_j‖, ε) and of the zero-gradient test (default 1e-8). */
  readonly epsilon?: number;
}

/** Option schema of `ortho-reg`. */
export const orthoRegSchema: OptionsSchema = {
  penalty: {
    type: 'number',
    default: 10,
    min: 0,
    description: 'λ: weight of the penalty (third-party default 10; search {0.1, 1, 10})',
  },
  form: {
    type: 'enum',
    values: ['cos2', 'abs-cos'],
    default: 'cos2',
    description: "'cos2' (mean squared cosine, third-party form) or 'abs-cos' (mean |cosine|)",
  },
  perLayer: {
    type: 'boolean',
    default: false,
    description: 'compute the penalty per shared parameter tensor and average',
  },
  wrtRepresentation: {
    type: 'boolean',
    default: false,
    description:
      'use gradients with respect to the shared representation instead of the shared parameters (cheaper)',
  },
  epsilon: {
    type: 'number',
    default: 1e-8,
    min: 0,
    exclusiveMin: true,
    description: 'ε of the cosine denominator and of the zero-gradient test',
  },
};

/**
 * 1 for tasks whose squared gradient norm is above ε²·max, else 0. A constant of the
 * differentiated graph: comparisons have no registered gradient in TF.js, so the mask is computed
 * inside a custom-gradient op whose gradient is zero.
 */
function liveTasks(diag: tf.Tensor, eps: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    return {
      value: tf.cast(tf.greater(x, tf.mul(tf.max(x), eps * eps)), 'float32'),
      gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
    };
  });
  return op(diag);
}

/**
 * R from per-task inner products: `dots[i][j] = ⟨g_i, g_j⟩` as scalars (differentiable).
 * cos² = G_ij²/max(G_ii·G_jj, ε²) needs no square root, so a zero gradient cannot produce an
 * infinite derivative; pairs with a (relatively) zero gradient are left out of the mean, and the
 * mean runs over the remaining ordered pairs i ≠ j (0 when there is none).
 */
function penaltyFromInnerProducts(
  g: tf.Tensor2D,
  form: 'cos2' | 'abs-cos',
  eps: number,
): tf.Scalar {
  const k = g.shape[0];
  const diag = tf.sum(tf.mul(g, tf.eye(k)), 1);
  const prod = tf.mul(tf.reshape(diag, [k, 1]), tf.reshape(diag, [1, k])); // G_ii·G_jj
  const denom = tf.maximum(prod, eps * eps);
  const pairs = form === 'cos2' ? tf.div(tf.square(g), denom) : tf.div(tf.abs(g), tf.sqrt(denom));
  // Pairs of non-zero gradients (relative to the largest, ALGORITHMS §0.3.2), off the diagonal.
  const live = liveTasks(diag, eps);
  const offDiag = tf.sub(tf.onesLike(g), tf.eye(k));
  const mask = tf.mul(tf.mul(tf.reshape(live, [k, 1]), tf.reshape(live, [1, k])), offDiag);
  const count = tf.sum(mask);
  return tf.div(tf.sum(tf.mul(pairs, mask)), tf.maximum(count, 1)) as tf.Scalar;
}

/** K×K inner products of per-task gradient trees over `keys` (a differentiable `[K, K]` tensor). */
function innerProducts(grads: readonly ParamTree[], keys: readonly string[]): tf.Tensor2D {
  const k = grads.length;
  const rows = keys.map((key) => tf.stack(grads.map((t) => tf.reshape(t[key]!, [-1])))); // each [K, D_key]
  const parts = rows.map((r) => tf.matMul(r, r, false, true));
  return (parts.length === 0 ? tf.zeros([k, k]) : tf.addN(parts)) as tf.Tensor2D;
}

/**
 * The orthogonal-gradient regulariser (Suteu & Guo, "Regularizing Deep Multi-Task Networks using
 * Orthogonal Gradients", arXiv 1912.06844). **Squared-cosine form as in third-party
 * implementations; the paper's exact form is unverified; see docs/methods/ortho-reg.md.**
 *
 *     L_total = Σ_i L_i + λ·R,   R = (Σ_{i,j} cos²(g_i, g_j) − K)/(K² − K)   (mean over i ≠ j)
 *     cos(g_i, g_j) = ⟨g_i, g_j⟩ / max(‖g_i‖‖g_j‖, ε)
 *
 * with g_i the gradient of task i's loss on the shared parameters (or, with
 * `wrtRepresentation`, on the shared representation), computed with its graph kept so that
 * ∇_θR exists (an order-2 {@link Regularizer}: the training step differentiates it by double
 * backward). cos² is 0 at orthogonality and penalises positive and negative alignment alike.
 *
 * Properties: R = 0 for orthogonal gradients, 1 for parallel (or anti-parallel) ones, 0 for
 * K = 1; λ = 0 gives plain training; pairs with a zero gradient are left out.
 * Cost: K backward passes with the graph kept, then one backward through them (≈ 3K
 * backward-equivalents, K× activation memory); `wrtRepresentation`: K passes through the heads
 * plus one trunk backward. Every op on the differentiated path must be second-order-safe (build
 * the model with `secondOrderSafe: true`); TF.js 4.22 has no second-order gradient for conv2d
 * filters or max-pooling, so image trunks need `wrtRepresentation`.
 * @example
 * const reg = orthoReg({ penalty: 1 });
 * // createStepSetup({ model, method, optimizer, regularizers: [reg] })
 */
export function orthoReg(options: OrthoRegOptions = {}): Regularizer {
  const config = validateOptions('ortho-reg', orthoRegSchema, { ...options });
  const lambda = config['penalty'] as number;
  const form = config['form'] as 'cos2' | 'abs-cos';
  const perLayer = config['perLayer'] as boolean;
  const wrtRep = config['wrtRepresentation'] as boolean;
  const eps = config['epsilon'] as number;
  return {
    id: 'ortho-reg',
    config,
    order: 2,
    wrt: wrtRep ? 'features' : 'params',
    penalty(input: RegularizerInput, _ctx: RegularizerContext): tf.Scalar {
      const grads = input.taskGradients;
      if (grads === undefined) {
        throw new ConfigError(
          'ortho-reg: penalty() needs the per-task gradients with their graph kept (an order-2 regularizer); run it through the training step or recordForward',
        );
      }
      if (grads.length !== input.tasks.length) {
        throw new ShapeError(
          `ortho-reg: got ${grads.length} per-task gradient trees for ${input.tasks.length} tasks`,
        );
      }
      return tf.tidy(() => {
        if (grads.length < 2 || lambda === 0) return tf.scalar(0);
        const keys = Object.keys(grads[0]!);
        const r = perLayer
          ? (tf.mean(
              tf.stack(
                keys.map((key) => penaltyFromInnerProducts(innerProducts(grads, [key]), form, eps)),
              ),
            ) as tf.Scalar)
          : penaltyFromInnerProducts(innerProducts(grads, keys), form, eps);
        return tf.mul(r, lambda) as tf.Scalar;
      });
    },
  };
}

/**
 * R (without λ) from a host Gramian, for diagnostics and tests: the mean of cos² (or |cos|) over
 * ordered pairs i ≠ j of non-zero gradients.
 */
export function orthoPenaltyFromGramian(
  gramian: Gramian,
  form: 'cos2' | 'abs-cos' = 'cos2',
  eps = 1e-8,
): number {
  const { k, data } = gramian;
  const maxDiag = Math.max(0, ...Array.from({ length: k }, (_, i) => data[i * k + i]!));
  let s = 0;
  let n = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const gi = data[i * k + i]!;
      const gj = data[j * k + j]!;
      if (i === j || !(gi > maxDiag * eps * eps) || !(gj > maxDiag * eps * eps)) continue;
      const denom = Math.max(gi * gj, eps * eps);
      const gij = data[i * k + j]!;
      s += form === 'cos2' ? (gij * gij) / denom : Math.abs(gij) / Math.sqrt(denom);
      n++;
    }
  }
  return n > 0 ? s / n : 0;
}

/** A sliding window of the angles between task gradients (the paper's diagnostic, §5.2). */
export interface AngleWindow {
  /** Adds one step's pairwise angles (degrees, pairs i < j; NaN entries are skipped). */
  push(angles: readonly number[]): void;
  /** Mean and population variance over all angles in the window (NaN when empty). */
  stats(): { readonly mean: number; readonly variance: number; readonly count: number };
}

/**
 * A window over the last `size` steps (default 100) of pairwise angles φ_ij = arccos(cos(g_i,g_j))
 * (degrees): the variance of the angles over pairs and steps is the quantity the paper reports to
 * be low in well-performing models (windowing: [RECON]). Feed it `cosines` from the training
 * step's report (or `conflictDiagnostics(G).angles`).
 */
export function angleWindow(size = 100): AngleWindow {
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigError(`angleWindow: size must be an integer ≥ 1, got ${size}`);
  }
  const steps: number[][] = [];
  return {
    push(angles) {
      steps.push(angles.filter((a) => Number.isFinite(a)));
      if (steps.length > size) steps.shift();
    },
    stats() {
      const all = steps.flat();
      if (all.length === 0) return { mean: NaN, variance: NaN, count: 0 };
      const mean = all.reduce((a, b) => a + b, 0) / all.length;
      const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
      return { mean, variance, count: all.length };
    },
  };
}

/** Pairwise angles i < j in degrees from a K×K cosine matrix (NaN cosines give NaN). */
export function pairAngles(cosines: ArrayLike<number>, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < k; i++)
    for (let j = i + 1; j < k; j++) {
      const c = Math.min(1, Math.max(-1, cosines[i * k + j]!));
      out.push((Math.acos(c) * 180) / Math.PI);
    }
  return out;
}

export const orthoRegEntry: RegistryEntry<Regularizer> = {
  id: 'ortho-reg',
  kind: 'regularizer',
  displayName: 'Orthogonal gradients (Suteu & Guo)',
  summary:
    'Penalises the squared cosine between task gradients on the shared parameters, pushing them towards orthogonality (second order).',
  reference:
    'Squared-cosine form as in third-party implementations (danielmao2019/Pylon cosreg); the paper\'s exact form is unverified; see docs. Suteu & Guo, "Regularizing Deep Multi-Task Networks using Orthogonal Gradients", arXiv 1912.06844 (ICLR 2020 submission); docs/methods/ortho-reg.md.',
  evidence: 'code-3p',
  cost: {
    backward: '≈3K (K with graph kept + one through them); wrtRepresentation: K head passes + 1',
    notes: 'second order: needs second-order-safe ops on every differentiated path',
  },
  options: orthoRegSchema,
  create: (o) => orthoReg(o as OrthoRegOptions),
};
