/**
 * Seed statistics and Δm% for the results table. Pure host math on plain JSON values.
 */
import type { TaskId } from '../core/types.js';
import type { MethodSummary, ReportRun, Stat, TaskMetrics } from './types.js';

const HIGHER = new Set(['auc', 'accuracy', 'acc', 'r2', 'f1', 'precision', 'recall']);
const LOWER = new Set([
  'logloss',
  'loss',
  'cross-entropy',
  'mse',
  'rmse',
  'mae',
  'error',
  'deltam',
]);

/**
 * Direction of a metric by name: `true` when higher is better, `false` when lower is better,
 * `undefined` when unknown (such metrics are shown but not ranked and not part of Δm).
 */
export function higherIsBetter(metric: string): boolean | undefined {
  const m = metric.toLowerCase();
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
 * Nash-MTL, CAGrad and FAMO):
 *
 *   Δm = 100 · (1/M) · Σ_{(t,m)} (−1)^{h_m} · (M_{t,m} − B_{t,m}) / |B_{t,m}|
 *
 * averaged flat over every (task, metric) pair that both sides have and whose direction is known
 * (`h_m = 1` when higher is better). Lower is better; 0 means "as good as single-task".
 * Returns NaN when no pair is comparable or a baseline value is 0.
 */
export function deltaMPercent(
  metrics: TaskMetrics,
  baseline: Readonly<Record<TaskId, Readonly<Record<string, number>>>>,
): number {
  let sum = 0;
  let count = 0;
  for (const [task, row] of Object.entries(metrics)) {
    for (const [metric, value] of Object.entries(row)) {
      const dir = higherIsBetter(metric);
      const b = baseline[task]?.[metric];
      if (dir === undefined || b === undefined) continue;
      if (b === 0) return NaN;
      const rel = (value - b) / Math.abs(b);
      sum += dir ? -rel : rel;
      count++;
    }
  }
  return count === 0 ? NaN : (100 * sum) / count;
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
