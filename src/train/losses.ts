/**
 * Per-task losses from {@link TaskSpec}s, with label masks and row weights.
 *
 * Every loss is built from ops with second-order-correct gradients (`src/autodiff/safe-ops.ts`), so
 * second-order regularisers can differentiate through the per-task gradients they induce.
 */
import * as tf from '@tensorflow/tfjs';
import { logSoftmax, softplus } from '../autodiff/safe-ops.js';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { Batch, TaskKind, TaskLoss, TaskSpec } from '../core/model.js';
import type { TaskId } from '../core/types.js';

const DEFAULT_LOSS: Readonly<Record<TaskKind, TaskLoss>> = {
  binary: 'logloss',
  multiclass: 'cross-entropy',
  regression: 'mse',
};

const ALLOWED: Readonly<Record<TaskKind, readonly TaskLoss[]>> = {
  binary: ['logloss'],
  multiclass: ['cross-entropy'],
  regression: ['mse', 'mae'],
};

/**
 * The loss a task uses (its `loss`, or the default of its kind), after checking that the pair
 * makes sense. Throws {@link ConfigError} naming the task otherwise.
 */
export function resolveLoss(spec: TaskSpec): TaskLoss {
  const loss = spec.loss ?? DEFAULT_LOSS[spec.kind];
  if (!(spec.kind in ALLOWED)) {
    throw new ConfigError(
      `losses: task '${spec.id}' has unknown kind '${String(spec.kind)}'; use 'binary', 'multiclass' or 'regression'`,
    );
  }
  if (!ALLOWED[spec.kind].includes(loss)) {
    throw new ConfigError(
      `losses: task '${spec.id}' of kind '${spec.kind}' cannot use loss '${loss}'; use one of ${ALLOWED[spec.kind].map((l) => `'${l}'`).join(', ')}`,
    );
  }
  if (spec.kind === 'multiclass' && !(Number.isInteger(spec.numClasses) && spec.numClasses! >= 2)) {
    throw new ConfigError(
      `losses: multiclass task '${spec.id}' needs an integer \`numClasses\` ≥ 2, got ${String(spec.numClasses)}`,
    );
  }
  return loss;
}

/** Checks every task once (at setup time) and rejects duplicate ids. */
export function validateTasks(tasks: readonly TaskSpec[]): void {
  if (tasks.length === 0) throw new ConfigError('losses: the model has no tasks; give it ≥ 1 task');
  const seen = new Set<TaskId>();
  for (const t of tasks) {
    if (seen.has(t.id))
      throw new ConfigError(`losses: duplicate task id '${t.id}'; task ids must be unique`);
    seen.add(t.id);
    resolveLoss(t);
  }
}

/**
 * Unreduced loss of each row, `[B]`.
 *
 * - `logloss` (binary, from logits z): `y·softplus(−z) + (1−y)·softplus(z)` = −y log σ(z) −
 *   (1−y) log(1−σ(z)), stable for any |z| (soft labels in [0, 1] allowed).
 * - `cross-entropy` (multiclass, logits `[B, C]`, integer targets): `−logSoftmax(z)[y]`.
 * - `mse`: `(ŷ − y)²`; `mae`: `|ŷ − y|` (regression).
 */
export function rowLosses(spec: TaskSpec, output: tf.Tensor, target: tf.Tensor1D): tf.Tensor1D {
  const loss = resolveLoss(spec);
  const b = target.shape[0];
  return tf.tidy(() => {
    if (loss === 'cross-entropy') {
      const c = spec.numClasses!;
      if (output.rank !== 2 || output.shape[0] !== b || output.shape[1] !== c) {
        throw new ShapeError(
          `losses: task '${spec.id}' output has shape [${output.shape.join(', ')}], expected [${b}, ${c}] logits (numClasses = ${c})`,
        );
      }
      const labels = target.dtype === 'int32' ? target : tf.cast(target, 'int32');
      const picked = tf.sum(tf.mul(tf.oneHot(labels, c), logSoftmax(output)), -1);
      return tf.neg(picked) as tf.Tensor1D;
    }
    if (output.rank !== 1 || output.shape[0] !== b) {
      throw new ShapeError(
        `losses: task '${spec.id}' output has shape [${output.shape.join(', ')}], expected [${b}] (one value per row)`,
      );
    }
    const y = target.dtype === 'float32' ? target : tf.cast(target, 'float32');
    switch (loss) {
      case 'logloss':
        return tf.add(
          tf.mul(y, softplus(tf.neg(output))),
          tf.mul(tf.sub(1, y), softplus(output)),
        ) as tf.Tensor1D;
      case 'mse':
        return tf.square(tf.sub(output, y)) as tf.Tensor1D;
      case 'mae':
        return tf.abs(tf.sub(output, y)) as tf.Tensor1D;
    }
  });
}

