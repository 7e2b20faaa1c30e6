/** MoCo: momentum-tracked (bias-corrected) multi-objective gradient. */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Aggregator, AggregatorTraits, ParamTree } from '../core/types.js';
import { assertJacobian, combine, gramian } from '../autodiff/gramian.js';
import type { RegistryEntry } from '../registry/types.js';
import { BASE_TRAITS } from './base.js';

/** Options of {@link moco}. */
export interface MocoOptions {
  /** Tracking rate β of y (default 0.5). */
  readonly beta?: number;
  /** Decay exponent of β: β_t = β/t^σ (default 0.5). */
  readonly betaSigma?: number;
  /** Step size γ of the λ update (default 0.1). */
  readonly gamma?: number;
  /** Decay exponent of γ (default 0.5). */
  readonly gammaSigma?: number;
  /** ℓ₂ regularisation ρ of the λ update (default 0). */
  readonly rho?: number;
}

/** State: tracked gradients y (owned tensors, [K, ...shape] per block), weights λ, step count. */
export interface MocoState {
  readonly step: number;
  readonly y: ParamTree | null;
  readonly lambda: Float64Array;
}

const schema: OptionsSchema = {
  beta: { type: 'number', default: 0.5, min: 0, max: 1, description: 'tracking rate β of y' },
  betaSigma: { type: 'number', default: 0.5, min: 0, description: 'decay exponent of β' },
  gamma: { type: 'number', default: 0.1, min: 0, description: 'step size γ of the λ update' },
  gammaSigma: { type: 'number', default: 0.5, min: 0, description: 'decay exponent of γ' },
  rho: { type: 'number', default: 0, min: 0, description: 'ℓ₂ regularisation ρ of the λ update' },
};

const TRAITS: AggregatorTraits = {
  ...BASE_TRAITS,
  homogeneity: 0,
  singleTask: 'positive-multiple',
  stateful: true,
};

/**
 * MoCo (Fernando et al., ICLR 2023): tracks each task gradient with a moving average to remove the
 * bias of stochastic MGDA, and moves λ by a softmax-projected step.
 *
 * Update rule (LibMTL, from the authors' code): `ĝ_k = L_k·g_k/(‖g_k‖ + 1e-8)`;
 * `y ← y − (β/t^{σ_β})(y − ĝ)` (y = 0 initially);
 * `λ ← softmax(λ − (γ/t^{σ_γ})(YYᵀ + ρI)λ)` with λ₀ = 1/K; `d = Yᵀλ`.
 *
 * d combines the tracked gradients Y, so no task weights on J are returned (λ is in
 * `diagnostics`). Because ĝ is normalised and scaled by the loss, d is invariant to scaling J
 * (degree 0) and flips with a negative loss.
 *
 * Cost: K backward passes; two K-sized read-backs (‖g_k‖ and the Gramian of Y); K·D floats of
 * state. Stateful. Deterministic.
 * @see Fernando, Shen, Liu, Chaudhury, Murugesan & Chen, "Mitigating Gradient Bias in
 *   Multi-objective Learning: A Provably Convergent Approach", ICLR 2023; LibMTL `MoCo.py`.
 */
export function moco(options: MocoOptions = {}): Aggregator<MocoState> {
  const config = validateOptions('moco', schema, { ...options });
  const beta = config['beta'] as number;
  const bs = config['betaSigma'] as number;
  const gamma = config['gamma'] as number;
  const gs = config['gammaSigma'] as number;
  const rho = config['rho'] as number;
  return {
    id: 'moco',
    traits: TRAITS,
    config,
    init: (spec) => ({
      step: 0,
      y: null,
      lambda: new Float64Array(spec.tasks.length).fill(1 / spec.tasks.length),
    }),
    update(jacobian, state, ctx) {
      const k = assertJacobian('moco', jacobian);
      if (ctx.losses.length !== k)
        throw new ShapeError(`moco: got ${ctx.losses.length} losses for ${k} tasks`);
      const step = state.step + 1;
      const bt = beta / step ** bs;
      const gt = gamma / step ** gs;
      const g = gramian(jacobian);
      const scale = tf.tensor1d(
        Float32Array.from(
          { length: k },
          (_, i) => ctx.losses[i]! / (Math.sqrt(Math.max(g.data[i * k + i]!, 0)) + 1e-8),
        ),
      );
      const y = tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const [name, b] of Object.entries(jacobian.blocks)) {
          const gh = tf.mul(tf.reshape(b, [k, -1]), tf.reshape(scale, [k, 1]));
          const prev = state.y?.[name];
          const yPrev = prev === undefined ? tf.zerosLike(gh) : tf.reshape(prev, [k, -1]);
          out[name] = tf.reshape(tf.sub(yPrev, tf.mul(tf.sub(yPrev, gh), bt)), b.shape);
        }
        return out;
      });
      scale.dispose();
      const yy = gramian({ tasks: jacobian.tasks, blocks: y });
      const l = state.lambda.length === k ? state.lambda : new Float64Array(k).fill(1 / k);
      const z = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        let s = rho * l[i]!;
        for (let j = 0; j < k; j++) s += yy.data[i * k + j]! * l[j]!;
        z[i] = l[i]! - gt * s;
      }
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const es = e.reduce((a, v) => a + v, 0);
      const lambda = e.map((v) => v / es);
      const direction = combine({ tasks: jacobian.tasks, blocks: y }, lambda);
      return {
        direction,
        state: { step, y, lambda },
        gramian: g,
        diagnostics: Object.fromEntries(Array.from(lambda, (v, i) => [`mocoLambda${i}`, v])),
      };
    },
  };
}

export const mocoEntry: RegistryEntry<Aggregator<MocoState>> = {
  id: 'moco',
  kind: 'aggregator',
  displayName: 'MoCo',
  summary:
    'Stochastic MGDA with momentum-tracked, loss-scaled unit gradients and a softmax λ step.',
  reference:
    'Fernando, Shen, Liu, Chaudhury, Murugesan & Chen, "Mitigating Gradient Bias in Multi-objective Learning: A Provably Convergent Approach", ICLR 2023. Matches LibMTL MoCo.py (β = 0.5, γ = 0.1, σ = 0.5, ρ = 0; from the authors\' code).',
  evidence: 'code',
  cost: { backward: 'K', notes: 'K·D floats of tracked gradients; two K×K read-backs' },
  traits: TRAITS,
  options: schema,
  create: (o) => moco(o as MocoOptions),
};
