/**
 * Per-task metrics on host arrays, and streaming meters that accumulate them batch by batch.
 *
 * | kind | metrics (direction) |
 * |---|---|
 * | binary | `auc` (↑), `logloss` (↓), `accuracy` (↑, threshold 0.5) |
 * | multiclass | `accuracy` (↑, argmax), `logloss` (↓, cross-entropy) |
 * | regression | `mse` (↓), `mae` (↓) |
 *
 * Rows with mask 0 are skipped everywhere; metrics are unweighted means over the labelled rows.
 */
import { ConfigError } from '../core/errors.js';
import type { TaskKind, TaskSpec } from '../core/model.js';
import type { TaskId } from '../core/types.js';
import { GrowArray } from '../data/grow.js';
import { auc, createBinnedAuc } from './auc.js';

/** A metric name. */
export type MetricName = 'auc' | 'logloss' | 'accuracy' | 'mse' | 'mae';

/** Higher-is-better flag of every metric. */
export const METRIC_DIRECTIONS: Readonly<Record<MetricName, boolean>> = {
  auc: true,
  accuracy: true,
  logloss: false,
  mse: false,
  mae: false,
};

/** Metrics reported for each task kind, in report order. */
export const METRICS_BY_KIND: Readonly<Record<TaskKind, readonly MetricName[]>> = {
  binary: ['auc', 'logloss', 'accuracy'],
  multiclass: ['accuracy', 'logloss'],
  regression: ['mse', 'mae'],
};

/**
 * Per task, the metrics its kind reports and whether higher is better (the `directions`
 * argument of `deltaM`).
 */
export function taskMetricDirections(
  tasks: readonly TaskSpec[],
): Record<TaskId, Record<string, boolean>> {
  const out: Record<TaskId, Record<string, boolean>> = {};
  for (const t of tasks) {
    const d: Record<string, boolean> = {};
    for (const m of METRICS_BY_KIND[t.kind]) d[m] = METRIC_DIRECTIONS[m];
    out[t.id] = d;
  }
  return out;
}

/** Default probability clip of the log-loss: log(ε) bounds a single row's loss by ≈ 34.5. */
export const LOGLOSS_EPS = 1e-15;

const kept = (mask: ArrayLike<number> | undefined, i: number): boolean =>
  mask === undefined || mask[i] !== 0;

/** Mean of `term(i)` over the rows `0..n−1` that `mask` keeps; NaN when it keeps none. */
function maskedMean(
  n: number,
  mask: ArrayLike<number> | undefined,
  term: (i: number) => number,
): number {
  let s = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!kept(mask, i)) continue;
    s += term(i);
    count++;
  }
  return count > 0 ? s / count : Number.NaN;
}

/** σ(z) = 1 / (1 + e^−z), computed without overflow. */
function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Binary log-loss of one row from a logit: softplus(z) − y·z, exact for any z. */
function loglossFromLogit(z: number, y: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
}

/** Binary log-loss of one row from a probability clipped to [ε, 1 − ε]. */
function loglossFromProb(p: number, y: number, eps: number): number {
  const q = Math.min(1 - eps, Math.max(eps, p));
  return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
}

/** Where binary or multiclass scores come from. */
export type ScoreKind = 'logits' | 'probabilities';

/**
 * Mean binary log-loss −[y·log p + (1 − y)·log(1 − p)]. From logits it is computed exactly
 * (softplus form, no clipping); from probabilities p is clipped to [eps, 1 − eps].
 */
export function binaryLogloss(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: { from?: ScoreKind; eps?: number; mask?: ArrayLike<number> } = {},
): number {
  const from = opts.from ?? 'probabilities';
  const eps = opts.eps ?? LOGLOSS_EPS;
  return maskedMean(scores.length, opts.mask, (i) => {
    const y = labels[i] as number;
    return from === 'logits'
      ? loglossFromLogit(scores[i] as number, y)
      : loglossFromProb(scores[i] as number, y, eps);
  });
}

/** Binary accuracy: p ≥ 0.5 (logit ≥ 0) predicts 1. */
export function binaryAccuracy(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: { from?: ScoreKind; mask?: ArrayLike<number> } = {},
): number {
  const threshold = (opts.from ?? 'probabilities') === 'logits' ? 0 : 0.5;
  return maskedMean(scores.length, opts.mask, (i) => {
    const pred = (scores[i] as number) >= threshold ? 1 : 0;
    return pred === ((labels[i] as number) > 0.5 ? 1 : 0) ? 1 : 0;
  });
}

