/** Small ParamTree algebra for the bi-level methods (every result is owned by the caller). */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import type { ParamTree } from '../core/types.js';

/** `a + s·b`, key by key. */
export function axpy(a: ParamTree, s: number, b: ParamTree): ParamTree {
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    for (const [name, x] of Object.entries(a)) {
      const y = b[name];
      if (y === undefined) throw new ShapeError(`bilevel: tree is missing variable '${name}'`);
      out[name] = tf.add(x, tf.mul(y, s));
    }
    return out;
  });
}

/** `Σ_name ⟨a, b⟩` (host). */
export function treeDot(a: ParamTree, b: ParamTree): number {
  const t = tf.tidy(() =>
    tf.addN(Object.entries(a).map(([n, x]) => tf.sum(tf.mul(x, b[n] ?? tf.zerosLike(x))))),
  );
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

/** Disposes every tensor of a tree. */
export function disposeTree(t: ParamTree | undefined): void {
  if (t !== undefined) tf.dispose(Object.values(t));
}

/** Row k of a Jacobian as a tree (caller owns). */
export function jacobianRow(blocks: ParamTree, k: number): ParamTree {
  return tf.tidy(() =>
    Object.fromEntries(
      Object.entries(blocks).map(([n, b]) => [
        n,
        tf.reshape(tf.slice(b, [k], [1]), b.shape.slice(1)),
      ]),
    ),
  );
}

/** K×K cross Gramian `A·Bᵀ` of two Jacobians with the same blocks (one read-back, float64). */
export function crossGramian(a: ParamTree, b: ParamTree, k: number): Float64Array {
  const t = tf.tidy(() =>
    tf.addN(
      Object.entries(a).map(([n, x]) => {
        const y = b[n]!;
        return tf.matMul(tf.reshape(x, [k, -1]), tf.reshape(y, [k, -1]), false, true);
      }),
    ),
  );
  const out = Float64Array.from(t.dataSync());
  t.dispose();
  return out;
}
