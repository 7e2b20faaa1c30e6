/**
 * Seed statistics and Δm% for the results table. Pure host math on plain JSON values.
 */
import { MtlError } from '../core/errors.js';
import type { TaskId } from '../core/types.js';
import { deltaM } from '../metrics/delta-m.js';
import { METRIC_DIRECTIONS } from '../metrics/task-metrics.js';
import type { MethodSummary, ReportRun, Stat, TaskMetrics } from './types.js';

// Beyond the metrics manytask computes (METRIC_DIRECTIONS), names user-supplied results may use.
const HIGHER = new Set(['acc', 'r2', 'f1', 'precision', 'recall']);
const LOWER = new Set(['loss', 'cross-entropy', 'rmse', 'error', 'deltam']);

/**
 * Direction of a metric by name: `true` when higher is better, `false` when lower is better,
 * `undefined` when unknown (such metrics are shown but not ranked and not part of Δm).
 */
export function higherIsBetter(metric: string): boolean | undefined {
  const m = metric.toLowerCase();
  const known = (METRIC_DIRECTIONS as Readonly<Record<string, boolean>>)[m];
  if (known !== undefined) return known;
  if (HIGHER.has(m)) return true;
  if (LOWER.has(m)) return false;
  return undefined;
}

/** Mean and sample standard deviation (n − 1 denominator; 0 when n = 1). */
export function stat(values: readonly number[]): Stat {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** Task → metric → stat over several metric sets (keys present in every set only). */
export function statMetrics(sets: readonly TaskMetrics[]): Record<TaskId, Record<string, Stat>> {
  const out: Record<TaskId, Record<string, Stat>> = {};
  const first = sets[0];
  if (first === undefined) return out;
  for (const [task, metrics] of Object.entries(first)) {
    const row: Record<string, Stat> = {};
    for (const metric of Object.keys(metrics)) {
      const values = sets.map((s) => s[task]?.[metric]);
      if (values.every((v): v is number => typeof v === 'number')) row[metric] = stat(values);
    }
    out[task] = row;
  }
  return out;
}

/**
 * Δm% of one run against single-task baselines (Maninis et al., CVPR 2019; the form used by
 * Nash-MTL, CAGrad and FAMO), computed by `metrics/deltaM`:
 *
 *   Δm = 100 · (1/M) · Σ_{(t,m)} (−1)^{h_m} · (M_{t,m} − B_{t,m}) / B_{t,m}
 *
 * averaged flat over every (task, metric) pair that both sides have and whose direction is known
 * (`h_m = 1` when higher is better). Lower is better; 0 means "as good as single-task".
 * Returns NaN when no pair is comparable or a term is undefined (a zero baseline, a non-finite
 * value such as the AUC of a one-class split): the table then shows "—" instead of a number.
 */
export function deltaMPercent(
  metrics: TaskMetrics,
  baseline: Readonly<Record<TaskId, Readonly<Record<string, number>>>>,
): number {
  const directions: Record<TaskId, Record<string, boolean>> = {};
  for (const [task, row] of Object.entries(metrics)) {
    for (const metric of Object.keys(row)) {
      const dir = higherIsBetter(metric);
      if (dir === undefined || baseline[task]?.[metric] === undefined) continue;
      (directions[task] ??= {})[metric] = dir;
    }
  }
  if (Object.keys(directions).length === 0) return NaN;
  try {
    // `+ 0` turns the −0 of a run equal to its baseline into the 0 the table prints.
    return deltaM(metrics, baseline, directions).deltaM + 0;
  } catch (err) {
    if (err instanceof MtlError) return NaN;
    throw err;
  }
}

/** Baseline means per task and metric, the reference of Δm. */
export function baselineMeans(
  baseline: Readonly<Record<TaskId, Readonly<Record<string, Stat>>>>,
): Record<TaskId, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(baseline).map(([task, row]) => [
      task,
      Object.fromEntries(Object.entries(row).map(([m, s]) => [m, s.mean])),
    ]),
  );
}

/**
 * Summarises one method's runs (all seeds): mean ± std of every final test metric and, when
 * baselines are given, of the per-run Δm% against the baseline means.
 */
export function summarizeMethod(
  method: string,
  displayName: string,
  runs: readonly ReportRun[],
  baseline?: Readonly<Record<TaskId, Readonly<Record<string, Stat>>>>,
  seconds?: number,
): MethodSummary {
  const mine = runs.filter((r) => r.method === method);
  const test = statMetrics(mine.map((r) => r.test));
  const ref = baseline !== undefined ? baselineMeans(baseline) : undefined;
  const deltas = ref !== undefined ? mine.map((r) => deltaMPercent(r.test, ref)) : [];
  return {
    method,
    displayName,
    test,
    ...(ref !== undefined && deltas.every(Number.isFinite) && deltas.length > 0
      ? { deltaM: stat(deltas) }
      : {}),
    ...(seconds !== undefined ? { seconds } : {}),
  };
}

/**
 * Indices of the best entries (ties included) of a column; NaN entries never win.
 * Empty when the direction is unknown, fewer than two finite entries exist, or all of them tie.
 */
export function bestIndices(means: readonly number[], higher: boolean | undefined): number[] {
  if (higher === undefined) return [];
  const finite = means.filter(Number.isFinite);
  if (finite.length < 2) return [];
  const best = higher ? Math.max(...finite) : Math.min(...finite);
  // Float noise from averaging must not break an exact tie between methods.
  const tol = Math.abs(best) * 1e-9;
  const winners = means.flatMap((m, i) =>
    Number.isFinite(m) && Math.abs(m - best) <= tol ? [i] : [],
  );
  // A column where every method ties tells nothing: mark none.
  return winners.length === finite.length ? [] : winners;
}
