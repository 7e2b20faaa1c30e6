/** Wall-clock timing for the perf command and the start-up BLAS probe (never used in tests). */

/** Timings of one measured function, in milliseconds. */
export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
  /**
   * Median CPU time (user + system) of this process per call, in ms: close to the wall time of a
   * single-threaded step on an idle machine and much less disturbed by other processes on a busy
   * one. Threads of this process (BLAS, workers' own CPU is not included) add to it.
   */
  readonly cpuMedian: number;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function summarise(samples: number[], cpu: number[]): Timing {
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples,
    cpuMedian: median(cpu),
  };
}

/** Runs `f` `warmup` times untimed, then `reps` times timed; `f` must force its own results. */
export function measure(f: () => void, opts: { warmup: number; reps: number }): Timing {
  for (let i = 0; i < opts.warmup; i++) f();
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < Math.max(1, opts.reps); i++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    f();
    samples.push(performance.now() - t0);
    cpu.push(cpuNow() - c0);
  }
  return summarise(samples, cpu);
}

/** Async variant of {@link measure} (worker-parallel steps). */
export async function measureAsync(
  f: () => Promise<unknown>,
  opts: { warmup: number; reps: number },
): Promise<Timing> {
  for (let i = 0; i < opts.warmup; i++) await f();
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < Math.max(1, opts.reps); i++) {
    const c0 = cpuNow();
    const t0 = performance.now();
    await f();
    samples.push(performance.now() - t0);
    cpu.push(cpuNow() - c0);
  }
  return summarise(samples, cpu);
}
