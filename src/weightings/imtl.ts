/** IMTL: IMTL-L loss scales and IMTL-G gradient balance together. Host math only. */
import { NumericalError, ShapeError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { Gramian, Weighting } from '../core/types.js';
import {
  hostOptimizerInit,
  hostOptimizerSchema,
  hostStep,
  type HostOptimizerKind,
  type HostOptimizerState,
} from '../linalg/host-optimizer.js';
import { imtlGWeighting } from './imtl-g.js';

/** Options of {@link imtlWeighting}. */
export interface ImtlOptions {
  /** Learning rate of the loss scales s (default 1e-3). */
  readonly lr?: number;
  /** Host optimiser of s (default `'adam'`). */
  readonly optimizer?: 'adam' | 'sgd';
}

/** State: the log-scales s and their optimiser state. */
export interface ImtlState {
  readonly s: Float64Array;
  readonly opt: HostOptimizerState;
}

/** Option schema of IMTL. */
export const imtlSchema: OptionsSchema = hostOptimizerSchema(1e-3);

/**
 * IMTL (LibMTL's combination of IMTL-L and IMTL-G).
 *
 * Update rule: the task losses are replaced by `e^{s_k} L_k − s_k` (s₀ = 0), whose gradients are
 * `e^{s_k} g_k`, i.e. the Gramian `G' = SGS` with `S = diag(e^s)`; IMTL-G's weights `w'` on G'
 * (equal projections onto the unit scaled gradients) give `d = Σ_k w'_k e^{s_k} g_k`, so the
 * reported weights are `w_k = w'_k e^{s_k}`. Then s takes one host-optimiser step along
 * `∂/∂s_k (e^{s_k}L_k − s_k) = e^{s_k}L_k − 1` (LibMTL back-propagates every scaled loss into s,
 * unweighted). Reads `ctx.losses`.
 *
 * Properties: stateful; permutation-invariant; weights invariant to scaling J (d degree 1);
 * K = 1 gives `d = e^{s}g`. Cost: K backward passes; O(K³) host (IMTL-G's pseudo-inverse).
 *
 * @remarks LibMTL trains s with the model's optimiser; manytask uses its own host optimiser
 * (`lr`). The task heads see `e^{s_k}·∇L_k` in LibMTL; scaling head gradients is up to the trainer.
 * @see Liu et al., "Towards Impartial Multi-task Learning", ICLR 2021; LibMTL `IMTL.py`.
 */
export function imtlWeighting(options: ImtlOptions = {}): Weighting<ImtlState> & {
  readonly config: Readonly<Record<string, unknown>>;
} {
  const config = validateOptions('imtl', imtlSchema, { ...options });
  const lr = config['lr'] as number;
  const kind = config['optimizer'] as HostOptimizerKind;
  const inner = imtlGWeighting();
  return {
    id: 'imtl',
    config,
    init: (k) => ({ s: new Float64Array(k), opt: hostOptimizerInit(k) }),
    weigh(gramian, state, ctx) {
      const k = gramian.k;
      if (ctx.losses.length !== k || state.s.length !== k) {
        throw new ShapeError(
          `imtl: got ${ctx.losses.length} losses and ${state.s.length} scales for ${k} tasks; call init(${k})`,
        );
      }
      for (let i = 0; i < k; i++) {
        if (!Number.isFinite(ctx.losses[i]!)) {
          throw new NumericalError(`imtl: loss of task ${ctx.tasks[i] ?? i} is ${ctx.losses[i]}`, {
            task: ctx.tasks[i] ?? String(i),
            step: ctx.step,
          });
        }
      }
      const e = state.s.map(Math.exp);
      const scaled: Gramian = {
        k,
        data: gramian.data.map((v, idx) => v * e[Math.floor(idx / k)]! * e[idx % k]!),
      };
      const r = inner.weigh(scaled, {}, ctx);
      const grad = e.map((ei, i) => ei * ctx.losses[i]! - 1);
      const next = hostStep(state.s, grad, state.opt, { kind, lr });
      return {
        weights: r.weights.map((w, i) => w * e[i]!),
        state: { s: next.params, opt: next.state },
        ...(r.warnings !== undefined ? { warnings: r.warnings } : {}),
      };
    },
  };
}
