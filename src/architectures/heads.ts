/**
 * Per-task heads: a small tower (`towerHidden`, possibly empty) and an output layer producing
 * logits. Heads output logits only; losses belong to the training engine.
 *
 * | kind | output | loss the engine applies |
 * |---|---|---|
 * | binary | `[B]` logit | sigmoid + logloss |
 * | multiclass | `[B, C]` logits | softmax + cross-entropy |
 * | regression | `[B]` value | MSE or MAE |
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../core/errors.js';
import type { TaskSpec } from '../core/model.js';
import { dense, mlp, sequential, type Block } from './layers.js';
import type { ActivationName, NonlinearOps } from './ops.js';
import type { ParamScope } from './params.js';

/** Number of output units of a task's head. */
export function headUnits(task: TaskSpec): number {
  return task.kind === 'multiclass' ? (task.numClasses as number) : 1;
}

/**
 * Checks the task list at build time.
 *
 * @throws {ConfigError} On no tasks, duplicate or malformed ids, or a multiclass task without
 *   `numClasses ≥ 2`.
 */
export function checkTasks(owner: string, tasks: readonly TaskSpec[]): void {
  if (tasks.length === 0) throw new ConfigError(`${owner}: needs at least one task`);
  const seen = new Set<string>();
  for (const t of tasks) {
    if (!/^[A-Za-z0-9_.-]+$/.test(t.id)) {
      throw new ConfigError(
        `${owner}: task id '${t.id}' must match [A-Za-z0-9_.-]+ (it becomes part of variable names)`,
      );
    }
    if (seen.has(t.id)) throw new ConfigError(`${owner}: task id '${t.id}' appears twice`);
    seen.add(t.id);
    if (t.kind === 'multiclass' && (!Number.isInteger(t.numClasses) || (t.numClasses ?? 0) < 2)) {
      throw new ConfigError(
        `${owner}: multiclass task '${t.id}' needs an integer numClasses ≥ 2, got ${t.numClasses}`,
      );
    }
  }
}

/** A task head: tower then output layer. */
export interface Head extends Block {
  readonly task: TaskSpec;
}

/**
 * Creates the head of `task` on a `[B, inDim]` representation: `towerHidden` dense layers with
 * `activation`, then a linear output layer (`out/kernel`, `out/bias`).
 */
export function createHead(
  scope: ParamScope,
  task: TaskSpec,
  inDim: number,
  towerHidden: readonly number[],
  ops: NonlinearOps,
  activation: ActivationName,
): Head {
  const tower = mlp(scope.child('tower'), inDim, towerHidden, ops, activation);
  const units = headUnits(task);
  const out = dense(scope.child('out'), tower.outShape[0] as number, units, ops);
  const body = sequential([tower, out], [inDim]);
  return {
    task,
    variables: body.variables,
    outShape: task.kind === 'multiclass' ? [units] : [],
    apply(h: tf.Tensor) {
      const y = body.apply(h);
      return task.kind === 'multiclass' ? y : tf.reshape(y, [-1]);
    },
  };
}
