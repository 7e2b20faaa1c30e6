/**
 * Data-parallel training steps over worker threads: how the wasm path, single-threaded under Node
 * (PERFORMANCE.md §9), uses more than one core for a real model and any method.
 *
 * A pool of `threads − 1` workers each holds its own tfjs instance and its own copy of the model,
 * rebuilt from the model's recipe (architecture id, options, input spec, tasks). A step splits the
 * batch into `threads` contiguous row ranges; the main thread keeps the first and every worker gets
 * one. {@link recordForwardSharded} returns a {@link GradientSession} over the whole batch whose
 * forward and every gradient request run on all shards at once: the main thread posts the request
 * to the workers, serves its own shard, then blocks (`Atomics.wait`) until the workers' answers
 * are in and combines them (`./shard.ts` says why the combination is exact). The training step
 * uses it in place of the single-thread session, so every loss weighting, aggregator, Jacobian
 * mode, `jacobianEvery` and task optimiser run unchanged, and the result equals the single-thread
 * step up to float summation order.
 *
 * Limits (checked with a clear error where they apply):
 * - the model must be rebuildable from its recipe: a registry architecture (custom models built
 *   by hand cannot be copied into a worker);
 * - no regularisers (their penalty is a non-linear function of the whole batch's gradients) and
 *   no bi-level methods (they re-run the model on batch halves on the main thread);
 * - random forward noise per row (dropout) is drawn per shard: same distribution, not the same
 *   draw as one thread. Per-step noise (Gumbel-Matrix samples) is the same draw on every shard.
 * - a batch with fewer rows than `2 × threads` runs on the main thread alone.
 */
import * as tf from '@tensorflow/tfjs';
import type { MessagePort } from 'node:worker_threads';
import { modelRecipe, type ModelRecipe } from '../architectures/io.js';
import { relativeName } from '../architectures/params.js';
import {
  modelVariables,
  recordForward,
  type GradientSession,
  type SessionOptions,
  type TaskGradients,
} from '../autodiff/jacobian.js';
import { sameBackendOptions, type BackendOptions } from '../backend/init.js';
import { shardRanges } from '../backend/parallel.js';
import { startWorker, workerThreads, type TypedWorker } from '../backend/worker-thread.js';
import { ConfigError, MtlError, ShapeError } from '../core/errors.js';
import type { Batch, MtlModel } from '../core/model.js';
import type { RngState } from '../core/rng.js';
import type { ParamTree } from '../core/types.js';
import { batchArrays } from '../data/batches.js';
import {
  batchToHost,
  sliceBatch,
  tensorRowsToHost,
  type HostArray,
  type HostBatch,
} from './batch-rows.js';
import {
  isRowBlock,
  serveShard,
  SHARD_KEY,
  shardShares,
  type ShardRequest,
  type ShardShare,
} from './shard.js';

/** A shard request as it crosses the thread boundary (feature cotangents as host arrays). */
export type WireRequest =
  | Exclude<ShardRequest, { op: 'backward' }>
  | (Omit<Extract<ShardRequest, { op: 'backward' }>, 'features'> & {
      readonly features?: Readonly<Record<string, HostArray>>;
    });

/** Messages main → worker on the step channel. */
export type ToShard =
  | {
      readonly type: 'forward';
      /** Every trainable variable, concatenated in the order of `names` at init. */
      readonly params: Float32Array;
      readonly batch: HostBatch;
      readonly rng: RngState;
      readonly step: number;
      readonly epoch: number;
    }
  | { readonly type: 'serve'; readonly request: WireRequest; readonly share: ShardShare }
  | { readonly type: 'release' };

/** Messages worker → main on the step channel. */
export type FromShard =
  | { readonly type: 'forward'; readonly losses: Float64Array; readonly labelled: Float64Array }
  | {
      readonly type: 'serve';
      readonly results: readonly {
        readonly key: string;
        readonly shape: readonly number[];
        readonly data: Float32Array;
      }[];
    }
  | { readonly type: 'error'; readonly name: string; readonly message: string };