/** Row i's −log p(class y) from C scores (log-softmax of logits, or clipped probabilities). */
function crossEntropyRow(
  scores: ArrayLike<number>,
  off: number,
  c: number,
  y: number,
  from: ScoreKind,
  eps: number,
): number {
  if (from === 'probabilities') {
    return -Math.log(Math.min(1, Math.max(eps, scores[off + y] as number)));
  }
  let max = -Infinity;
  for (let j = 0; j < c; j++) max = Math.max(max, scores[off + j] as number);
  let z = 0;
  for (let j = 0; j < c; j++) z += Math.exp((scores[off + j] as number) - max);
  return max + Math.log(z) - (scores[off + y] as number);
}

function argmaxRow(scores: ArrayLike<number>, off: number, c: number): number {
  let best = 0;
  for (let j = 1; j < c; j++)
    if ((scores[off + j] as number) > (scores[off + best] as number)) best = j;
  return best;
}

/** Mean multiclass cross-entropy; `scores` is [n, numClasses] row-major. */
export function multiclassLogloss(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  opts: { from?: ScoreKind; eps?: number; mask?: ArrayLike<number> } = {},
): number {
  const from = opts.from ?? 'probabilities';
  const eps = opts.eps ?? LOGLOSS_EPS;
  return maskedMean(labels.length, opts.mask, (i) =>
    crossEntropyRow(scores, i * numClasses, numClasses, labels[i] as number, from, eps),
  );
}

/** Multiclass accuracy (argmax; the first maximum wins ties). */
export function multiclassAccuracy(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  mask?: ArrayLike<number>,
): number {
  return maskedMean(labels.length, mask, (i) =>
    argmaxRow(scores, i * numClasses, numClasses) === labels[i] ? 1 : 0,
  );
}

/** Mean squared error. */
export function meanSquaredError(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  mask?: ArrayLike<number>,
): number {
  return maskedMean(pred.length, mask, (i) => ((pred[i] as number) - (target[i] as number)) ** 2);
}

/** Mean absolute error. */
export function meanAbsoluteError(
  pred: ArrayLike<number>,
  target: ArrayLike<number>,
  mask?: ArrayLike<number>,
): number {
  return maskedMean(pred.length, mask, (i) =>
    Math.abs((pred[i] as number) - (target[i] as number)),
  );
}

/** Options of {@link createTaskMeter}. */
export interface TaskMeterOptions {
  /** What the model outputs are (default `'logits'`, as MtlModel heads return). */
  readonly from?: ScoreKind;
  /** `'exact'` keeps every score (O(n) memory); `'binned'` uses fixed memory. Default exact. */
  readonly auc?: 'exact' | 'binned';
  /** Bins of the binned AUC (default 10,000). */
  readonly bins?: number;
  /** Probability clip of the log-loss from probabilities (default 1e-15). */
  readonly eps?: number;
}

/** Metrics of one task with the number of rows they cover and explicit warnings. */
export interface TaskMetricResult {
  readonly metrics: Record<string, number>;
  /** Labelled rows seen. */
  readonly n: number;
  readonly warnings: readonly string[];
}

/** Streaming accumulator of one task's metrics. */
export interface TaskMeter {
  readonly task: TaskSpec;
  /**
   * Adds a batch: `outputs` per the head contract (binary [B], multiclass [B, C] row-major,
   * regression [B]), `labels` [B], optional `mask` [B] (0 = skip).
   */
  update(outputs: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>): void;
  result(): TaskMetricResult;
}

/**
 * Creates the meter of a task. Sums are accumulated in float64, so streaming over batches gives
 * the same means as one pass over all rows (up to float rounding).
 */
