/** FAMO: fast adaptive multitask optimisation. */
import { ConfigError } from '../core/errors.js';
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { LossWeighting } from '../core/types.js';
import type { RegistryEntry } from '../registry/types.js';
import { checkAbove, checkLosses, perTaskVector, softmax, softmaxVjp } from './common.js';
import { hostOptimizerInit, hostStep, type HostOptimizerState } from '../linalg/host-optimizer.js';

/** Options of {@link famo}. */
export interface FamoOptions {
  /** Adam learning rate of the logits (default 0.025). */
  readonly lr?: number;
  /** Adam L2 weight decay γ of the logits (default 1e-3; the toy problem uses 0). */
  readonly weightDecay?: number;
  /** Per-task lower bounds `L^min` (default 0); losses must stay above them. */
  readonly minLosses?: readonly number[];
}

/** State of {@link famo}. */
export interface FamoState {
  /** Logits ξ; the task weights are `z = softmax(ξ)`. */
  readonly logits: Float64Array;
  readonly opt: HostOptimizerState;
  /** Losses of the current step, kept for `afterStep` (null once consumed). */
  readonly before: Float64Array | null;
}

const EPS = 1e-8;

const schema: OptionsSchema = {
  lr: {
    type: 'number',
    default: 0.025,
    min: 0,
    exclusiveMin: true,
    description: 'Adam learning rate of the task logits',
  },
  weightDecay: {
    type: 'number',
    default: 1e-3,
    min: 0,
    description: 'L2 weight decay γ of the logits (Adam weight_decay)',
  },
  minLosses: {
    type: 'number[]',
    description: 'per-task lower bounds L^min (default 0); each loss must stay above its bound',
  },
};

/**
 * FAMO: decreases every task loss at about the same rate using only loss values (no per-task
 * gradients).
 *
 * Update rule. With logits ξ (initialised to 0), `z = softmax(ξ)` and `ℓ_k = L_k − L_k^min + 1e-8`,
 * the model minimises `Σ_k z_k log ℓ_k / c` with `c = Σ_k z_k/ℓ_k` held constant, so
 * `w_k = z_k/(c·ℓ_k)` (the weights sum to 1). After the model step, `afterStep` receives the
 * losses `ℓ'` recomputed on the same batch: `δ_k = log ℓ_k − log ℓ'_k`,
 * `∇_ξ = J_softmax(ξ)ᵀ δ = z ⊙ (δ − ⟨z, δ⟩)`, and ξ takes one Adam step (lr 0.025, L2 decay γ =
 * 1e-3, β = (0.9, 0.999), ε = 1e-8, as PyTorch's Adam).
 *
 * Cost: one backward pass plus one extra forward pass (`needsLossesAfterStep`); O(K) host work.
 * Stateful. Deterministic. Evidence: code (LibMTL `FAMO.py`, Cranial-XIX/FAMO).
 *
 * @throws {NumericalError} From `weigh`/`afterStep` when a loss is not above its `minLosses` bound.
 * @example
 * const m = famo();
 * const r = m.weigh(new Float64Array([1, 4]), m.init(2), ctx); // w = [0.8, 0.2]
 * const s = m.afterStep!(new Float64Array([0.5, 3]), r.state, ctx); // task 1 fell faster → ξ₁ ↓
 * @see Liu, Liu, Stone & Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023.
 */
export function famo(options: FamoOptions = {}): LossWeighting<FamoState> {
  const config = validateOptions('famo', schema, { ...options });
  const lr = config['lr'] as number;
  const weightDecay = config['weightDecay'] as number;
  const minOpt = config['minLosses'] as readonly number[] | undefined;
  const shifted = (losses: Float64Array, min: Float64Array): Float64Array =>
    losses.map((l, i) => l - min[i]! + EPS);
  return {
    id: 'famo',
    config,
    needsLossesAfterStep: true,
    init: (k) => {
      perTaskVector('famo', 'minLosses', minOpt, k, 0);
      return { logits: new Float64Array(k), opt: hostOptimizerInit(k), before: null };
    },
    weigh(losses, state, ctx) {
      const k = state.logits.length;
      checkLosses('famo', losses, k, ctx);
      const min = perTaskVector('famo', 'minLosses', minOpt, k, 0);
      checkAbove('famo', losses, min, ctx);
      const z = softmax(state.logits);
      const ell = shifted(losses, min);
      let c = 0;
      for (let i = 0; i < k; i++) c += z[i]! / ell[i]!;
      return {
        weights: z.map((zi, i) => zi / (c * ell[i]!)),
        state: { ...state, before: Float64Array.from(losses) },
      };
    },
    afterStep(lossesAfter, state, ctx) {
      const k = state.logits.length;
      if (state.before === null) {
        throw new ConfigError(
          'famo.afterStep: no losses stored for this step; call weigh() on the batch before afterStep()',
        );
      }
      checkLosses('famo.afterStep', lossesAfter, k, ctx);
      const min = perTaskVector('famo', 'minLosses', minOpt, k, 0);
      checkAbove('famo.afterStep', lossesAfter, min, ctx);
      const before = shifted(state.before, min);
      const after = shifted(lossesAfter, min);
      const delta = before.map((b, i) => Math.log(b) - Math.log(after[i]!));
      const grad = softmaxVjp(softmax(state.logits), delta);
      const next = hostStep(state.logits, grad, state.opt, { kind: 'adam', lr, weightDecay });
      return { logits: next.params, opt: next.state, before: null };
    },
  };
}

export const famoEntry: RegistryEntry<LossWeighting<FamoState>> = {
  id: 'famo',
  kind: 'loss-weighting',
  displayName: 'FAMO',
  summary:
    'Fast adaptive multitask optimisation: balances loss decrease rates from loss values only.',
  reference:
    'Liu, Liu, Stone & Liu, "FAMO: Fast Adaptive Multitask Optimization", NeurIPS 2023. Matches LibMTL FAMO.py and Cranial-XIX/FAMO (Adam lr 0.025, weight decay 1e-3).',
  evidence: 'code',
  cost: { backward: '1', notes: 'plus one extra forward pass after the step (afterStep)' },
  options: schema,
  create: (o) => famo(o as FamoOptions),
};