/** The init message (on the worker's own port). */
export interface WorkerInit {
  readonly type: 'init';
  readonly recipe: ModelRecipe;
  /** Canonical (scope-free) names of the trainable variables, in parameter order. */
  readonly names: readonly string[];
  readonly engine: 'tape' | 'naive';
  readonly backend: BackendOptions;
  readonly port: MessagePort;
  readonly signal: SharedArrayBuffer;
  readonly slot: number;
}

/** Options of {@link createShardPool}. */
export interface ShardPoolOptions {
  /** Compute threads including the main thread (≥ 2): `threads − 1` workers are started. */
  readonly threads: number;
  /** The model to train; its recipe is rebuilt in every worker. */
  readonly model: MtlModel;
  /** Engine of every shard's session (default `'tape'`). */
  readonly engine?: 'tape' | 'naive';
  /** Backend of the workers (default: the main thread's backend, no BLAS, quiet). */
  readonly backend?: BackendOptions;
  /** Longest wait for a worker's answer, in ms (default 600,000): a worker that died is reported. */
  readonly timeoutMs?: number;
  /** Worker script (default `data-parallel-worker.js` beside this module). */
  readonly workerUrl?: string | URL;
}

/** Worker threads bound to one model; pass it as the step's `parallel` option. */
export interface ShardPool {
  readonly threads: number;
  readonly recipe: ModelRecipe;
  /** The workers' backend (e.g. `wasm`). */
  readonly backend: string;
  /** Canonical names of the model's trainable variables, in the order parameters are sent. */
  readonly names: readonly string[];
  /** @internal Posts to worker `i`. */
  post(i: number, m: ToShard, transfer?: ArrayBuffer[]): void;
  /** @internal Blocks until worker `i` answers. */
  receive(i: number): FromShard;
  /** Stops the workers. Idempotent. */
  dispose(): Promise<void>;
}

/** Messages on a worker's own port (set-up and shutdown; steps use the channel). */
export type ToShardWorker = WorkerInit | { readonly type: 'close' };
export type FromShardWorker =
  | { readonly type: 'ready'; readonly backend: string }
  | { readonly type: 'error'; readonly message: string };
type ShardWorker = TypedWorker<ToShardWorker, FromShardWorker>;

/**
 * Starts `threads − 1` worker threads, each with a copy of `model` (Node only). Resolves once every
 * worker has built the model.
 *
 * @throws {ConfigError} For bad options, a model that cannot be rebuilt from its recipe, or a
 * worker that fails to start (with the worker's message).
 */
