/**
 * `bench --jobs N`: independent bench runs trained side by side in N worker threads (each its own
 * tfjs instance), the main thread only scheduling and reporting. The wasm backend uses one core
 * per thread, so on a machine with N cores a bench of many small runs takes about 1/N of the time.
 * Every run is seeded on its own, so a run's result does not depend on where or when it trains.
 */
import type { BackendOptions } from '../../backend/init.js';
import { startWorker, type TypedWorker } from '../../backend/worker-thread.js';
import { MtlError } from '../../core/errors.js';
import type { TaskMetrics } from '../../report/types.js';

/** Messages main → worker. */
export type ToBenchWorker =
  | { readonly type: 'init'; readonly backend: BackendOptions }
  | {
      readonly type: 'run';
      readonly id: number;
      /** The run configuration in its JSON form (`runConfigToJson`). */
      readonly config: Record<string, unknown>;
      readonly dir: string;
      readonly label: string;
      readonly resume: boolean;
    }
  | { readonly type: 'interrupt' }
  | { readonly type: 'close' };

/** Messages worker → main. */
export type FromBenchWorker =
  | { readonly type: 'ready' }
  | {
      readonly type: 'progress';
      readonly id: number;
      readonly done: number;
      readonly status?: string;
    }
  | { readonly type: 'log'; readonly id: number; readonly line: string }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly status: 'complete' | 'interrupted';
      readonly test: TaskMetrics;
      readonly seconds: number;
    }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly name: string;
      readonly message: string;
    };

/** One run to train. */
export interface BenchJob {
  readonly id: number;
  readonly config: Record<string, unknown>;
  readonly dir: string;
  readonly label: string;
  readonly resume: boolean;
}

/** Options of {@link runBenchJobs}. */
export interface BenchJobsOptions {
  readonly jobs: number;
  /** Backend of every worker (the main thread's choice, so that results do not depend on jobs). */
  readonly backend: BackendOptions;
  readonly interrupt: { readonly requested: boolean };
  readonly workerUrl?: string | URL;
  /** Steps done so far in run `id` (from its start) and its status text. */
  onProgress(id: number, done: number, status?: string): void;
  onStart(id: number): void;
  onLog(id: number, line: string): void;
  onDone(
    id: number,
    r: {
      readonly status: 'complete' | 'interrupted';
      readonly test: TaskMetrics;
      readonly seconds: number;
    },
  ): void;
}

type BenchWorker = TypedWorker<ToBenchWorker, FromBenchWorker>;

/**
 * Trains `jobs` in order over `opts.jobs` workers. Resolves when every run has finished or, after
 * an interrupt, when the running ones have written their checkpoints; `interrupted` says which.
 *
 * @throws {MtlError} When a run fails (after the other workers stopped), with the run's label.
 */
export async function runBenchJobs(
  jobs: readonly BenchJob[],
  opts: BenchJobsOptions,
): Promise<{ interrupted: boolean }> {
  const url = opts.workerUrl ?? new URL('./bench-worker.js', import.meta.url);
  const n = Math.max(1, Math.min(opts.jobs, jobs.length));
  const workers: BenchWorker[] = [];
  const queue = [...jobs];
  let interrupted = false;
  let failure: Error | undefined;
  let forwarded = false;
  const stopAll = (): void => {
    if (forwarded) return;
    forwarded = true;
    for (const w of workers) w.postMessage({ type: 'interrupt' });
  };
  const poll = setInterval(() => {
    if (opts.interrupt.requested) stopAll();
  }, 100);
  const serve = (w: BenchWorker, index: number): Promise<void> =>
    new Promise((resolve) => {
      let current: BenchJob | undefined;
      let exited = false;
      const next = (): void => {
        current = undefined;
        if (
          failure !== undefined ||
          interrupted ||
          opts.interrupt.requested ||
          queue.length === 0
        ) {
          resolve();
          return;
        }
        current = queue.shift()!;
        opts.onStart(current.id);
        w.postMessage({ type: 'run', ...current });
      };
      const fail = (e: Error): void => {
        failure ??= e;
        stopAll();
        resolve();
      };
      w.on('message', (m) => {
        switch (m.type) {
          case 'ready':
            next();
            return;
          case 'progress':
            opts.onProgress(m.id, m.done, m.status);
            return;
          case 'log':
            opts.onLog(m.id, m.line);
            return;
          case 'done':
            opts.onDone(m.id, m);
            if (m.status === 'interrupted') interrupted = true;
            next();
            return;
          case 'error':
            fail(
              new MtlError(
                'config',
                `${current?.label ?? `bench worker ${index + 1}`}: ${m.message}`,
              ),
            );
            return;
        }
      });
      w.on('error', (e) => fail(new MtlError('config', `bench worker ${index + 1}: ${e.message}`)));
      w.on('exit', (code) => {
        if (!exited && current !== undefined)
          fail(
            new MtlError(
              'config',
              `bench worker ${index + 1} exited (code ${code}) during ${current.label}`,
            ),
          );
        exited = true;
      });
      w.postMessage({ type: 'init', backend: opts.backend });
    });
  try {
    for (let i = 0; i < n; i++)
      workers.push(await startWorker<ToBenchWorker, FromBenchWorker>(url));
    await Promise.all(workers.map((w, i) => serve(w, i)));
  } finally {
    clearInterval(poll);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure !== undefined) throw failure;
  return { interrupted: interrupted || (opts.interrupt.requested && queue.length > 0) };
}
