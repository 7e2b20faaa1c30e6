/** GradNorm weighting: learned loss scales that equalise gradient norms. Host math only. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Weighting } from '../core/types.js';
import {
  hostOptimizerInit,
  hostOptimizerSchema,
  hostStep,
  type HostOptimizerKind,
  type HostOptimizerState,
} from '../linalg/host-optimizer.js';

/** Options of {@link gradnormWeighting}. */
export interface GradnormOptions {
  /** Restoring-force exponent α (default 1.5). */
  readonly alpha?: number;
  /** Learning rate of the weight logits (default 1e-3). */
  readonly lr?: number;
  /** Host optimiser of the logits (default `'adam'`). */
  readonly optimizer?: 'adam' | 'sgd';
}

/** State of {@link gradnormWeighting}. */
export interface GradnormState {
  /** Logits ξ; the weights are `w = K·softmax(ξ)`. */
  readonly logits: Float64Array;
  readonly opt: HostOptimizerState;
  /** Running sum and count of the epoch-0 losses (until `initial` is set). */
  readonly sum: Float64Array | null;
  readonly count: number;
  /** Reference losses L(0): the epoch-0 mean training losses. */
  readonly initial: Float64Array | null;
}

/** Option schema of GradNorm. */
export const gradnormSchema: OptionsSchema = {
  alpha: {
    type: 'number',
    default: 1.5,
    min: 0,
    description: 'restoring-force exponent α pulling tasks back to a common training rate',
  },
  ...hostOptimizerSchema(1e-3),
};

/**
 * GradNorm: learns task weights so that the weighted gradient norms `w_k‖g_k‖` track a common
 * target scaled by each task's relative inverse training rate.
 *
 * Update rule (LibMTL conventions). Epoch 0: `w = 1` (EW) while the epoch-0 mean losses `L(0)`
 * are collected from `ctx.losses`. From epoch 1: `w = K·softmax(ξ)` (ξ initialised to 1);
 * `n_k = √G_kk` (only the Gramian's diagonal is read); `G_k = w_k n_k`; `Ḡ = mean_k G_k`;
 * `L̃_k = L_k/L_k(0)`, `r_k = L̃_k/mean_j L̃_j`; `L_grad = Σ_k |G_k − stopgrad(Ḡ r_k^α)|`; the step
 * uses the current w, then ξ takes one host-optimiser step along
 * `∂L_grad/∂ξ = J_{K·softmax}(ξ)ᵀ (sign(G_k − Ḡ r_k^α)·n_k)_k`.
 *
 * Which norms: the engine's Gramian gives the full shared-parameter norms (LibMTL's choice); the
 * `gradnorm` aggregator's `normsFrom: 'last-block'` feeds the norms of the last shared block (the
 * paper's cheaper choice).
 *
 * Properties: stateful; permutation-invariant; K = 1 gives w = 1. Cost: reads diag(G); O(K) host.
 * @see Chen, Badrinarayanan, Lee & Rabinovich, "GradNorm: Gradient Normalization for Adaptive
 *   Loss Balancing in Deep Multitask Networks", ICML 2018; LibMTL `GradNorm.py`.
 */
export function gradnormWeighting(options: GradnormOptions = {}): Weighting<GradnormState> & {
  readonly config: Readonly<Record<string, unknown>>;
} {
  const config = validateOptions('gradnorm', gradnormSchema, { ...options });
  const alpha = config['alpha'] as number;
  const lr = config['lr'] as number;
  const kind = config['optimizer'] as HostOptimizerKind;
  return {
    id: 'gradnorm',
    config,
    init: (k) => ({
      logits: new Float64Array(k).fill(1),
      opt: hostOptimizerInit(k),
      sum: null,
      count: 0,
      initial: null,
    }),
    weigh(gramian, state, ctx) {
      const k = gramian.k;
      const losses = ctx.losses;
      if (ctx.epoch === 0 && state.initial === null) {
        const sum = state.sum === null ? new Float64Array(k) : Float64Array.from(state.sum);
        for (let i = 0; i < k; i++) sum[i] = sum[i]! + losses[i]!;
        return {
          weights: new Float64Array(k).fill(1),
          state: { ...state, sum, count: state.count + 1 },
        };
      }
      const warnings: string[] = [];
      let initial = state.initial;
      if (initial === null) {
        if (state.sum === null || state.count === 0) {
          initial = Float64Array.from(losses);
          warnings.push(
            'gradnorm: no epoch-0 losses were collected; using the current losses as L(0)',
          );
        } else {
          const c = state.count;
          initial = state.sum.map((v) => v / c);
        }
      }
      let m = -Infinity;
      for (const v of state.logits) m = Math.max(m, v);
      const z = state.logits.map((v) => Math.exp(v - m));
      const zs = z.reduce((a, v) => a + v, 0);
      for (let i = 0; i < k; i++) z[i] = z[i]! / zs;
      const w = z.map((v) => k * v);
      const n = new Float64Array(k);
      const gk = new Float64Array(k);
      let gbar = 0;
      let lbar = 0;
      const lt = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        n[i] = Math.sqrt(Math.max(gramian.data[i * k + i]!, 0));
        gk[i] = w[i]! * n[i]!;
        gbar += gk[i]! / k;
        lt[i] = losses[i]! / initial[i]!;
        lbar += lt[i]! / k;
      }
      let lgrad = 0;
      const dw = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        const target = gbar * (lt[i]! / lbar) ** alpha;
        lgrad += Math.abs(gk[i]! - target);
        dw[i] = Math.sign(gk[i]! - target) * n[i]!;
      }
      // ∂w_j/∂ξ_m = K·z_j(δ_jm − z_m): the softmax VJP scaled by K.
      let zd = 0;
      for (let i = 0; i < k; i++) zd += z[i]! * dw[i]!;
      const grad = z.map((zi, i) => k * zi * (dw[i]! - zd));
      const next = hostStep(state.logits, grad, state.opt, { kind, lr });
      return {
        weights: w,
        state: { logits: next.params, opt: next.state, sum: null, count: 0, initial },
        diagnostics: { gradnormLoss: lgrad },
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}