export async function createShardPool(opts: ShardPoolOptions): Promise<ShardPool> {
  if (!Number.isInteger(opts.threads) || opts.threads < 2 || opts.threads > 64)
    throw new ConfigError(
      `createShardPool: option \`threads\` must be an integer in 2..64 (the main thread counts as one), got ${String(opts.threads)}`,
    );
  const { MessageChannel, receiveMessageOnPort } = await workerThreads();
  const recipe = modelRecipe(opts.model);
  const vars = modelVariables(opts.model);
  const names = [...vars.byName.keys()].map(relativeName);
  if (new Set(names).size !== names.length)
    throw new ConfigError(
      `createShardPool: model '${opts.model.architecture}' has variables whose names differ only in their scope; data-parallel training needs unique names`,
    );
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const url = opts.workerUrl ?? new URL('./data-parallel-worker.js', import.meta.url);
  const n = opts.threads - 1;
  const signalSab = new SharedArrayBuffer(4 * n);
  const signal = new Int32Array(signalSab);
  const expected = new Array<number>(n).fill(0);
  const workers: ShardWorker[] = [];
  const ports: MessagePort[] = [];
  let closed = false;
  const startOne = async (slot: number): Promise<string> => {
    const w = await startWorker<ToShardWorker, FromShardWorker>(url);
    workers.push(w);
    return new Promise((resolve, reject) => {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      w.on('message', (m) => {
        if (m.type === 'ready') resolve(m.backend);
        else if (m.type === 'error')
          reject(
            new ConfigError(
              `createShardPool: worker ${slot + 1} could not build model '${recipe.architecture}': ${m.message}`,
            ),
          );
      });
      w.on('error', (e) =>
        reject(new ConfigError(`createShardPool: worker ${slot + 1} failed: ${e.message}`)),
      );
      w.on('exit', (code) => {
        if (!closed)
          reject(new ConfigError(`createShardPool: worker ${slot + 1} exited (code ${code})`));
      });
      const init: WorkerInit = {
        type: 'init',
        recipe,
        names,
        engine: opts.engine ?? 'tape',
        backend: opts.backend ?? { ...sameBackendOptions(), blas: 'off' },
        port: port2,
        signal: signalSab,
        slot,
      };
      w.postMessage(init, [port2]);
    });
  };
  let backends: string[];
  try {
    backends = await Promise.all(Array.from({ length: n }, (_, i) => startOne(i)));
  } catch (err) {
    closed = true;
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  // A pool nobody disposed must not keep the process alive.
  for (const w of workers) w.unref();
  for (const p of ports) p.unref();
  return {
    threads: opts.threads,
    recipe,
    backend: backends[0]!,
    names,
    post(i, m, transfer = []) {
      if (closed) throw new ConfigError('ShardPool: the pool was disposed');
      ports[i]!.postMessage(m, transfer);
      if (m.type !== 'release') expected[i]!++;
    },
    receive(i) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const cur = Atomics.load(signal, i);
        if (cur >= expected[i]!) {
          const got = receiveMessageOnPort(ports[i]!);
          if (got !== undefined) return got.message as FromShard;
          // Signalled before the message is visible on this side: poll briefly.
          Atomics.wait(signal, i, cur, 1);
        } else {
          const left = deadline - Date.now();
          if (left <= 0 || Atomics.wait(signal, i, cur, Math.min(left, 1000)) === 'timed-out') {
            if (Date.now() >= deadline)
              throw new MtlError(
                'config',
                `ShardPool: worker ${i + 1} did not answer within ${timeoutMs} ms; it may have run out of memory or crashed (raise timeoutMs for very large steps)`,
              );
          }
        }
      }
    },
    async dispose() {
      if (closed) return;
      closed = true;
      for (const w of workers) w.postMessage({ type: 'close' });
      await Promise.all(workers.map((w) => w.terminate()));
      for (const p of ports) p.close();
    },
  };
}

/**
 * Checks that `pool` was built for `model` and that the step's options allow sharding.
 *
 * @throws {ConfigError} Naming the option that cannot be combined with worker threads.
 */
export function checkShardable(
  pool: ShardPool,
  model: MtlModel,
  what: { readonly regularizers: number; readonly bilevel: boolean },
): void {
  const recipe = modelRecipe(model);
  if (JSON.stringify(recipe) !== JSON.stringify(pool.recipe))
    throw new ConfigError(
      `trainStep: option \`parallel\` was created for another model ('${pool.recipe.architecture}'); create the pool from the model you train`,
    );
  if (what.regularizers > 0)
    throw new ConfigError(
      'trainStep: regularisers cannot run data-parallel (their penalty depends on the whole batch’s gradients); drop `parallel` (threads) or the regularisers',
    );
  if (what.bilevel)
    throw new ConfigError(
      'trainStep: bi-level methods cannot run data-parallel (they re-run the model on batch halves); drop `parallel` (threads) or use another method',
    );
}

/** A worker that answered something other than what was asked (its error message). */
interface ShardFailure {
  readonly worker: number;
  readonly message: FromShard;
}

function fail({ worker, message: m }: ShardFailure, what: string): never {
  if (m.type !== 'error')
    throw new MtlError('config', `ShardPool: worker ${worker + 1} answered '${m.type}' to ${what}`);
  const text = `worker ${worker + 1}, ${what}: ${m.message}`;
  throw m.name === 'ShapeError' ? new ShapeError(text) : new MtlError('config', text);
}

/**
 * The answers of kind `type` of the first `n` workers, in worker order, and the first worker that
 * answered otherwise. Every worker is read, so none is left with an unread answer.
 */
