/**
 * Relative multi-task performance against single-task baselines, in the two definitions used in
 * the literature (REFERENCES §4). Both are returned, each under its own name, because they
 * differ in averaging and in sign:
 *
 * - **Δm% (Nash-MTL / CAGrad / FAMO, lower is better)**, averaged flat over every (task, metric)
 *   term: Δm = (100/M)·Σ_{t,m} (−1)^{h_tm}·(M_tm − B_tm)/B_tm, with h_tm = 1 when higher is better.
 *   (Navon et al., "Multi-Task Learning as a Bargaining Game", ICML 2022, `delta_fn`.)
 * - **Δp% (LibMTL, higher is better)**, averaged within each task first, then over tasks:
 *   Δp = (100/T)·Σ_t (1/M_t)·Σ_m (−1)^{h_tm}·(B_tm − M_tm)/B_tm.
 *   (Lin & Zhang, "LibMTL: A Python Library for Multi-Task Learning", JMLR 2023,
 *   `count_improvement`.)
 *
 * With one metric per task the two are exact negatives; otherwise tasks with more metrics weigh
 * more in Δm.
 */
import { ConfigError, NumericalError } from '../core/errors.js';
import type { TaskId } from '../core/types.js';

/** Metric values per task: `results[task][metric]`. */
export type TaskMetricTable = Readonly<Record<TaskId, Readonly<Record<string, number>>>>;

/** One (task, metric) term. */
export interface DeltaTerm {
  readonly task: TaskId;
  readonly metric: string;
  readonly value: number;
  readonly baseline: number;
  readonly higherIsBetter: boolean;
  /** Relative improvement in % (positive = better than the baseline): (−1)^{h}(B − M)/B·100. */
  readonly improvement: number;
}

/** Both definitions, labelled. */
export interface DeltaReport {
  /** Nash-MTL Δm% (flat over all terms); **lower is better**, negative = better than baselines. */
  readonly deltaM: number;
  /** LibMTL Δp% (per task, then over tasks); **higher is better**. */
  readonly deltaP: number;
  /** Per task: mean improvement over its metrics in % (higher is better). */
  readonly perTask: Readonly<Record<TaskId, number>>;
  readonly terms: readonly DeltaTerm[];
}

/**
 * Computes Δm% and Δp% of `results` against single-task `baselines`. The terms are exactly the
 * (task, metric) pairs listed in `directions` (`true` = higher is better), e.g. from
 * `taskMetricDirections(tasks)` restricted to the metrics you report.
 *
 * @throws ConfigError when a listed term is missing from `results` or `baselines`, or a baseline
 * is 0 (the change is relative to it); NumericalError when a value is not finite (e.g. an AUC
 * that was undefined on a one-class split).
 */
export function deltaM(
  results: TaskMetricTable,
  baselines: TaskMetricTable,
  directions: Readonly<Record<TaskId, Readonly<Record<string, boolean>>>>,
): DeltaReport {
  const terms: DeltaTerm[] = [];
  const perTask: Record<TaskId, number> = {};
  for (const [task, metrics] of Object.entries(directions)) {
    const names = Object.keys(metrics);
    if (names.length === 0) continue;
    let sum = 0;
    for (const metric of names) {
      const value = results[task]?.[metric];
      const baseline = baselines[task]?.[metric];
      if (value === undefined || baseline === undefined) {
        throw new ConfigError(
          `deltaM: ${value === undefined ? 'results' : 'baselines'} have no '${metric}' for task '${task}'; give every (task, metric) listed in directions, or remove it from directions`,
        );
      }
      if (!Number.isFinite(value) || !Number.isFinite(baseline)) {
        throw new NumericalError(
          `deltaM: '${metric}' of task '${task}' is not finite (result ${value}, baseline ${baseline}); remove the metric from directions or fix the evaluation`,
          { task },
        );
      }
      if (baseline === 0) {
        throw new ConfigError(
          `deltaM: baseline '${metric}' of task '${task}' is 0, and Δm is relative to the baseline; remove this metric from directions`,
        );
      }
      const higherIsBetter = metrics[metric] === true;
      const improvement = ((higherIsBetter ? value - baseline : baseline - value) / baseline) * 100;
      terms.push({ task, metric, value, baseline, higherIsBetter, improvement });
      sum += improvement;
    }
    perTask[task] = sum / names.length;
  }
  if (terms.length === 0) {
    throw new ConfigError('deltaM: directions list no (task, metric) term; nothing to compare');
  }
  const taskValues = Object.values(perTask);
  return {
    deltaM: -terms.reduce((s, t) => s + t.improvement, 0) / terms.length,
    deltaP: taskValues.reduce((s, v) => s + v, 0) / taskValues.length,
    perTask,
    terms,
  };
}
