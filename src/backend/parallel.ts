/**
 * Data-parallel gradients over worker threads (the wasm backend is single-threaded under Node,
 * PERFORMANCE.md §9, so this is how the wasm path uses more than one core).
 *
 * Each worker runs its own tfjs + wasm instance (with the manytask kernel overrides) and its own
 * copy of a {@link ShardProgram}. A step: the main thread writes the parameters into shared
 * memory, every worker computes the gradient of its rows of the batch (rows [lo, hi) of every
 * batch array) into its own slot of a shared gradient buffer, the workers meet at a barrier
 * (`Atomics.wait`), and each reduces its share of the coordinates, `g = Σ_w (n_w / B) · g_w`
 * (float64 per element), into the shared result. Because a program's losses are means over rows,
 * this equals the single-thread gradient of the whole batch up to float summation order.
 *
 * Nothing but plain options and SharedArrayBuffers crosses the thread boundary: the program is
 * named by module URL and export, and each worker builds it itself.
 */
import { ConfigError, MtlError } from '../core/errors.js';
import type { BackendOptions } from './init.js';
import { startWorker, type TypedWorker } from './worker-thread.js';

/** Batch arrays as the program sees them: row-major float32, split along the first axis. */
export type ShardBatch = Readonly<
  Record<string, { readonly data: Float32Array; readonly shape: readonly number[] }>
>;

/**
 * What each worker computes. Built inside the worker by `module[exportName](options)`.
 *
 * Contract: `compute` returns the gradient of the per-task losses, each a *mean over the rows*
 * `lo..hi` of the batch, so that shard results combine with weights n_w / B.
 */
export interface ShardProgram {
  /** Parameter shapes; the flat parameter and gradient layout is their concatenation in order. */
  readonly shapes: readonly (readonly number[])[];
  /** Number of task losses. */
  readonly tasks: number;
  /** Gradient rows per evaluation: 1 (summed losses) or `tasks` (one row per task). */
  readonly rows: number;
  /** Sets the parameters (views on shared memory: copy, do not keep them). */
  setParams(values: readonly Float32Array[]): void;
  /**
   * Gradient rows of the shard `[lo, hi)` into `grad` (`rows × D`, row-major) and the per-task
   * shard-mean losses into `losses`. Must not leak tensors.
   */
  compute(
    batch: ShardBatch,
    lo: number,
    hi: number,
    grad: Float32Array,
    losses: Float64Array,
  ): void;
  dispose(): void;
}

/** Factory a program module exports. */
export type ShardProgramFactory = (options: Readonly<Record<string, unknown>>) => ShardProgram;

/** Options of {@link createDataParallel}. */
export interface DataParallelOptions {
  /** Worker threads (≥ 1). */
  readonly workers: number;
  /** The program: ES module URL (string or URL), export name and JSON options. */
  readonly program: {
    readonly module: string | URL;
    readonly exportName: string;
    readonly options: Readonly<Record<string, unknown>>;
  };
  /** Backend options for every worker (default: wasm, BLAS off, quiet). */
  readonly backend?: Pick<BackendOptions, 'blas' | 'blasThreads'>;
  /** Worker entry script; default `parallel-worker.js` beside this module (the built package). */
  readonly workerUrl?: string | URL;
}

/** Result of one data-parallel gradient evaluation (owned by the caller; reused buffers). */
export interface ParallelGradient {
  /** `rows × D` reduced gradient. */
  readonly grad: Float32Array;
  /** Per-task losses over the whole batch. */
  readonly losses: Float64Array;
}

/** A pool of workers bound to one program. */
export interface DataParallel {
  readonly workers: number;
  readonly shapes: readonly (readonly number[])[];
  readonly tasks: number;
  readonly rows: number;
  /** Total parameter count D. */
  readonly size: number;
  /** The parameters, in shared memory (write here; workers read them at every step). */
  readonly params: Float32Array;
  /** Copies a batch into shared memory; every array must have the same first dimension. */
  setBatch(batch: ShardBatch): Promise<void>;
  /** One gradient evaluation over the current batch. The returned buffers are reused. */
  gradient(): Promise<ParallelGradient>;
  /**
   * CPU time each worker thread has used so far, in ms (from `/proc/thread-self/stat`, 10 ms
   * resolution; NaN where unavailable). Differences over many steps give the per-step critical
   * path, max over workers, which a busy machine does not inflate the way it inflates wall time.
   */
  threadCpuMs(): number[];
  /** Terminates the workers. Idempotent. */
  dispose(): Promise<void>;
}