function receiveAll<T extends FromShard['type']>(
  pool: ShardPool,
  n: number,
  type: T,
): { answers: Extract<FromShard, { type: T }>[]; failure?: ShardFailure } {
  const answers: Extract<FromShard, { type: T }>[] = [];
  let failure: ShardFailure | undefined;
  for (let i = 0; i < n; i++) {
    const m = pool.receive(i);
    if (m.type === type) answers.push(m as Extract<FromShard, { type: T }>);
    else failure ??= { worker: i, message: m };
  }
  return failure === undefined ? { answers } : { answers, failure };
}

/**
 * {@link recordForward} over the whole `batch`, computed on the main thread and the pool's
 * workers. The returned session answers every request for the whole batch (see the module docs).
 * `opts.forward.rng` advances exactly as by one single-thread forward.
 */
export function recordForwardSharded(
  pool: ShardPool,
  model: MtlModel,
  batch: Batch,
  opts: SessionOptions,
): GradientSession {
  const shards = pool.threads;
  if (batch.size < 2 * shards) return recordForward(model, batch, opts);
  const vars = opts.variables ?? modelVariables(model);
  const canonToName = new Map([...vars.byName.keys()].map((n) => [relativeName(n), n]));
  const ranges = shardRanges(batch.size, shards);
  const shares = shardShares(batch, model.tasks, ranges);
  const nw = shards - 1;
  const owned: tf.Tensor[] = [];

  // Forward: post to the workers first, then record the main thread's shard meanwhile.
  const params = new Float32Array(
    pool.names.reduce((s, c) => s + vars.byName.get(canonToName.get(c)!)!.size, 0),
  );
  let off = 0;
  for (const c of pool.names) {
    const v = vars.byName.get(canonToName.get(c)!)!;
    params.set(v.dataSync() as Float32Array, off);
    off += v.size;
  }
  const rng = opts.forward.rng.state();
  const workerRanges = ranges.slice(1);
  const hosts = batchToHost(batch, workerRanges);
  for (let i = 0; i < nw; i++) {
    const host = hosts[i]!;
    const p = i === nw - 1 ? params : params.slice();
    pool.post(
      i,
      {
        type: 'forward',
        params: p,
        batch: host,
        rng,
        step: opts.forward.step,
        epoch: opts.epoch ?? 0,
      },
      [p.buffer, ...batchArrays(host).map((a) => a.data.buffer as ArrayBuffer)],
    );
  }
  const mine = sliceBatch(batch, 0, ranges[0]![1]);
  let local: GradientSession;
  try {
    local = recordForward(model, mine.batch, opts);
  } catch (e) {
    mine.dispose();
    for (let i = 0; i < nw; i++) pool.receive(i);
    for (let i = 0; i < nw; i++) pool.post(i, { type: 'release' });
    throw e;
  }
  const k = vars.tasks.length;
  const losses = Float64Array.from(local.lossVector.dataSync(), (x, t) => x * shares[0]!.tasks[t]!);
  const labelled = Float64Array.from(local.labelled.dataSync());
  const release = (): void => {
    local.dispose();
    mine.dispose();
    for (let i = 0; i < nw; i++) pool.post(i, { type: 'release' });
    tf.dispose(owned);
  };
  const forward = receiveAll(pool, nw, 'forward');
  if (forward.failure !== undefined) {
    release();
    fail(forward.failure, 'forward');
  }
  forward.answers.forEach((m, i) => {
    for (let t = 0; t < k; t++) {
      losses[t]! += m.losses[t]! * shares[i + 1]!.tasks[t]!;
      labelled[t]! += m.labelled[t]!;
    }
  });
  const lossScalars = Array.from(losses, (x) => tf.scalar(x));
  const lossVector = tf.tensor1d(Float32Array.from(losses));
  const labelledT = tf.tensor1d(Float32Array.from(labelled));
  owned.push(...lossScalars, lossVector, labelledT);

  /** Runs `req` on every shard and returns the combined results by key (owned by the caller). */
  const serve = (req: ShardRequest): Record<string, tf.Tensor> => {
    // Feature cotangents are per row: each worker gets its rows (every tensor read once).
    const features =
      req.op === 'backward' && req.features !== undefined
        ? Object.entries(req.features).map(
            ([key, d]) => [key, tensorRowsToHost(d, workerRanges)] as const,
          )
        : undefined;
    for (let i = 0; i < nw; i++) {
      const wire: WireRequest =
        features !== undefined
          ? {
              ...(req as Extract<ShardRequest, { op: 'backward' }>),
              features: Object.fromEntries(features.map(([key, rows]) => [key, rows[i]!])),
            }
          : (req as WireRequest);
      pool.post(i, { type: 'serve', request: wire, share: shares[i + 1]! });
    }
    const localReq: ShardRequest =
      req.op === 'backward' && req.features !== undefined
        ? {
            ...req,
            features: Object.fromEntries(
              Object.entries(req.features).map(([key, d]) => [
                key,
                tf.slice(d, [0], [ranges[0]![1]]),
              ]),
            ),
          }
        : req;
    let mineOut: Record<string, tf.Tensor>;
    try {
      mineOut = serveShard(local, localReq, shares[0]!, relativeName);
    } finally {
      if (localReq !== req && localReq.op === 'backward')
        tf.dispose(Object.values(localReq.features ?? {}));
    }
    const served = receiveAll(pool, nw, 'serve');
    const parts: Record<string, tf.Tensor>[] = [
      mineOut,
      ...served.answers.map((m) =>
        Object.fromEntries(
          m.results.map((r) => [r.key, tf.tensor(r.data, [...r.shape], 'float32')]),
        ),
      ),
    ];
    try {
      if (served.failure !== undefined) fail(served.failure, req.op);
      return tf.tidy(() => {
        const out: Record<string, tf.Tensor> = {};
        for (const key of Object.keys(mineOut)) {
          const ts = parts.map((p) => p[key]);
          if (ts.some((t) => t === undefined))
            throw new MtlError(
              'config',
              `ShardPool: a worker's answer to ${req.op} lacks '${key}'`,
            );
          out[key] = isRowBlock(key) ? tf.concat(ts as tf.Tensor[], 1) : tf.addN(ts as tf.Tensor[]);
        }
        return out;
      });
    } finally {
      for (const p of parts) tf.dispose(Object.values(p));
    }
  };

  /** Results under `prefix`, keyed by the main model's variable names (or `features:<i>`). */
  const under = (r: Record<string, tf.Tensor>, prefix: string): Record<string, tf.Tensor> => {
    const out: Record<string, tf.Tensor> = {};
    for (const [key, t] of Object.entries(r)) {
      if (!key.startsWith(prefix)) continue;
      const name = key.slice(prefix.length);
      out[canonToName.get(name) ?? name] = t;
    }
    return out;
  };

  return {
    engine: local.engine,
    tasks: vars.tasks,
    variables: vars,
    losses: lossScalars,
    lossVector,
    labelled: labelledT,
    penalties: local.penalties,
    hasAdditive: local.hasAdditive,
    featureKeys: local.featureKeys,
    get backwardPasses() {
      return local.backwardPasses;
    },
    get headPasses() {
      return local.headPasses;
    },
    taskJacobian(mode): TaskGradients {
      const r = serve({ op: 'taskJacobian', mode });
      return {
        jacobian: { tasks: vars.tasks, blocks: under(r, SHARD_KEY.jacobian) },
        heads: under(r, SHARD_KEY.heads),
        extra: under(r, SHARD_KEY.extra),
      };
    },
    headGrads(): ParamTree {
      return under(serve({ op: 'headGrads' }), SHARD_KEY.heads);
    },
    backward(cot, groups): ParamTree {
      const additive =
        cot.additive === true ? 1 : typeof cot.additive === 'number' ? cot.additive : 0;
      const r = serve({
        op: 'backward',
        ...(cot.lossWeights !== undefined ? { lossWeights: Array.from(cot.lossWeights) } : {}),
        ...(cot.features !== undefined ? { features: cot.features } : {}),
        additive,
        groups,
      });
      return under(r, SHARD_KEY.grad);
    },
    dispose: release,
  };
}
