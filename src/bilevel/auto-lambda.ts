/** Auto-Lambda: task weights learned by a one-step look-ahead (DARTS-style) hypergradient. */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import type { RegistryEntry } from '../registry/types.js';
import { axpy, disposeTree, treeDot } from './tree.js';
import {
  initTaskWeights,
  outerLrSchema,
  softmaxGrad,
  stepTaskWeights,
  taskWeights,
  type TaskWeightState,
} from './task-weights.js';
import type { BilevelMethod } from './types.js';

/** Options of {@link autoLambda}. */
export interface AutoLambdaOptions {
  /** Adam learning rate of the logits (default 1e-3). */
  readonly outerLr?: number;
  /** Finite-difference radius numerator: ε = `fdRadius`/‖g'‖ (default 0.01). */
  readonly fdRadius?: number;
}

const schema: OptionsSchema = {
  ...outerLrSchema,
  fdRadius: {
    type: 'number',
    default: 0.01,
    min: 0,
    exclusiveMin: true,
    description: 'finite-difference radius: ε = fdRadius/‖g′‖ (DARTS / Auto-Lambda use 0.01)',
  },
};

/**
 * Auto-Lambda (Liu, Johns & Davison, TMLR 2022), as ported in LibMTL's trainer (one inner step,
 * every task is both primary and auxiliary).
 *
 * With λ = softmax(ξ) and η the model's learning rate (`oracle.learningRate`):
 * 1. virtual step on the inner batch: `θ' = θ − η∇_θ Σ_k λ_k L_k(θ; inner)`;
 * 2. outer gradient: `g' = ∇_θ' Σ_k L_k(θ'; outer)`;
 * 3. mixed second derivative by central differences around θ, `ε = 0.01/‖g'‖`:
 *    `h = J_softmaxᵀ (L(θ + εg'; inner) − L(θ − εg'; inner))/(2ε)` (≈ `J_softmaxᵀ(∇L_k(θ)·g')_k`);
 * 4. `∇_ξ = −η·h`, one Adam step on ξ (`outerLr`);
 * 5. the trainer's model step minimises `Σ_k softmax(ξ)_k L_k` on the training batch.
 *
 * Extra cost per step: 2 backward passes (inner weighted gradient, outer gradient at θ') and 2
 * extra forward passes (θ ± εg'), on top of the model step; memory: two extra copies of θ. Uses
 * two extra half-size batches per step.
 *
 * Diagnostics: `autoLambdaHypergrad{k}` = ∇_ξ before the Adam step.
 * @see Liu, Johns & Davison, "Auto-Lambda: Disentangling Dynamic Task Relationships", TMLR 2022;
 *   LibMTL `trainer.py` (`bacth_forward_AutoLambda`).
 */
export function autoLambda(options: AutoLambdaOptions = {}): BilevelMethod<TaskWeightState> {
  const config = validateOptions('auto-lambda', schema, { ...options });
  const outerLr = config['outerLr'] as number;
  const radius = config['fdRadius'] as number;
  return {
    id: 'auto-lambda',
    config,
    init: initTaskWeights,
    step(oracle, state) {
      const k = oracle.tasks.length;
      const eta = oracle.learningRate;
      const lambda = taskWeights(state.logits);
      const gInner = oracle.gradient('inner', lambda);
      const virtual = axpy(oracle.params, -eta, gInner);
      disposeTree(gInner);
      const gOuter = oracle.gradient('outer', new Float64Array(k).fill(1), virtual);
      disposeTree(virtual);
      const norm = Math.sqrt(treeDot(gOuter, gOuter));
      const grad = new Float64Array(k);
      const warnings: string[] = [];
      if (norm > 0 && Number.isFinite(norm)) {
        const eps = radius / norm;
        const plus = axpy(oracle.params, eps, gOuter);
        const minus = axpy(oracle.params, -eps, gOuter);
        const lp = oracle.losses('inner', plus);
        const lm = oracle.losses('inner', minus);
        disposeTree(plus);
        disposeTree(minus);
        const h = softmaxGrad(
          state.logits,
          lp.map((v, i) => (v - lm[i]!) / (2 * eps)),
        );
        for (let i = 0; i < k; i++) grad[i] = -eta * h[i]!;
      } else {
        warnings.push('auto-lambda: the outer gradient is zero; the task weights are not updated');
      }
      disposeTree(gOuter);
      const next = norm > 0 ? stepTaskWeights(state, grad, outerLr) : state;
      return {
        state: next,
        weights: taskWeights(next.logits),
        diagnostics: Object.fromEntries(Array.from(grad, (v, i) => [`autoLambdaHypergrad${i}`, v])),
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}

export const autoLambdaEntry: RegistryEntry<BilevelMethod<TaskWeightState>> = {
  id: 'auto-lambda',
  kind: 'bilevel',
  displayName: 'Auto-Lambda',
  summary:
    'Task weights learned by a one-step look-ahead hypergradient (finite-difference second order).',
  reference:
    'Liu, Johns & Davison, "Auto-Lambda: Disentangling Dynamic Task Relationships", TMLR 2022. Matches the LibMTL trainer port (inner_step = 1, ε = 0.01/‖g′‖).',
  evidence: 'code',
  cost: {
    backward: '3',
    notes:
      '2 extra backward + 2 extra forward passes per step on two extra half-size batches, plus the model step; 2 extra copies of θ',
  },
  options: schema,
  create: (o) => autoLambda(o as AutoLambdaOptions),
};
