/**
 * The Gramian engine: G = J·Jᵀ accumulated block by block on the device with ONE host read-back,
 * and the combination d = Jᵀw, also per block. Every Gramian-based aggregator goes through these
 * two functions (torchjd's `compute_gramian` and `WeightedAggregator`, ARCHITECTURE §2.3).
 *
 * Blocks are never concatenated into one [K, D] tensor: WebGL textures cap the size of a single
 * tensor, and per-block products need no copy.
 */
import * as tf from '@tensorflow/tfjs';
import { NumericalError, ShapeError } from '../core/errors.js';
import type { Direction, Gramian, JacobianSpec, TaskJacobian } from '../core/types.js';

/**
 * Checks that every block of `j` has the leading task axis K = `j.tasks.length` (≥ 1) and returns K.
 * @throws {ShapeError} Naming `owner`, the block and the shapes found.
 */
export function assertJacobian(owner: string, j: TaskJacobian): number {
  const k = j.tasks.length;
  if (k < 1) {
    throw new ShapeError(`${owner}: the Jacobian has no tasks; pass at least one task row`);
  }
  for (const [name, block] of Object.entries(j.blocks)) {
    if (block.rank < 1 || block.shape[0] !== k) {
      throw new ShapeError(
        `${owner}: block '${name}' has shape [${block.shape.join(', ')}] but the Jacobian has ${k} tasks; every block must be [K, ...variableShape] with K = ${k}`,
      );
    }
  }
  return k;
}

/** The shapes of a Jacobian (what `Aggregator.init` needs). */
export function jacobianSpec(j: TaskJacobian): JacobianSpec {
  return {
    tasks: [...j.tasks],
    blocks: Object.fromEntries(Object.entries(j.blocks).map(([n, b]) => [n, b.shape.slice(1)])),
  };
}

/**
 * G = Σ_b J_b·J_bᵀ (K×K): each block reshaped to [K, D_b] and multiplied with `transposeB` on the
 * device; the K×K sum is read back once (a synchronous `dataSync`, outside `tf.tidy`), converted
 * to float64 and symmetrised (float32 accumulation may leave ulp-level asymmetry).
 *
 * Cost O(K²·D) device work, one K×K transfer. The input is borrowed; nothing is left allocated.
 * @throws {ShapeError} If a block does not have K rows.
 * @throws {NumericalError} If G has a NaN or Inf entry (naming the first task whose squared
 *   gradient norm is not finite); the step engine skips such steps.
 */
export function gramian(j: TaskJacobian): Gramian {
  const k = assertJacobian('gramian', j);
  const blocks = Object.values(j.blocks);
  if (blocks.length === 0) return { k, data: new Float64Array(k * k) };
  const g = tf.tidy(() => {
    let acc: tf.Tensor | null = null;
    for (const b of blocks) {
      const m = b.reshape([k, b.size / k]);
      const p = tf.matMul(m, m, false, true);
      acc = acc === null ? p : tf.add(acc, p);
    }
    return acc as tf.Tensor;
  });
  const raw = g.dataSync();
  g.dispose();
  const data = new Float64Array(k * k);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) data[r * k + c] = 0.5 * (raw[r * k + c]! + raw[c * k + r]!);
  }
  for (let i = 0; i < k * k; i++) {
    if (!Number.isFinite(data[i]!)) {
      let bad = 0;
      while (bad < k - 1 && Number.isFinite(data[bad * k + bad]!)) bad++;
      throw new NumericalError(
        `gramian: the Gramian has a non-finite entry (task '${j.tasks[bad] ?? bad}' has ‖g‖² = ${data[bad * k + bad]}); check the losses and gradients for NaN/Inf or overflow (|J| ≳ 1e19 overflows float32)`,
        { task: j.tasks[bad] ?? String(bad) },
      );
    }
  }
  return { k, data };
}

/**
 * d = Jᵀw = Σ_k w_k·J[k], computed per block as the [1, K]·[K, D_b] product on the device.
 * Returns a {@link Direction} with the same keys as `j.blocks` and each block's variable shape;
 * the caller owns (and disposes) it.
 * @throws {ShapeError} If `w` does not have K entries.
 * @throws {NumericalError} If `w` has a NaN or Inf entry.
 */
export function combine(j: TaskJacobian, w: ArrayLike<number>): Direction {
  const k = assertJacobian('combine', j);
  if (w.length !== k) {
    throw new ShapeError(`combine: got ${w.length} weights for a Jacobian with ${k} tasks`);
  }
  for (let i = 0; i < k; i++) {
    if (!Number.isFinite(w[i]!)) {
      throw new NumericalError(`combine: weight ${i} (task '${j.tasks[i]}') is ${w[i]}`, {
        task: j.tasks[i] ?? String(i),
      });
    }
  }
  const wf = Float32Array.from(w);
  return tf.tidy(() => {
    const wt = tf.tensor2d(wf, [1, k]);
    const out: Record<string, tf.Tensor> = {};
    for (const [name, b] of Object.entries(j.blocks)) {
      out[name] = tf.matMul(wt, b.reshape([k, b.size / k])).reshape(b.shape.slice(1));
    }
    return out;
  });
}
