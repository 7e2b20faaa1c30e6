/** The learnable task-weight logits shared by the bi-level methods (LibMTL's `TW` module). */
import type { OptionsSchema } from '../core/options.js';
import { hostOptimizerInit, hostStep, type HostOptimizerState } from '../linalg/host-optimizer.js';

/** Logits ξ (weights `softmax(ξ)`, initialised uniform) and their Adam state. */
export interface TaskWeightState {
  readonly logits: Float64Array;
  readonly opt: HostOptimizerState;
}

/** Uniform start (LibMTL initialises the logits to the constant 1/K). */
export function initTaskWeights(k: number): TaskWeightState {
  return { logits: new Float64Array(k).fill(1 / k), opt: hostOptimizerInit(k) };
}

/** `softmax(ξ)`. */
export function taskWeights(logits: Float64Array): Float64Array {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}

/** `J_softmax(ξ)ᵀ·v = z ⊙ (v − ⟨z, v⟩)`: the gradient in ξ of `Σ_k softmax(ξ)_k v_k`. */
export function softmaxGrad(logits: Float64Array, v: ArrayLike<number>): Float64Array {
  const z = taskWeights(logits);
  let zv = 0;
  for (let i = 0; i < z.length; i++) zv += z[i]! * v[i]!;
  return z.map((zi, i) => zi * (v[i]! - zv));
}

/** One Adam step on the logits along `grad` (LibMTL's `tw_optimizer`). */
export function stepTaskWeights(
  state: TaskWeightState,
  grad: Float64Array,
  lr: number,
): TaskWeightState {
  const r = hostStep(state.logits, grad, state.opt, { kind: 'adam', lr });
  return { logits: r.params, opt: r.state };
}

/** The `outerLr` option. */
export const outerLrSchema: OptionsSchema = {
  outerLr: {
    type: 'number',
    default: 1e-3,
    min: 0,
    exclusiveMin: true,
    description: 'Adam learning rate of the task-weight logits (the upper level)',
  },
};
