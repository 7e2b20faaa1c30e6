/** DB-MTL: dual balancing of loss scales (log-losses) and gradient magnitudes. */
import * as tf from '@tensorflow/tfjs';
import { NumericalError, ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, ParamTree } from '../core/types.js';
import { assertJacobian } from '../autodiff/gramian.js';
import type { RegistryEntry } from '../registry/types.js';
import { BASE_TRAITS } from './base.js';

/** Options of {@link dbMtl}. */
export interface DbMtlOptions {
  /** EMA coefficient β of the log-loss gradients (default 0.9). */
  readonly beta?: number;
  /** Decay exponent σ of β (β_t = β/t^σ; default 0). */
  readonly betaSigma?: number;
}

/** State: the EMA of the log-loss gradients (owned tensors, one per block) and the step count. */
export interface DbMtlState {
  readonly step: number;
  readonly buffers: ParamTree | null;
}

const EPS = 1e-8;

const schema: OptionsSchema = {
  beta: { type: 'number', default: 0.9, min: 0, max: 1, description: 'EMA coefficient β' },
  betaSigma: { type: 'number', default: 0, min: 0, description: 'decay exponent σ: β_t = β/t^σ' },
};

const TRAITS: AggregatorTraits = {
  ...BASE_TRAITS,
  singleTask: 'positive-multiple',
  stateful: true,
};

/**
 * DB-MTL (Lin et al., 2023): loss-scale balancing by taking logs of the losses, gradient-magnitude
 * balancing by rescaling every task to the largest gradient norm.
 *
 * Update rule (LibMTL): `ĝ_k = ∇log(L_k + 1e-8) = g_k/(L_k + 1e-8)` (from `ctx.losses`);
 * `m_k ← ĝ_k + (β/t^σ)(m_k − ĝ_k)` with `m = 0` initially (so `m = (1 − β)ĝ` after step 1);
 * `u_k = ‖m_k‖`, `α_k = max_j u_j/(u_k + 1e-8)`; `d = Σ_k α_k m_k`.
 *
 * d combines the EMA buffers, not the current gradients, so no task weights are returned (α is in
 * `diagnostics`). Requires `L_k > −1e-8`.
 *
 * Cost: K backward passes; O(KD) device work and K·D floats of state; one K-vector read-back.
 * Stateful. Deterministic. Traits: permutation-invariant; degree-1 homogeneous in J for a fresh
 * state; K = 1 gives a positive multiple of g (for L > 0).
 * @see Lin, Ye, Xu, Shi & Zhang, "Dual-Balancing for Multi-Task Learning", arXiv:2308.12029;
 *   LibMTL `DB_MTL.py`.
 */
export function dbMtl(options: DbMtlOptions = {}): Aggregator<DbMtlState> {
  const config = validateOptions('db-mtl', schema, { ...options });
  const beta = config['beta'] as number;
  const sigma = config['betaSigma'] as number;
  return {
    id: 'db-mtl',
    traits: TRAITS,
    config,
    init: () => ({ step: 0, buffers: null }),
    update(jacobian, state, ctx) {
      const k = assertJacobian('db-mtl', jacobian);
      if (ctx.losses.length !== k) {
        throw new ShapeError(`db-mtl: got ${ctx.losses.length} losses for ${k} tasks`);
      }
      for (let i = 0; i < k; i++) {
        if (!(ctx.losses[i]! + EPS > 0)) {
          throw new NumericalError(
            `db-mtl: loss of task ${ctx.tasks[i] ?? i} is ${ctx.losses[i]}; DB-MTL differentiates log(L + 1e-8), so losses must be > −1e-8`,
            { task: ctx.tasks[i] ?? String(i), step: ctx.step },
          );
        }
      }
      const step = state.step + 1;
      const bt = beta / step ** sigma;
      const inv = tf.tensor1d(Float32Array.from(ctx.losses, (l) => 1 / (l + EPS)));
      const buffers = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [name, b] of Object.entries(jacobian.blocks)) {
          const scaled = tf.mul(tf.reshape(b, [k, -1]), tf.reshape(inv, [k, 1]));
          const prev = state.buffers?.[name];
          const m =
            prev === undefined
              ? tf.mul(scaled, 1 - bt)
              : tf.add(scaled, tf.mul(tf.sub(tf.reshape(prev, [k, -1]), scaled), bt));
          out[name] = tf.reshape(m, b.shape);
        }
        return out;
      });
      inv.dispose();
      const sq = tf.tidy(() =>
        tf.addN(Object.values(buffers).map((m) => tf.sum(tf.square(tf.reshape(m, [k, -1])), 1))),
      );
      const u = Float64Array.from(sq.dataSync(), Math.sqrt);
      sq.dispose();
      const umax = Math.max(...u);
      const alpha = u.map((v) => umax / (v + EPS));
      const af = tf.tensor2d(Float32Array.from(alpha), [1, k]);
      const direction = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [name, m] of Object.entries(buffers)) {
          out[name] = tf.reshape(tf.matMul(af, tf.reshape(m, [k, -1])), m.shape.slice(1));
        }
        return out;
      });
      af.dispose();
      return {
        direction,
        state: { step, buffers },
        diagnostics: Object.fromEntries(Array.from(alpha, (v, i) => [`dbMtlAlpha${i}`, v])),
      };
    },
  };
}

export const dbMtlEntry: RegistryEntry<Aggregator<DbMtlState>> = {
  id: 'db-mtl',
  kind: 'aggregator',
  displayName: 'DB-MTL',
  summary: 'Dual balancing: EMA of log-loss gradients, each rescaled to the largest gradient norm.',
  reference:
    'Lin, Ye, Xu, Shi & Zhang, "Dual-Balancing for Multi-Task Learning", arXiv:2308.12029 (Neural Networks). Matches LibMTL DB_MTL.py (β = 0.9, σ = 0).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'K·D floats of EMA state; one K-vector read-back' },
  traits: TRAITS,
  options: schema,
  create: (o) => dbMtl(o as DbMtlOptions),
};
