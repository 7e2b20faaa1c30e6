/** Small host-side helpers for tests of weightings and aggregators. */
import { createRng } from '../core/rng.js';
import type { Gramian, StepContext } from '../core/types.js';

/** G = J·Jᵀ of a row-major list of task gradients (float64, exact for small integers). */
export function gramianOf(rows: readonly (readonly number[])[]): Gramian {
  const k = rows.length;
  const data = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      const a = rows[i]!;
      const b = rows[j]!;
      for (let p = 0; p < a.length; p++) s += a[p]! * b[p]!;
      data[i * k + j] = s;
    }
  }
  return { k, data };
}

/** d = Jᵀw on the host. */
export function combineRows(rows: readonly (readonly number[])[], w: ArrayLike<number>): number[] {
  const d = new Array<number>(rows[0]?.length ?? 0).fill(0);
  rows.forEach((r, i) => r.forEach((v, p) => (d[p]! += w[i]! * v)));
  return d;
}

/** Options of {@link stepContext}. */
export interface StepContextOptions {
  readonly numTasks: number;
  readonly seed?: number;
  readonly step?: number;
  readonly losses?: readonly number[];
}

/** A {@link StepContext} with tasks `t0..t{K−1}`, unit losses and a fresh seeded Rng. */
export function stepContext(o: StepContextOptions): StepContext {
  const tasks = Array.from({ length: o.numTasks }, (_, i) => `t${i}`);
  return {
    step: o.step ?? 0,
    epoch: 0,
    tasks,
    losses: Float64Array.from(o.losses ?? tasks.map(() => 1)),
    rng: createRng(o.seed ?? 0),
  };
}

/** Rows of a row-major matrix. */
export function rowsOf(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => data[i * cols + j]!),
  );
}
