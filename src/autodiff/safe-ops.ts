/**
 * Second-order-correct versions of the TF.js ops whose gradient-of-gradient is silently wrong.
 *
 * Why: TF.js registers the gradients of `Sigmoid`, `Tanh`, `Exp`, `Softmax` and `LogSoftmax` in
 * terms of the op's *saved output* y (e.g. `dy·y·(1−y)` for the sigmoid). When that gradient is
 * itself differentiated (`tf.grad` of a function of gradients), the saved output is a constant on
 * the tape, so the term `∂y/∂x` inside the first derivative is dropped and second-order results
 * are wrong (ARCHITECTURE §3.1, upstream tensorflow/tfjs#3252; for `exp` exactly half the true
 * value). Each op here is a `tf.customGrad` whose gradient *recomputes from the saved input*
 * with these same safe ops, so derivatives of every order are correct.
 *
 * Cost: the backward pass recomputes one element-wise op (or one softmax) per call; first-order
 * values and gradients equal the stock ops' to float32 rounding.
 *
 * Use them on every path that a second-order method (orthogonal-gradient regulariser, CoGrad
 * `'hvp'`, Hessian-vector products) differentiates twice. `src/train/losses.ts` uses them, so the
 * task losses are always second-order-safe.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A unary op whose gradient `grad(dy, x)` is computed from the saved *input*: because `grad` is
 * written with the safe ops themselves, it is differentiable again, to any order.
 */
function safeUnary(
  value: (x: tf.Tensor) => tf.Tensor,
  grad: (dy: tf.Tensor, x: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    return {
      value: value(x),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grad(dy, saved[0]!),
    };
  });
  return (x) => op(x);
}

/** Logistic sigmoid σ(x) = 1/(1+e^{−x}); gradient `dy·σ(x)(1−σ(x))` recomputed from x. */
export const sigmoid = safeUnary(tf.sigmoid, (dy, x) => {
  const s = sigmoid(x);
  return tf.mul(dy, tf.mul(s, tf.sub(1, s)));
});

/** Hyperbolic tangent; gradient `dy·(1 − tanh²(x))` recomputed from x. */
export const tanh = safeUnary(tf.tanh, (dy, x) => tf.mul(dy, tf.sub(1, tf.square(tanh(x)))));

/** eˣ; gradient `dy·eˣ` recomputed from x. */
export const exp = safeUnary(tf.exp, (dy, x) => tf.mul(dy, exp(x)));

/**
 * Log-softmax over the last axis (`x − logΣexp(x)`, stable). Gradient `dy − softmax(x)·Σdy` with
 * the softmax recomputed from x.
 */
export const logSoftmax = safeUnary(
  (x) => tf.logSoftmax(x),
  (dy, x) => tf.sub(dy, tf.mul(softmax(x), tf.sum(dy, -1, true))),
);

/**
 * Softmax over the last axis. Gradient `p ⊙ (dy − Σ p ⊙ dy)` with p = exp(logSoftmax(x))
 * recomputed from x through the safe ops.
 */
export const softmax = safeUnary(
  (x) => tf.softmax(x),
  (dy, x) => {
    const p = exp(logSoftmax(x));
    return tf.mul(p, tf.sub(dy, tf.sum(tf.mul(p, dy), -1, true)));
  },
);

/**
 * Numerically stable softplus log(1+eˣ) = max(x,0) + log1p(e^{−|x|}), built from ops whose
 * registered gradients are second-order-correct (relu, abs, log1p) and the safe {@link exp}.
 */
export function softplus(x: tf.Tensor): tf.Tensor {
  return tf.add(tf.relu(x), tf.log1p(exp(tf.neg(tf.abs(x)))));
}