/** One task's reduced loss and how many rows of the batch carry its label. */
export interface MaskedLoss {
  /** `Σ_i r_i l_i / Σ_i r_i` with `r = mask ⊙ rowWeights`; exactly 0 (and no gradient) when Σ r = 0. */
  readonly loss: tf.Scalar;
  /** Number of labelled rows (Σ mask; the batch size without a mask). */
  readonly labelled: tf.Scalar;
}

/**
 * Masked, row-weighted mean loss of one task.
 *
 * Targets of unlabelled rows are replaced by 0 *before* the loss (a NaN placeholder for a missing
 * label would otherwise reach the gradient as 0·NaN = NaN). A task with no labelled row in the
 * batch gets loss 0 and a zero gradient; the engine reports it.
 */
export function maskedTaskLoss(
  spec: TaskSpec,
  output: tf.Tensor,
  target: tf.Tensor1D,
  mask?: tf.Tensor1D,
  rowWeights?: tf.Tensor1D,
): MaskedLoss {
  const b = target.shape[0];
  for (const [name, t] of [
    ['mask', mask],
    ['rowWeights', rowWeights],
  ] as const) {
    if (t !== undefined && (t.rank !== 1 || t.shape[0] !== b)) {
      throw new ShapeError(
        `losses: task '${spec.id}' ${name} has shape [${t.shape.join(', ')}], expected [${b}] like its targets`,
      );
    }
  }
  return tf.tidy(() => {
    const on = mask === undefined ? null : tf.greater(mask, 0);
    const safeTarget =
      on === null ? target : (tf.where(on, target, tf.zerosLike(target)) as tf.Tensor1D);
    const l = rowLosses(spec, output, safeTarget);
    let r: tf.Tensor1D | null = on === null ? null : (tf.cast(on, 'float32') as tf.Tensor1D);
    if (rowWeights !== undefined)
      r = r === null ? rowWeights : (tf.mul(r, rowWeights) as tf.Tensor1D);
    const labelled = on === null ? tf.scalar(b) : tf.sum(tf.cast(on, 'float32'));
    if (r === null) return { loss: tf.mean(l) as tf.Scalar, labelled: labelled as tf.Scalar };
    const total = tf.sum(r);
    const denom = tf.where(tf.greater(total, 0), total, tf.onesLike(total));
    const loss = tf.div(tf.sum(tf.mul(r, l)), denom) as tf.Scalar;
    return { loss, labelled: labelled as tf.Scalar };
  });
}

/** Per-task losses of a forward pass. */
export interface TaskLosses {
  /** One scalar per task, in `tasks` order (owned by the caller). */
  readonly perTask: readonly tf.Scalar[];
  /** `[K]` labelled-row counts (owned by the caller). */
  readonly labelled: tf.Tensor1D;
}

/**
 * Losses of every task from the heads' outputs and the batch (targets, masks, row weights).
 * Throws {@link ShapeError} naming the task when an output or target is missing or mis-shaped.
 */
export function taskLosses(
  tasks: readonly TaskSpec[],
  outputs: Readonly<Record<TaskId, tf.Tensor>>,
  batch: Pick<Batch, 'targets' | 'masks' | 'rowWeights'>,
): TaskLosses {
  return tf.tidy(() => {
    const perTask: tf.Scalar[] = [];
    const counts: tf.Scalar[] = [];
    for (const spec of tasks) {
      const out = outputs[spec.id];
      const y = batch.targets[spec.id];
      if (out === undefined) {
        throw new ShapeError(
          `losses: the model's heads returned no output for task '${spec.id}'; heads() must return one output per task`,
        );
      }
      if (y === undefined) {
        throw new ShapeError(
          `losses: the batch has no targets for task '${spec.id}'; add batch.targets['${spec.id}']`,
        );
      }
      const m = maskedTaskLoss(spec, out, y, batch.masks?.[spec.id], batch.rowWeights);
      perTask.push(m.loss);
      counts.push(m.labelled);
    }
    return { perTask, labelled: tf.stack(counts) as tf.Tensor1D };
  });
}
