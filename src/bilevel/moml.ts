/** MOML: multi-objective meta learning of the task weights (MGDA on the hypergradients). */
import { validateOptions, type OptionsSchema } from '../core/options.js';
import { minNormSimplex } from '../linalg/simplex.js';
import { combine } from '../autodiff/gramian.js';
import type { RegistryEntry } from '../registry/types.js';
import { axpy, crossGramian, disposeTree } from './tree.js';
import {
  initTaskWeights,
  outerLrSchema,
  stepTaskWeights,
  taskWeights,
  type TaskWeightState,
} from './task-weights.js';
import type { BilevelMethod } from './types.js';

/** Options of {@link moml}. */
export interface MomlOptions {
  /** Adam learning rate of the logits (default 1e-3). */
  readonly outerLr?: number;
  /** Learning rate of the virtual inner SGD step (default 0.1). */
  readonly innerLr?: number;
}

const schema: OptionsSchema = {
  ...outerLrSchema,
  innerLr: {
    type: 'number',
    default: 0.1,
    min: 0,
    exclusiveMin: true,
    description: 'learning rate η of the virtual inner SGD step',
  },
};

/**
 * MOML (Ye et al., NeurIPS 2021), LibMTL's fast one-inner-step form.
 *
 * With α the logits, `s = softmax(α)`, `S = J_softmax(α)` (K×K) and η = `innerLr`:
 * 1. per-task inner gradients `F = [∇L_k(θ; inner)]` (K×D over every trainable variable);
 * 2. virtual step `θ' = θ − η·Fᵀs`;
 * 3. per-task outer gradients at θ', `Φ = [∇L_t(θ'; outer)]`;
 * 4. one hypergradient per upper-level objective: `M_t = −η·(Φ_t·Fᵀ)·S` (row t of `−η·ΦFᵀS`);
 * 5. MGDA over the rows (l2-normalised, LibMTL's `'l2'`): `∇_α = Σ_t μ_t M̂_t` with μ the
 *    min-norm point of the simplex (exact active-set solver); one Adam step on α;
 * 6. the model step minimises `Σ_k softmax(α)_k L_k` on the training batch.
 *
 * Extra cost per step: 2K backward passes (F at θ, Φ at θ') and one K×K cross-Gram read-back, on
 * top of the model step; memory: two K×D Jacobians and a copy of θ. Two extra half-size batches.
 *
 * Diagnostics: `momlHypergrad{k}` = ∇_α before the Adam step.
 * @see Ye, Lin, Zhang, et al., "Multi-Objective Meta Learning", NeurIPS 2021 (AIJ 2024); LibMTL
 *   `trainer.py` (`bacth_forward_MOML`).
 */
export function moml(options: MomlOptions = {}): BilevelMethod<TaskWeightState> {
  const config = validateOptions('moml', schema, { ...options });
  const outerLr = config['outerLr'] as number;
  const eta = config['innerLr'] as number;
  return {
    id: 'moml',
    config,
    init: initTaskWeights,
    step(oracle, state) {
      const k = oracle.tasks.length;
      const s = taskWeights(state.logits);
      const f = oracle.jacobian('inner');
      const step = combine(f, s);
      const virtual = axpy(oracle.params, -eta, step);
      disposeTree(step);
      const phi = oracle.jacobian('outer', virtual);
      disposeTree(virtual);
      const c = crossGramian(phi.blocks, f.blocks, k); // c[t, j] = Φ_t·F_j
      disposeTree(f.blocks);
      disposeTree(phi.blocks);
      // S = diag(s) − s sᵀ; M = −η·C·S, rows normalised to unit length.
      const m = new Float64Array(k * k);
      for (let t = 0; t < k; t++) {
        let norm = 0;
        for (let j = 0; j < k; j++) {
          let v = 0;
          for (let i = 0; i < k; i++) v += c[t * k + i]! * ((i === j ? s[i]! : 0) - s[i]! * s[j]!);
          m[t * k + j] = -eta * v;
          norm += m[t * k + j]! ** 2;
        }
        norm = Math.sqrt(norm);
        for (let j = 0; j < k; j++) m[t * k + j] = norm > 0 ? m[t * k + j]! / norm : 0;
      }
      const gram = new Float64Array(k * k);
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          let v = 0;
          for (let j = 0; j < k; j++) v += m[a * k + j]! * m[b * k + j]!;
          gram[a * k + b] = v;
        }
      const mu = minNormSimplex(gram, k).weights;
      const grad = new Float64Array(k);
      for (let t = 0; t < k; t++)
        for (let j = 0; j < k; j++) grad[j] = grad[j]! + mu[t]! * m[t * k + j]!;
      const next = stepTaskWeights(state, grad, outerLr);
      return {
        state: next,
        weights: taskWeights(next.logits),
        diagnostics: Object.fromEntries(Array.from(grad, (v, i) => [`momlHypergrad${i}`, v])),
      };
    },
  };
}

export const momlEntry: RegistryEntry<BilevelMethod<TaskWeightState>> = {
  id: 'moml',
  kind: 'bilevel',
  displayName: 'MOML',
  summary: 'Multi-objective meta learning: MGDA over per-task hypergradients of the task weights.',
  reference:
    'Ye, Lin, Zhang et al., "Multi-Objective Meta Learning", NeurIPS 2021 (AIJ 2024). Matches the LibMTL trainer port (inner_step = 1, l2-normalised MGDA; inner_lr 0.1, outer_lr 1e-3).',
  evidence: 'code',
  cost: {
    backward: '2K+1',
    notes:
      '2K extra backward passes per step (inner Jacobian at θ, outer Jacobian at θ′) on two extra half-size batches, plus the model step; two K×D Jacobians in memory',
  },
  options: schema,
  create: (o) => moml(o as MomlOptions),
};
