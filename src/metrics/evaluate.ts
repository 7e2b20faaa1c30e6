/**
 * Evaluation of a multi-task model on a host split, batch by batch, in inference mode.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.js';
import type { MtlModel } from '../core/model.js';
import type { Rng } from '../core/rng.js';
import type { TaskId } from '../core/types.js';
import { batchIndices, disposeBatch, splitToBatch } from '../data/batches.js';
import type { DataSplit } from '../data/types.js';
import {
  averageMetrics,
  createTaskMeter,
  type TaskMeter,
  type TaskMeterOptions,
} from './task-metrics.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  readonly batchSize: number;
  /** Passed to the model's forward pass (inference mode draws nothing from it in most models). */
  readonly rng: Rng;
  /** Optimiser step passed to the forward pass (temperature schedules); default 0. */
  readonly step?: number;
  /** AUC mode and bins (`'binned'` keeps memory fixed on large splits). */
  readonly auc?: TaskMeterOptions['auc'];
  readonly bins?: number;
}

/** Per-task metrics, their averages over tasks, and every warning raised on the way. */
export interface EvaluationResult {
  /** `perTask[task][metric]`: binary auc/logloss/accuracy, multiclass accuracy/logloss, regression mse/mae. */
  readonly perTask: Record<TaskId, Record<string, number>>;
  /** Mean of each metric over the tasks that have it (NaN values skipped, with a warning). */
  readonly average: Record<string, number>;
  /** Labelled rows per task. */
  readonly counts: Record<TaskId, number>;
  readonly warnings: readonly string[];
}

/**
 * Runs `model.trunk` then `model.heads` with `training: false` on every row of `split` in order
 * (no shuffling), reads the outputs back per batch and accumulates streaming metrics. Binary heads
 * give logits (probability = sigmoid), multiclass heads logits [B, C] (softmax), regression heads
 * predictions [B] (or [B, 1]). Masked rows are skipped per task. No tensor outlives the call.
 *
 * Cost: one forward pass over the split; host memory O(n) per binary task for the exact AUC
 * (O(bins) with `auc: 'binned'`).
 *
 * @throws ShapeError when a head's output does not have the contract shape.
 */
export async function evaluate(
  model: MtlModel,
  split: DataSplit,
  opts: EvaluateOptions,
): Promise<EvaluationResult> {
  const meters = new Map<TaskId, TaskMeter>();
  for (const t of model.tasks) {
    meters.set(
      t.id,
      createTaskMeter(t, {
        from: 'logits',
        ...(opts.auc !== undefined ? { auc: opts.auc } : {}),
        ...(opts.bins !== undefined ? { bins: opts.bins } : {}),
      }),
    );
  }
  const forward = { training: false, rng: opts.rng, step: opts.step ?? 0 };
  for (const idx of batchIndices(split.n, opts.batchSize, opts.rng, { shuffle: false })) {
    const batch = splitToBatch(split, model.inputSpec, model.tasks, idx);
    let outputs: Record<TaskId, tf.Tensor> | undefined;
    try {
      outputs = tf.tidy(() => {
        const trunk = model.trunk(batch.inputs, forward);
        return { ...model.heads(trunk.features, batch.inputs, forward).outputs };
      });
      for (const t of model.tasks) {
        const out = outputs[t.id];
        const b = idx.length;
        const want = t.kind === 'multiclass' ? [b, t.numClasses ?? 0] : [b];
        const ok =
          out !== undefined &&
          (t.kind === 'multiclass'
            ? out.shape.length === 2 && out.shape[0] === b && out.shape[1] === want[1]
            : out.size === b && out.shape[0] === b);
        if (!ok) {
          throw new ShapeError(
            `evaluate: head output of task '${t.id}' has shape ${out === undefined ? 'none' : `[${out.shape.join(', ')}]`}, expected [${want.join(', ')}]`,
          );
        }
        const values = (await out.data()) as Float32Array;
        const labels = split.labels[t.id] as Float32Array | Int32Array;
        const mask = split.masks?.[t.id];
        const y = new Float64Array(b);
        const m = mask !== undefined ? new Uint8Array(b) : undefined;
        for (let i = 0; i < b; i++) {
          const r = idx[i] as number;
          y[i] = labels[r] as number;
          if (m !== undefined) m[i] = mask![r] as number;
        }
        (meters.get(t.id) as TaskMeter).update(values, y, m);
      }
    } finally {
      if (outputs !== undefined) tf.dispose(Object.values(outputs));
      disposeBatch(batch);
    }
  }
  const perTask: Record<TaskId, Record<string, number>> = {};
  const counts: Record<TaskId, number> = {};
  const warnings: string[] = [];
  for (const [id, meter] of meters) {
    const r = meter.result();
    perTask[id] = r.metrics;
    counts[id] = r.n;
    warnings.push(...r.warnings);
  }
  const avg = averageMetrics(perTask);
  warnings.push(...avg.warnings);
  return { perTask, average: avg.average, counts, warnings };
}
