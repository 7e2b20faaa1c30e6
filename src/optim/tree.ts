/** Parameter-tree helpers shared by the optimiser transforms. */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import type { ParamTree } from '../core/types.js';

/** A mutable tree of tensors keyed by parameter name. */
export type Slots = Record<string, tf.Tensor>;

/** `fill` everywhere, with the shapes of `params` (owned by the caller). */
export function filledLike(params: ParamTree, fill: number): Slots {
  return tf.tidy(() => {
    const out: Slots = {};
    for (const [k, p] of Object.entries(params)) out[k] = tf.fill(p.shape, fill, 'float32');
    return out;
  });
}

/**
 * The exponential moving average `prev·decay + x·(1 − decay)` behind Adam's moments and RMSProp's
 * mean square (call inside the caller's tidy).
 */
export function movingAverage(prev: tf.Tensor, x: tf.Tensor, decay: number): tf.Tensor {
  return tf.add(tf.mul(prev, decay), tf.mul(x, 1 - decay));
}

/** `sqrt(Σ ‖t‖²)` over every tensor of the tree (a device scalar owned by the caller). */
export function globalNorm(tree: ParamTree): tf.Scalar {
  return tf.tidy(() => {
    const parts = Object.values(tree).map((t) => tf.sum(tf.square(t)));
    return tf.sqrt(parts.length === 0 ? tf.scalar(0) : tf.addN(parts)) as tf.Scalar;
  });
}

/**
 * Runs an element-wise optimiser rule on every key of `grads`.
 *
 * `slots` are the state tensors per slot name (e.g. `m`, `v`), keyed by parameter. For each
 * gradient key, `rule` maps the gradient and its slot tensors to the update and the new slot
 * tensors. Slots of keys absent from `grads` are carried over unchanged (same tensors), so the
 * step that owns the state must dispose only the replaced ones (`disposeReplaced`).
 *
 * @throws {ShapeError} When a gradient has no slot (the state was initialised for other
 *   parameters) or a different shape.
 */
export function elementwise<N extends string>(
  owner: string,
  grads: ParamTree,
  slots: Readonly<Record<N, Readonly<Slots>>>,
  rule: (
    g: tf.Tensor,
    s: Readonly<Record<N, tf.Tensor>>,
  ) => {
    update: tf.Tensor;
    slots: Record<N, tf.Tensor>;
  },
): { updates: Slots; slots: Record<N, Slots> } {
  const names = Object.keys(slots) as N[];
  for (const [key, g] of Object.entries(grads)) {
    for (const n of names) {
      const s = slots[n][key];
      if (s === undefined) {
        throw new ShapeError(
          `${owner}.update: no '${n}' state for parameter '${key}'; call init() with every parameter you will update`,
        );
      }
      if (!tf.util.arraysEqual(s.shape, g.shape)) {
        throw new ShapeError(
          `${owner}.update: gradient of '${key}' has shape [${g.shape.join(', ')}], its state has [${s.shape.join(', ')}]`,
        );
      }
    }
  }
  return tf.tidy(() => {
    const updates: Slots = {};
    const next = Object.fromEntries(names.map((n) => [n, { ...slots[n] }])) as Record<N, Slots>;
    for (const [key, g] of Object.entries(grads)) {
      const cur = Object.fromEntries(names.map((n) => [n, slots[n][key]!])) as Record<N, tf.Tensor>;
      const r = rule(g, cur);
      updates[key] = r.update;
      for (const n of names) (next[n] as Slots)[key] = r.slots[n];
    }
    return { updates, slots: next };
  });
}
