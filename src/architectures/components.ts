/**
 * Mixture-of-experts building blocks: layers of C parallel components with identical shapes,
 * softmax gates, and weighted mixtures. MMoE, CGC/PLE and DSelect-k use them for their experts;
 * routed architectures (Gumbel-Matrix: one {@link ComponentLayer} per routed layer, mixed with
 * per-task allocation weights) use the same pieces.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import { dense, mlp, type Block } from './layers.js';
import type { ActivationName, NonlinearOps } from './ops.js';
import type { ParamScope } from './params.js';

/** C components with identical input and output shapes (experts, routed components). */
export interface ComponentLayer {
  readonly components: readonly Block[];
  /** Output shape of one component, without the batch axis. */
  readonly outShape: readonly number[];
  readonly variables: readonly tf.Variable[];
  /** Runs every component: `[B, ...in]` → `[B, C, ...out]`. */
  applyAll(x: tf.Tensor): tf.Tensor;
}

/**
 * Creates `count` components, the i-th in scope `<prefix><i>` built by `make`.
 *
 * @throws {ShapeError} If the components disagree on their output shape.
 */
export function componentLayer(
  scope: ParamScope,
  count: number,
  make: (scope: ParamScope, index: number) => Block,
  prefix = 'expert',
): ComponentLayer {
  const components = Array.from({ length: count }, (_, i) => make(scope.child(`${prefix}${i}`), i));
  const outShape = components[0]?.outShape ?? [];
  for (const [i, c] of components.entries()) {
    if (c.outShape.join(',') !== outShape.join(',')) {
      throw new ShapeError(
        `componentLayer: ${scope.path}/${prefix}${i} outputs [${c.outShape.join(', ')}] but ${prefix}0 outputs [${outShape.join(', ')}]; components must share one shape`,
      );
    }
  }
  return {
    components,
    outShape,
    variables: components.flatMap((c) => c.variables),
    applyAll: (x) =>
      tf.stack(
        components.map((c) => c.apply(x)),
        1,
      ),
  };
}

/** `count` MLP experts `inDim → hidden` (each ends with `activation`, as in MMoE). */
export function mlpExperts(
  scope: ParamScope,
  count: number,
  inDim: number,
  hidden: readonly number[],
  ops: NonlinearOps,
  activation: ActivationName,
  prefix = 'expert',
): ComponentLayer {
  return componentLayer(scope, count, (s) => mlp(s, inDim, hidden, ops, activation), prefix);
}

/**
 * Weighted sum of stacked component outputs: `Σ_c w_c · out_c`.
 *
 * @param stacked - `[B, C, ...]` (from {@link ComponentLayer.applyAll} or a concatenation).
 * @param weights - `[B, C]` per-example weights, or `[C]` weights shared by the batch.
 * @returns `[B, ...]`.
 */
export function mixComponents(stacked: tf.Tensor, weights: tf.Tensor): tf.Tensor {
  const c = stacked.shape[1] as number;
  const trailing = stacked.rank - 2;
  if (weights.shape[weights.rank - 1] !== c || weights.rank > 2) {
    throw new ShapeError(
      `mixComponents: weights [${weights.shape.join(', ')}] do not match ${c} components; pass [B, ${c}] or [${c}]`,
    );
  }
  const lead = weights.rank === 1 ? [1, c] : [weights.shape[0] as number, c];
  const w = tf.reshape(weights, [...lead, ...Array<number>(trailing).fill(1)]);
  return tf.sum(tf.mul(stacked, w), 1);
}

/** A softmax gate `g(x) = softmax(x·W + b) ∈ Δ^E` (Ma et al. 2018, Eq. 4). */
export interface SoftmaxGate {
  readonly variables: readonly tf.Variable[];
  readonly numExperts: number;
  /** `[B, inDim]` → `[B, E]` weights on the simplex. */
  apply(x: tf.Tensor): tf.Tensor;
}

/**
 * Creates a softmax gate (`W` Glorot uniform, `b` zero) over `numExperts` experts. The softmax
 * goes through `ops`, so it is second-order correct when the model asks for it.
 */
export function softmaxGate(
  scope: ParamScope,
  inDim: number,
  numExperts: number,
  ops: NonlinearOps,
): SoftmaxGate {
  const logits = dense(scope, inDim, numExperts, ops);
  return {
    variables: logits.variables,
    numExperts,
    apply: (x) => ops.softmax(logits.apply(x)),
  };
}

/**
 * Expert utilisation from gate weights: the mean weight each expert receives over the batch
 * and the given gates, `u_e = mean_{gates, rows} w_e` (sums to 1 when every gate is a softmax).
 */
export function utilisation(weights: readonly tf.Tensor[]): tf.Tensor1D {
  return tf.tidy(() => {
    const means = weights.map((w) => (w.rank === 1 ? w : tf.mean(w, 0)));
    return tf.mean(tf.stack(means), 0) as tf.Tensor1D;
  });
}