export function createTaskMeter(task: TaskSpec, options: TaskMeterOptions = {}): TaskMeter {
  const from = options.from ?? 'logits';
  const eps = options.eps ?? LOGLOSS_EPS;
  if (task.kind === 'multiclass' && (task.numClasses === undefined || task.numClasses < 2)) {
    throw new ConfigError(
      `createTaskMeter: multiclass task '${task.id}' needs numClasses ≥ 2, got ${String(task.numClasses)}`,
    );
  }
  const c = task.numClasses ?? 1;
  let n = 0;
  let lossSum = 0;
  let hits = 0;
  let sq = 0;
  let ab = 0;
  let nonFinite = 0;
  const useBinned = options.auc === 'binned';
  const binned = useBinned && task.kind === 'binary' ? createBinnedAuc(options.bins) : undefined;
  const scores = new GrowArray(Float64Array, 256);
  const labelsSeen = new GrowArray(Float64Array, 256);
  return {
    task,
    update(outputs, labels, mask) {
      const b = labels.length;
      const width = task.kind === 'multiclass' ? c : 1;
      if (outputs.length !== b * width) {
        throw new ConfigError(
          `TaskMeter(${task.id}): got ${outputs.length} outputs for ${b} labels; expected ${width} per row`,
        );
      }
      const binP: number[] = [];
      const binY: number[] = [];
      for (let i = 0; i < b; i++) {
        if (!kept(mask, i)) continue;
        const y = labels[i] as number;
        n++;
        if (task.kind === 'binary') {
          const s = outputs[i] as number;
          if (!Number.isFinite(s)) nonFinite++;
          lossSum += from === 'logits' ? loglossFromLogit(s, y) : loglossFromProb(s, y, eps);
          const p = from === 'logits' ? sigmoid(s) : s;
          if ((p >= 0.5 ? 1 : 0) === (y > 0.5 ? 1 : 0)) hits++;
          if (binned !== undefined) {
            binP.push(p);
            binY.push(y);
          } else {
            scores.push(s);
            labelsSeen.push(y);
          }
        } else if (task.kind === 'multiclass') {
          for (let j = 0; j < c; j++) if (!Number.isFinite(outputs[i * c + j])) nonFinite++;
          lossSum += crossEntropyRow(outputs, i * c, c, y, from, eps);
          if (argmaxRow(outputs, i * c, c) === y) hits++;
        } else {
          const e = (outputs[i] as number) - y;
          if (!Number.isFinite(e)) nonFinite++;
          sq += e * e;
          ab += Math.abs(e);
        }
      }
      binned?.update(binP, binY);
    },
    result() {
      const warnings: string[] = [];
      const metrics: Record<string, number> = {};
      if (n === 0) {
        warnings.push(`task '${task.id}': no labelled rows, every metric is NaN`);
      }
      if (nonFinite > 0) {
        warnings.push(
          `task '${task.id}': ${nonFinite} non-finite model outputs; metrics are NaN or Inf`,
        );
      }
      const mean = (s: number): number => (n > 0 ? s / n : Number.NaN);
      if (task.kind === 'binary') {
        let a: number;
        let pos: number;
        if (binned !== undefined) {
          a = binned.value();
          pos = binned.positives;
        } else {
          const y = labelsSeen.view();
          a = auc(scores.view(), y);
          pos = 0;
          for (const v of y) if (v > 0.5) pos++;
        }
        if (Number.isNaN(a) && n > 0 && (pos === 0 || pos === n)) {
          warnings.push(
            `task '${task.id}': AUC is undefined (NaN) because the ${n} labelled rows are all ${pos === 0 ? 'negative' : 'positive'}`,
          );
        }
        metrics['auc'] = a;
        metrics['logloss'] = mean(lossSum);
        metrics['accuracy'] = mean(hits);
      } else if (task.kind === 'multiclass') {
        metrics['accuracy'] = mean(hits);
        metrics['logloss'] = mean(lossSum);
      } else {
        metrics['mse'] = mean(sq);
        metrics['mae'] = mean(ab);
      }
      return { metrics, n, warnings };
    },
  };
}

/**
 * Mean of each metric over the tasks that report it, skipping NaN values (each skip is a
 * warning). E.g. `auc` is the mean AUC of the binary tasks.
 */
export function averageMetrics(
  perTask: Readonly<Record<TaskId, Readonly<Record<string, number>>>>,
): {
  average: Record<string, number>;
  warnings: string[];
} {
  const sums = new Map<string, { s: number; n: number }>();
  const warnings: string[] = [];
  for (const [task, ms] of Object.entries(perTask)) {
    for (const [m, v] of Object.entries(ms)) {
      const e = sums.get(m) ?? { s: 0, n: 0 };
      if (Number.isNaN(v)) {
        warnings.push(`average ${m}: task '${task}' skipped (its ${m} is NaN)`);
      } else {
        e.s += v;
        e.n++;
      }
      sums.set(m, e);
    }
  }
  const average: Record<string, number> = {};
  for (const [m, e] of sums) average[m] = e.n > 0 ? e.s / e.n : Number.NaN;
  return { average, warnings };
}
