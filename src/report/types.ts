/**
 * Data model of the HTML report and of a run directory's `metrics.jsonl`.
 *
 * The report is a pure function of these plain JSON values, so `manytask report <dir>` can
 * regenerate it from the files a run or a bench wrote, and tests can build inputs by hand.
 */
import type { TaskKind } from '../core/model.js';
import type { TaskId } from '../core/types.js';

/** Task → metric name → value (e.g. `{ income_high: { auc: 0.81, logloss: 0.42 } }`). */
export type TaskMetrics = Readonly<Record<TaskId, Readonly<Record<string, number>>>>;

/**
 * One optimiser step, written every `logEvery` steps.
 * `cosines` keys are `"<taskA>|<taskB>"` (taskA before taskB in task order).
 */
export interface StepRecord {
  readonly kind: 'step';
  readonly step: number;
  readonly epoch: number;
  /** Training losses of this batch, per task. */
  readonly losses: Readonly<Record<TaskId, number>>;
  /** Task weights, when the method has them. */
  readonly weights?: Readonly<Record<TaskId, number>>;
  /** Loss-level weights of an aggregator's `lossWeighting`, when configured. */
  readonly lossWeights?: Readonly<Record<TaskId, number>>;
  /** Pairwise gradient cosines, when the method computed the Gramian. */
  readonly cosines?: Readonly<Record<string, number>>;
  /** Method-specific scalars (e.g. `gdodAllConflict`). */
  readonly diagnostics?: Readonly<Record<string, number>>;
  /** Value of each regulariser's penalty, by id. */
  readonly penalties?: Readonly<Record<string, number>>;
  readonly warnings?: readonly string[];
}

/** End of an epoch: mean training losses and, every `evalEvery` epochs, validation metrics. */
export interface EpochRecord {
  readonly kind: 'epoch';
  readonly epoch: number;
  /** Steps done when the epoch ended. */
  readonly step: number;
  readonly trainLoss: Readonly<Record<TaskId, number>>;
  readonly valid?: TaskMetrics;
  /** Wall-clock seconds of the epoch (informative only; never compared in tests). */
  readonly seconds?: number;
}

/** Final evaluation, written once when training completes. */
export interface FinalRecord {
  readonly kind: 'final';
  readonly step: number;
  readonly valid: TaskMetrics;
  readonly test: TaskMetrics;
}

/** One line of `metrics.jsonl`. */
export type HistoryRecord = StepRecord | EpochRecord | FinalRecord;

/** One finished training run (one method, one seed). */
export interface ReportRun {
  /** Method id (`single-task` runs are baselines and not listed here). */
  readonly method: string;
  readonly seed: number;
  readonly history: readonly HistoryRecord[];
  /** Final test metrics. */
  readonly test: TaskMetrics;
}

/** Mean and sample standard deviation over seeds (std is 0 when n = 1). */
export interface Stat {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
}

/** Summary of one method over its seeds. */
export interface MethodSummary {
  readonly method: string;
  readonly displayName: string;
  /** Task → metric → stat of the final test metrics. */
  readonly test: Readonly<Record<TaskId, Readonly<Record<string, Stat>>>>;
  /** Δm% against the single-task baselines (lower is better), when baselines exist. */
  readonly deltaM?: Stat;
  /** Mean wall-clock seconds per run, when known. */
  readonly seconds?: number;
}

/** Everything the report shows. Plain JSON: `results.json` of a bench stores it as is. */
export interface ReportInput {
  readonly title: string;
  /** `train` (one run) or `bench` (methods × seeds). */
  readonly kind: 'train' | 'bench';
  readonly dataset: string;
  readonly architecture: string;
  readonly tasks: readonly { readonly id: TaskId; readonly kind: TaskKind }[];
  /** Methods in display order. */
  readonly methods: readonly MethodSummary[];
  /** Single-task baselines (same architecture, one task each), over the same seeds. */
  readonly baseline?: Readonly<Record<TaskId, Readonly<Record<string, Stat>>>>;
  readonly runs: readonly ReportRun[];
  /** The exact configuration that produced the results. */
  readonly config: unknown;
  /** e.g. `{ manytask: '0.1.0', tfjs: '4.22.0', backend: 'cpu', node: 'v20.19.0' }`. */
  readonly versions: Readonly<Record<string, string>>;
  /** Free-text notes (skipped methods, fallbacks that happened). */
  readonly notes?: readonly string[];
  /** ISO time the results were produced. */
  readonly createdAt?: string;
}