/** Messages main → worker. */
export type ToWorker =
  | {
      readonly type: 'init';
      readonly index: number;
      readonly module: string;
      readonly exportName: string;
      readonly options: Readonly<Record<string, unknown>>;
      readonly backend: Pick<BackendOptions, 'blas' | 'blasThreads'>;
    }
  | {
      readonly type: 'buffers';
      readonly workers: number;
      readonly params: SharedArrayBuffer;
      /** Per-worker gradient slots, `workers × rows × D` float32. */
      readonly grad: SharedArrayBuffer;
      /** Per-worker shard losses, `workers × tasks` float64. */
      readonly losses: SharedArrayBuffer;
      /** Reduced gradient (`rows × D` float32) and losses (`tasks` float64). */
      readonly reduced: SharedArrayBuffer;
      readonly reducedLosses: SharedArrayBuffer;
      /** Int32 barrier counter. */
      readonly barrier: SharedArrayBuffer;
      /** Per-worker thread CPU time in ms (float64), written after each step (Linux only). */
      readonly cpu: SharedArrayBuffer;
    }
  | {
      readonly type: 'batch';
      readonly arrays: Readonly<
        Record<string, { readonly sab: SharedArrayBuffer; readonly shape: readonly number[] }>
      >;
    }
  | {
      readonly type: 'step';
      readonly lo: number;
      readonly hi: number;
      /** n_w / B for every worker (the reduction weights). */
      readonly scale: readonly number[];
      /** The barrier releases when the counter reaches `workers × generation`. */
      readonly generation: number;
    }
  | { readonly type: 'close' };

/** Messages worker → main. */
export type FromWorker =
  | {
      readonly type: 'ready';
      readonly shapes: number[][];
      readonly tasks: number;
      readonly rows: number;
    }
  | { readonly type: 'ok' }
  | { readonly type: 'error'; readonly message: string };

/** Contiguous row ranges of a batch of `b` rows over `w` workers (sizes differ by at most 1). */
export function shardRanges(b: number, w: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < w; i++) out.push([Math.floor((i * b) / w), Math.floor(((i + 1) * b) / w)]);
  return out;
}

/**
 * Coordinates `[lo, hi)` of `out = Σ_w scale[w] · slots[w]`, accumulated in float64 per element.
 * Each worker reduces its own share after the barrier.
 */
