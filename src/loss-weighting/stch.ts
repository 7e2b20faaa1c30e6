/** STCH: smooth Tchebycheff scalarisation (LibMTL's MTL variant). */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { checkAbove, checkLosses, softmax } from './common.js';

/** Options of {@link stch}. */
export interface StchOptions {
  /** Smoothing μ (default 1). Smaller μ is closer to the max. */
  readonly mu?: number;
  /** Epochs of log-loss warm-up before the Tchebycheff phase (default 4). */
  readonly warmupEpochs?: number;
}

/** State of {@link stch}: the running sum of losses in the last warm-up epoch, then the nadir. */
export interface StchState {
  readonly sum: Float64Array | null;
  readonly count: number;
  readonly nadir: Float64Array | null;
}

const TINY = 1e-20;

const schema: OptionsSchema = {
  mu: {
    type: 'number',
    default: 1,
    min: 0,
    exclusiveMin: true,
    description: 'smoothing parameter μ of the log-sum-exp (smaller is closer to the max)',
  },
  warmupEpochs: {
    type: 'integer',
    default: 4,
    min: 0,
    description:
      'epochs that minimise Σ log L_k; the mean losses of the last warm-up epoch become the nadir point',
  },
};

/**
 * Smooth Tchebycheff scalarisation (STCH), in LibMTL's multi-task form: a smooth max of the
 * normalised log-losses.
 *
 * Update rule (E = `warmupEpochs`, e = `ctx.epoch`):
 * - e ≤ E: the model minimises `Σ_k log(L_k + 1e-20)`, so `w_k = 1/(L_k + 1e-20)`; during epoch E
 *   the losses are averaged into the nadir point `n`.
 * - e > E: `ℓ_k = log(L_k/n_k + 1e-20)`, the model minimises `K·μ·log Σ_k exp(ℓ_k/μ)`, so
 *   `w_k = K·softmax(ℓ/μ)_k / (L_k + 1e-20·n_k)`.
 *
 * Cost: one backward pass. Stateful (nadir point). Deterministic. Evidence: code (LibMTL `STCH.py`,
 * modified from the official Xi-L/STCH code). Requires `L_k > 0`.
 *
 * @remarks torchjd's `STCH` scalarizer is the plain `μ·log Σ exp(λ_k(f_k − z_k)/μ)` without logs,
 * warm-up or the factor K; manytask follows LibMTL (the MTL benchmark setting).
 * @example
 * const m = stch({ warmupEpochs: 0 });
 * // epoch 0 collects the nadir; from epoch 1 the task furthest above its nadir gets most weight
 * @see Lin et al., "Smooth Tchebycheff Scalarization for Multi-Objective Optimization", ICML 2024.
 */
export function stch(options: StchOptions = {}): LossWeighting<StchState> {
  const config = validateOptions('stch', schema, { ...options });
  const mu = config['mu'] as number;
  const warmup = config['warmupEpochs'] as number;
  return {
    id: 'stch',
    config,
    init: () => ({ sum: null, count: 0, nadir: null }),
    weigh(losses, state, ctx) {
      const k = losses.length;
      checkLosses('stch', losses, k, ctx);
      checkAbove('stch', losses, 0, ctx);
      if (ctx.epoch <= warmup && state.nadir === null) {
        const weights = losses.map((l) => 1 / (l + TINY));
        if (ctx.epoch < warmup) return { weights, state };
        const sum = state.sum === null ? new Float64Array(k) : Float64Array.from(state.sum);
        for (let i = 0; i < k; i++) sum[i] = sum[i]! + losses[i]!;
        return { weights, state: { sum, count: state.count + 1, nadir: null } };
      }
      let nadir = state.nadir;
      const warnings: string[] = [];
      if (nadir === null) {
        if (state.sum === null || state.count === 0) {
          // Only reachable when training starts after the warm-up (e.g. a resumed run without
          // state): the current losses are the best available nadir, and we say so.
          nadir = Float64Array.from(losses);
          warnings.push(
            `stch: no losses were collected in warm-up epoch ${warmup}; using the current losses as the nadir point`,
          );
        } else {
          const c = state.count;
          nadir = state.sum.map((s) => s / c);
        }
      }
      const n = nadir;
      const ell = losses.map((l, i) => Math.log(l / n[i]! + TINY));
      const z = softmax(ell, mu);
      return {
        weights: z.map((zi, i) => (k * zi) / (losses[i]! + TINY * n[i]!)),
        state: { sum: null, count: 0, nadir: n },
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}

export const stchEntry: RegistryEntry<LossWeighting<StchState>> = {
  id: 'stch',
  kind: 'loss-weighting',
  displayName: 'STCH',
  summary:
    'Smooth Tchebycheff scalarisation of nadir-normalised log-losses, after a log-loss warm-up.',
  reference:
    'Lin, Zhang, Yang, Zhang & Zhang, "Smooth Tchebycheff Scalarization for Multi-Objective Optimization", ICML 2024. Matches LibMTL STCH.py (mu = 1, warm-up 4 epochs).',
  evidence: 'code',
  cost: { backward: '1' },
  options: schema,
  create: (o) => stch(o as StchOptions),
};
