/**
 * Differentiating functions of gradients: the building blocks of second-order regularisers
 * (orthogonal-gradient penalty, ALGORITHMS §5) and Hessian-vector products (CoGrad `'hvp'`).
 *
 * TF.js computes higher-order derivatives by recording the backward ops of an inner gradient on
 * the tape of an enclosing gradient scope. That is only correct if every op on the path has a
 * second-order-correct gradient: use `./safe-ops.js` for sigmoid, tanh, exp, softmax and
 * logSoftmax (ARCHITECTURE §3.1). Every helper here is checked against finite differences in
 * `higher-order.test.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { MtlError } from '../core/errors.js';
import { backprop, engineInternals } from './tape.js';

/**
 * Gradient of an already computed scalar `y` with respect to `xs`, **with its graph kept**: the
 * returned tensors are themselves differentiable by the enclosing gradient scope (the forward
 * that produced `y` is not re-run; the path is read from the active tape).
 *
 * Must be called inside a gradient scope (`tf.grad`, `tf.variableGrads`, or the engine's recorded
 * forward with a second-order regulariser); outside one the result could not be differentiated
 * and an error is thrown. Entries are null when `y` does not depend on that x. The xs are leaves:
 * for an x computed from another x, each gets its partial derivative.
 *
 * Cost: one backward pass, recorded (so the outer backward later pays ≈ 2× for it).
 */
export function gradKeepGraph(y: tf.Tensor, xs: readonly tf.Tensor[]): (tf.Tensor | null)[] {
  const e = engineInternals('gradKeepGraph');
  if (e.state.gradientDepth === 0) {
    throw new MtlError(
      'config',
      'gradKeepGraph: called outside a gradient scope, so the returned gradient could not be differentiated; ' +
        'call it inside tf.grad/tf.variableGrads (or gradOfGradFunction), or use tf.grads for a plain gradient',
    );
  }
  return backprop('gradKeepGraph', e.state.activeTape ?? [], [{ y, dy: 1 }], xs);
}

/** Result of {@link gradOfGradFunction}. */
export interface GradOfGradResult {
  /** `outer(∇_θ f(θ))` (owned by the caller). */
  readonly value: tf.Scalar;
  /** `∇_θ outer(∇_θ f(θ))`, one per variable, zeros where independent (owned by the caller). */
  readonly grads: tf.Tensor[];
}

/**
 * `∇_θ outer(∇_θ f(θ))`: the gradient of a function of the gradient (double backward).
 *
 * Math: with g(θ) = ∇_θ f(θ), returns ∇_θ outer(g(θ)) = H_f(θ) · ∇_g outer. Cost: one forward of
 * f, one recorded backward, one backward through both (≈ 3–4 backward-equivalents).
 *
 * @param f - scalar objective of the variables (must use second-order-safe ops).
 * @param vars - the variables θ (trainable).
 * @param outer - scalar function of the per-variable gradients (same order as `vars`; zeros
 *   where f does not depend on a variable).
 */
export function gradOfGradFunction(
  f: () => tf.Scalar,
  vars: readonly tf.Variable[],
  outer: (grads: readonly tf.Tensor[]) => tf.Scalar,
): GradOfGradResult {
  const { value, grads } = tf.variableGrads(() => {
    const y = f();
    const g = gradKeepGraph(y, vars).map((t, i) => t ?? tf.zerosLike(vars[i]!));
    return outer(g);
  }, [...vars]);
  return { value, grads: vars.map((v) => grads[v.name] ?? tf.zerosLike(v)) };
}

/**
 * Hessian-vector product `H_f(θ)·v = ∇_θ ⟨∇_θ f(θ), v⟩` (Pearlmutter's trick by double backward).
 *
 * Cost: ≈ 3–4 backward-equivalents, no K×D or D×D matrix. `v` has one tensor per variable, same
 * shapes; it is treated as a constant.
 */
export function hessianVectorProduct(
  f: () => tf.Scalar,
  vars: readonly tf.Variable[],
  v: readonly tf.Tensor[],
): tf.Tensor[] {
  if (v.length !== vars.length) {
    throw new MtlError(
      'shape',
      `hessianVectorProduct: got ${v.length} direction tensors for ${vars.length} variables; pass one per variable`,
    );
  }
  const { value, grads } = gradOfGradFunction(
    f,
    vars,
    (g) => tf.addN(g.map((gi, i) => tf.sum(tf.mul(gi, v[i]!)))) as tf.Scalar,
  );
  value.dispose();
  return grads;
}