export function reduceSlots(
  slots: readonly Float32Array[],
  scale: readonly number[],
  out: Float32Array,
  lo: number,
  hi: number,
): void {
  if (slots.length === 2) {
    const [a, b] = slots as [Float32Array, Float32Array];
    const ca = scale[0] as number;
    const cb = scale[1] as number;
    for (let j = lo; j < hi; j++) out[j] = ca * (a[j] as number) + cb * (b[j] as number);
    return;
  }
  for (let j = lo; j < hi; j++) {
    let sum = 0;
    for (let w = 0; w < slots.length; w++) sum += (scale[w] as number) * (slots[w]![j] as number);
    out[j] = sum;
  }
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * Starts `workers` threads running the program and returns the pool once every worker is ready.
 * Node only (uses `node:worker_threads`). Throws {@link ConfigError} for bad options or a program
 * that fails to load in a worker (with the worker's message).
 */
export async function createDataParallel(opts: DataParallelOptions): Promise<DataParallel> {
  if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > 64)
    throw new ConfigError(
      `createDataParallel: option \`workers\` must be an integer in 1..64, got ${String(opts.workers)}`,
    );
  const url = opts.workerUrl ?? new URL('./parallel-worker.js', import.meta.url);
  const moduleUrl = String(opts.program.module);
  const pool: TypedWorker<ToWorker, FromWorker>[] = [];
  // One pending reply per worker; a worker error or exit rejects it.
  const pending: ({ resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined)[] =
    [];
  const expect = (i: number): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      pending[i] = { resolve, reject };
    });
  const settle = (i: number, m: FromWorker | Error): void => {
    const p = pending[i];
    pending[i] = undefined;
    if (p === undefined) return;
    if (m instanceof Error) p.reject(m);
    else if (m.type === 'error')
      p.reject(new ConfigError(`createDataParallel: worker ${i}: ${m.message}`));
    else p.resolve(m);
  };
  const roundTrip = async (msgs: (i: number) => ToWorker): Promise<FromWorker[]> => {
    const replies = pool.map((_, i) => expect(i));
    pool.forEach((w, i) => w.postMessage(msgs(i)));
    return Promise.all(replies);
  };
  let closed = false;
  for (let i = 0; i < opts.workers; i++) {
    const w = await startWorker<ToWorker, FromWorker>(url);
    w.on('message', (m) => settle(i, m));
    w.on('error', (e) => settle(i, e));
    w.on('exit', (code) => {
      if (!closed)
        settle(i, new MtlError('config', `createDataParallel: worker ${i} exited (code ${code})`));
    });
    pool.push(w);
  }
  let ready: FromWorker[];
  try {
    ready = await roundTrip((index) => ({
      type: 'init',
      index,
      module: moduleUrl,
      exportName: opts.program.exportName,
      options: opts.program.options,
      backend: { blas: 'off', ...opts.backend },
    }));
  } catch (err) {
    closed = true;
    await Promise.all(pool.map((w) => w.terminate()));
    throw err;
  }
  const first = ready[0] as Extract<FromWorker, { type: 'ready' }>;
  const shapes = first.shapes;
  const size = shapes.reduce((s, sh) => s + sizeOf(sh), 0);
  const { rows, tasks } = first;
  const nw = opts.workers;
  const paramsSab = new SharedArrayBuffer(4 * size);
  const gradSab = new SharedArrayBuffer(4 * size * rows * nw);
  const lossSab = new SharedArrayBuffer(8 * tasks * nw);
  const reducedSab = new SharedArrayBuffer(4 * size * rows);
  const reducedLossSab = new SharedArrayBuffer(8 * tasks);
  const barrier = new SharedArrayBuffer(4);
  const cpuSab = new SharedArrayBuffer(8 * nw);
  const cpu = new Float64Array(cpuSab).fill(NaN);
  await roundTrip(() => ({
    type: 'buffers',
    workers: nw,
    params: paramsSab,
    grad: gradSab,
    losses: lossSab,
    reduced: reducedSab,
    reducedLosses: reducedLossSab,
    barrier,
    cpu: cpuSab,
  }));
  const params = new Float32Array(paramsSab);
  const grad = new Float32Array(reducedSab);
  const losses = new Float64Array(reducedLossSab);
  let generation = 0;
  let batchRows = -1;

  return {
    workers: nw,
    shapes,
    tasks,
    rows,
    size,
    params,
    async setBatch(batch) {
      const names = Object.keys(batch);
      if (names.length === 0)
        throw new ConfigError('DataParallel.setBatch: the batch has no arrays');
      const b = batch[names[0]!]!.shape[0] ?? 0;
      const arrays: Record<string, { sab: SharedArrayBuffer; shape: readonly number[] }> = {};
      for (const name of names) {
        const a = batch[name]!;
        if (a.shape[0] !== b || a.data.length !== sizeOf(a.shape))
          throw new ConfigError(
            `DataParallel.setBatch: array '${name}' has shape [${a.shape.join(', ')}] and ${a.data.length} values; every array needs ${b} rows and size = product of its shape`,
          );
        const sab = new SharedArrayBuffer(4 * a.data.length);
        new Float32Array(sab).set(a.data);
        arrays[name] = { sab, shape: [...a.shape] };
      }
      if (b < nw)
        throw new ConfigError(
          `DataParallel.setBatch: ${b} rows cannot be split over ${nw} workers`,
        );
      await roundTrip(() => ({ type: 'batch', arrays }));
      batchRows = b;
    },
    async gradient() {
      if (batchRows < 0) throw new ConfigError('DataParallel.gradient: call setBatch first');
      const ranges = shardRanges(batchRows, nw);
      const scale = ranges.map(([lo, hi]) => (hi - lo) / batchRows);
      generation++;
      await roundTrip((i) => ({
        type: 'step',
        lo: ranges[i]![0],
        hi: ranges[i]![1],
        scale,
        generation,
      }));
      return { grad, losses };
    },
    threadCpuMs: () => Array.from(cpu),
    async dispose() {
      if (closed) return;
      closed = true;
      for (const w of pool) w.postMessage({ type: 'close' });
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
