/**
 * `manytask perf`: the step benchmark of PERFORMANCE.md (a command, not a test). Runs, in one
 * process, the step variants on a shared-trunk MLP and on MMoE for several K on every available
 * backend path, and prints median ms (and CPU ms), GFLOP/s (6·B·P), the ratio to the EW step of
 * the same path and model, peak tensor memory and RSS, plus the issue #8 targets it can check.
 *
 * Variants:
 * - `ew-plain`: the PERFORMANCE.md model in plain `tf.variable`s (256→512→512, K heads of 16,
 *   summed MSE, SGD): the step `bench/pytorch_step.py` mirrors in PyTorch.
 * - `ew`, `jacobian`, `features`, `jacobianEvery10`: the engine on a registry model (`mlp` =
 *   `shared-bottom` with hidden [512, 512] and towers [16]; `mmoe` = 4 experts of [256, 128]),
 *   K regression tasks, UPGrad. `ew` is one weighted backward; `jacobian` the exact per-task
 *   Jacobian (K backward passes); `features` per-task gradients of the trunk features and one
 *   trunk backward; `jacobianEvery10` the Jacobian every 10th step and cached weights otherwise
 *   (timed over whole 10-step cycles).
 * - On the `workers2` path, `ew-plain` runs data-parallel over two worker threads.
 * - On the `threads2` path, `ew`, `jacobian` and `features` run the engine's data-parallel
 *   session (`train --threads 2`): half the batch on the main thread, half on one worker.
 */
import { parseArgs } from 'node:util';
import { availableParallelism, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.js';
import type { Batch, MtlModel, TaskSpec } from '../../core/model.js';
import { createRng } from '../../core/rng.js';
import type { Aggregator, ParamTree, StepContext } from '../../core/types.js';
import { defaultRegistry } from '../../registry/index.js';
import type { ArchitectureBuilder } from '../../core/model.js';
import { gramian, combine, jacobianSpec } from '../../autodiff/gramian.js';
import { modelVariables, recordForward, type GradientSession } from '../../autodiff/jacobian.js';
import { initBackend, type BackendInfo } from '../../backend/init.js';
import { restoreStockKernels, installWasmOverrides } from '../../backend/kernels.js';
import { loadBlas } from '../../backend/blas.js';
import {
  benchMlpBatch,
  benchMlpHost,
  benchMlpStepFlop,
  createBenchMlp,
  ewSgdStep,
} from '../../backend/bench-mlp.js';
import { createDataParallel } from '../../backend/parallel.js';
import {
  createShardPool,
  recordForwardSharded,
  type ShardPool,
} from '../../train/data-parallel.js';
import { measureAsync, type Timing } from '../../backend/timing.js';
import type { Command, CliIo } from './types.js';

/** A backend path the command can measure. */
interface BackendPath {
  readonly id: string;
  readonly description: string;
  /** Selects the path, or says why it is not available here. */
  setUp(): Promise<{ info: BackendInfo } | { unavailable: string }>;
  /** Variants measured on this path (slow reference paths: EW only). */
  readonly variants: readonly Variant[];
  /** Worker threads for the data-parallel path of the benchmark MLP program (`ew-plain`). */
  readonly workers?: number;
  /** Compute threads of the engine's data-parallel training step (`--threads`). */
  readonly threads?: number;
  readonly tearDown?: () => void;
}

/** One measured row. */
export interface PerfRow {
  readonly backend: string;
  readonly model: string;
  readonly k: number;
  readonly variant: string;
  readonly ms: number | null;
  readonly minMs?: number;
  readonly maxMs?: number;
  /** Median CPU time of the process per step (all its threads: BLAS, workers). */
  readonly cpuMs?: number;
  /**
   * Worker paths: mean CPU per step of the busiest worker thread (Linux). On an idle machine the
   * step takes about this long plus synchronisation; a busy machine inflates wall time, not this.
   */
  readonly criticalCpuMs?: number;
  readonly gflops?: number;
  /** ms / ms of the reference EW row (same backend and model; `ew-plain` rows: itself). */
  readonly ratioToEw?: number;
  /** The same ratio in CPU time (steadier on a loaded machine; single-thread paths). */
  readonly cpuRatioToEw?: number;
  readonly peakTensorMB?: number;
  readonly rssMB?: number;
  /** Why the row has no figure. */
  readonly unavailable?: string;
}

const ALL_VARIANTS = ['ew-plain', 'ew', 'jacobian', 'features', 'jacobianEvery10'] as const;
type Variant = (typeof ALL_VARIANTS)[number];
const MODELS = ['mlp', 'mmoe'] as const;
const DEFAULT_BACKENDS = ['wasm', 'blas', 'blas2', 'workers2', 'threads2', 'tensorflow'];

const quietInit = async (o: Parameters<typeof initBackend>[0]): Promise<BackendInfo> =>
  initBackend({ ...o, quiet: true });

function backendPaths(): Record<string, BackendPath> {
  const blasPath = (threads: number): BackendPath => ({
    id: threads === 1 ? 'blas' : `blas${threads}`,
    description: `wasm + native BLAS matmul, ${threads} BLAS thread${threads === 1 ? '' : 's'}`,
    // The engine ratios are measured at one thread; two threads: the EW steps (PyTorch pairing).
    variants: threads === 1 ? ALL_VARIANTS : ['ew-plain', 'ew'],
    async setUp() {
      const probe = await loadBlas();
      if (!probe.ok) return { unavailable: probe.reason };
      return { info: await quietInit({ prefer: 'wasm', blas: 'auto', blasThreads: threads }) };
    },
  });
  return {
    wasm: {
      id: 'wasm',
      description: 'wasm + manytask kernel fixes (default pure-npm path)',
      variants: ALL_VARIANTS,
      setUp: async () => ({ info: await quietInit({ prefer: 'wasm', blas: 'off' }) }),
    },
    'wasm-stock': {
      id: 'wasm-stock',
      description: 'wasm with the stock tfjs kernels (reference only)',
      variants: ['ew-plain'],
      async setUp() {
        const info = await quietInit({ prefer: 'wasm', blas: 'off' });
        restoreStockKernels();
        return { info: { ...info, kernels: [], message: 'wasm, stock tfjs kernels' } };
      },
      tearDown: () => void installWasmOverrides(),
    },
    blas: blasPath(1),
    blas2: blasPath(2),
    workers2: {
      id: 'workers2',
      description: 'wasm + kernel fixes in 2 worker threads, data-parallel (ew-plain only)',
      variants: ['ew-plain'],
      workers: 2,
      setUp: async () => ({ info: await quietInit({ prefer: 'wasm', blas: 'off' }) }),
    },
    threads2: {
      id: 'threads2',
      description:
        'wasm + kernel fixes, the engine step data-parallel on the main thread + 1 worker (train --threads 2)',
      variants: ['ew', 'jacobian', 'features'],
      threads: 2,
      setUp: async () => ({ info: await quietInit({ prefer: 'wasm', blas: 'off' }) }),
    },
    tensorflow: {
      id: 'tensorflow',
      description: '@tensorflow/tfjs-node (when installed)',
      variants: ALL_VARIANTS,
      async setUp() {
        try {
          return { info: await quietInit({ prefer: 'tensorflow' }) };
        } catch (err) {
          return { unavailable: err instanceof Error ? err.message : String(err) };
        }
      },
    },
    cpu: {
      id: 'cpu',
      description: 'tfjs pure-JS cpu backend (reference only, very slow)',
      variants: ['ew-plain'],
      setUp: async () => ({ info: await quietInit({ prefer: 'cpu' }) }),
    },
  };
}

function parseKs(text: string): number[] {
  const ks = text.split(',').map((s) => Number(s.trim()));
  if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1 || k > 64))
    throw new ConfigError(
      `perf: --k must be a comma-separated list of integers in 1..64, got '${text}'`,
    );
  return ks;
}

function parseList(name: string, text: string, known: readonly string[]): string[] {
  const xs = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const bad = xs.filter((x) => !known.includes(x));
  if (xs.length === 0 || bad.length > 0)
    throw new ConfigError(`perf: --${name} accepts ${known.join(', ')}; got '${text}'`);
  return xs;
}

const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

/** A prepared step: `run()` performs `steps` training steps and forces their results. */
interface StepHandle {
  run(): void | Promise<void>;
  /** FLOP of one step (6·B·P). */
  readonly flop: number;
  /** Steps per `run()` (10 for `jacobianEvery10`: timed over whole cycles). */
  readonly steps: number;
  /** Tensor memory lives in this thread (false for the worker path). */
  readonly local: boolean;
  /** Worker paths: cumulative CPU ms of each worker thread. */
  readonly threadCpuMs?: () => number[];
  dispose(): void | Promise<void>;
}

interface MakeContext {
  readonly model: (typeof MODELS)[number];
  readonly k: number;
  readonly batch: number;
  readonly path: BackendPath;
}

type Made = StepHandle | { unavailable: string };

const LR = 1e-3;

/** The plain tf.variable MLP, on this thread or data-parallel over workers. */
async function makePlain(ctx: MakeContext): Promise<Made> {
  if (ctx.model !== 'mlp') return { unavailable: 'ew-plain exists for the mlp model only' };
  const sizes = { k: ctx.k, batch: ctx.batch };
  if (ctx.path.workers === undefined) {
    const m = createBenchMlp(sizes);
    return {
      run: () => void ewSgdStep(m, LR),
      flop: benchMlpStepFlop(m.sizes),
      steps: 1,
      local: true,
      dispose: () => m.dispose(),
    };
  }
  const host = benchMlpHost(sizes);
  let dp: Awaited<ReturnType<typeof createDataParallel>>;
  try {
    dp = await createDataParallel({
      workers: ctx.path.workers,
      program: {
        module: new URL('../../backend/bench-mlp.js', import.meta.url).href,
        exportName: 'benchMlpProgram',
        options: { ...sizes, mode: 'ew' },
      },
    });
  } catch (err) {
    return { unavailable: `worker threads failed to start: ${(err as Error).message}` };
  }
  let off = 0;
  for (const p of host.params) {
    dp.params.set(p, off);
    off += p.length;
  }
  await dp.setBatch(benchMlpBatch(host));
  return {
    async run() {
      const { grad } = await dp.gradient();
      const p = dp.params;
      for (let j = 0; j < p.length; j++) p[j] = (p[j] as number) - LR * (grad[j] as number);
    },
    flop: benchMlpStepFlop(host.sizes),
    steps: 1,
    local: false,
    threadCpuMs: () => dp.threadCpuMs(),
    dispose: () => dp.dispose(),
  };
}

/** Architecture builders of the two engine benchmark models. */
function builder(model: (typeof MODELS)[number]): ArchitectureBuilder | string {
  const [id, options] =
    model === 'mlp'
      ? ['shared-bottom', { hidden: [512, 512], towerHidden: [16] }]
      : ['mmoe', { numExperts: 4, expertHidden: [256, 128], towerHidden: [16] }];
  if (!defaultRegistry.has(id)) return `architecture '${id}' is not registered`;
  return defaultRegistry.create<ArchitectureBuilder>(id, options, 'architecture');
}

/** Matmul weights (rank ≥ 2) of a model, for the 6·B·P FLOP convention. */
function matmulParams(model: MtlModel): number {
  const vars = [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
  return vars.filter((v) => v.rank >= 2).reduce((s, v) => s + v.size, 0);
}

/**
 * Engine variants on a registry model, composed from the gradient session
 * (`autodiff/jacobian.ts`), the Gramian engine and the UPGrad aggregator, with plain SGD.
 */
async function makeEngine(ctx: MakeContext, variant: Exclude<Variant, 'ew-plain'>): Promise<Made> {
  const b = builder(ctx.model);
  if (typeof b === 'string') return { unavailable: b };
  const rng = createRng(17);
  const input = 256;
  const tasks: TaskSpec[] = Array.from({ length: ctx.k }, (_, i) => ({
    id: `t${i}`,
    kind: 'regression',
  }));
  const model = b.build({ numeric: input, categorical: [] }, tasks, rng.split());
  const data = rng.split();
  const normals = (n: number): Float32Array =>
    Float32Array.from({ length: n }, () => data.normal());
  const batch: Batch = {
    inputs: { numeric: tf.tensor2d(normals(ctx.batch * input), [ctx.batch, input]) },
    targets: Object.fromEntries(tasks.map((t) => [t.id, tf.tensor1d(normals(ctx.batch))])),
    size: ctx.batch,
  };
  const vars = modelVariables(model);
  let pool: ShardPool | undefined;
  if (ctx.path.threads !== undefined) {
    try {
      pool = await createShardPool({ threads: ctx.path.threads, model });
    } catch (err) {
      model.dispose();
      return { unavailable: `worker threads failed to start: ${(err as Error).message}` };
    }
  }
  const agg = defaultRegistry.create<Aggregator>('upgrad', {}, 'aggregator');
  const weighting = agg.weighting;
  let aggState: unknown;
  let weightState = weighting?.init(ctx.k);
  let step = 0;
  let cached: Float64Array = new Float64Array(ctx.k).fill(1);
  const ones = new Float64Array(ctx.k).fill(1);
  const taskIds = tasks.map((t) => t.id);
  const sgd = (...trees: ParamTree[]): void =>
    tf.tidy(() => {
      for (const tree of trees)
        for (const [name, g] of Object.entries(tree)) {
          const v = vars.byName.get(name);
          if (v !== undefined) v.assign(tf.sub(v, tf.mul(g, LR)));
        }
    });
  const session = (): GradientSession => {
    const opts = { forward: { training: true, rng, step }, variables: vars };
    return pool !== undefined
      ? recordForwardSharded(pool, model, batch, opts)
      : recordForward(model, batch, opts);
  };
  const context = (losses: Float64Array): StepContext => ({
    step,
    epoch: 0,
    tasks: taskIds,
    losses,
    rng,
  });
  /** One weighted backward (EW, or cached weights between Jacobian refreshes). */
  const weightedStep = (w: Float64Array): void => {
    const s = session();
    const losses = Float64Array.from(s.lossVector.dataSync());
    const g = s.backward({ lossWeights: w }, ['shared', 'heads', 'extra']);
    sgd(g);
    tf.dispose(Object.values(g));
    s.dispose();
    if (!losses.every(Number.isFinite)) throw new Error('perf: non-finite loss');
  };
  /** Exact Jacobian → UPGrad direction; returns the weights for later cached steps. */
  const jacobianStep = (): Float64Array => {
    const s = session();
    const losses = Float64Array.from(s.lossVector.dataSync());
    const { jacobian, heads, extra } = s.taskJacobian('params');
    aggState ??= agg.init(jacobianSpec(jacobian));
    const r = agg.update(jacobian, aggState, context(losses));
    aggState = r.state;
    sgd(r.direction, heads, extra);
    tf.dispose([...Object.values(jacobian.blocks), ...Object.values(heads)]);
    tf.dispose([...Object.values(extra), ...Object.values(r.direction)]);
    s.dispose();
    return r.weights ?? cached;
  };
  /** Features mode: K head passes, weights from the features Gramian, one trunk backward. */
  const featuresStep = (): void => {
    const s = session();
    const losses = Float64Array.from(s.lossVector.dataSync());
    const { jacobian, heads } = s.taskJacobian('features');
    const wr = weighting!.weigh(gramian(jacobian), weightState!, context(losses));
    weightState = wr.state;
    const d = combine(jacobian, wr.weights);
    const g = s.backward({ features: d }, ['shared', 'extra']);
    sgd(g, heads);
    tf.dispose([...Object.values(jacobian.blocks), ...Object.values(heads)]);
    tf.dispose([...Object.values(d), ...Object.values(g)]);
    s.dispose();
  };
  if (variant === 'features' && weighting === undefined)
    return { unavailable: 'upgrad has no Gramian weighting for the features mode' };
  const run: Record<typeof variant, () => void> = {
    ew: () => weightedStep(ones),
    jacobian: () => void jacobianStep(),
    features: featuresStep,
    jacobianEvery10: () => {
      for (let i = 0; i < 10; i++) {
        if (i === 0) cached = jacobianStep();
        else weightedStep(cached);
      }
    },
  };
  return {
    run: () => {
      run[variant]();
      step++;
    },
    flop: 6 * ctx.batch * matmulParams(model),
    steps: variant === 'jacobianEvery10' ? 10 : 1,
    local: true,
    async dispose() {
      await pool?.dispose();
      model.dispose();
      tf.dispose([batch.inputs.numeric!, ...Object.values(batch.targets)]);
    },
  };
}

/** Measures one prepared step: timing, GFLOP/s and the peak memory of one extra profiled run. */
async function measureStep(
  h: StepHandle,
  reps: { warmup: number; reps: number },
): Promise<
  Pick<
    PerfRow,
    'ms' | 'minMs' | 'maxMs' | 'cpuMs' | 'criticalCpuMs' | 'gflops' | 'peakTensorMB' | 'rssMB'
  >
> {
  for (let i = 0; i < reps.warmup; i++) await h.run();
  const cpu0 = h.threadCpuMs?.();
  const t: Timing = await measureAsync(async () => h.run(), { warmup: 0, reps: reps.reps });
  const cpu1 = h.threadCpuMs?.();
  const critical =
    cpu0 !== undefined && cpu1 !== undefined
      ? Math.max(...cpu1.map((c, i) => (c - (cpu0[i] as number)) / (reps.reps * h.steps)))
      : undefined;
  // One extra profiled step for the peak memory (not for 10-step cycles: too long).
  const prof =
    h.local && h.steps === 1
      ? await tf.profile(async () => {
          await h.run();
          return [];
        })
      : undefined;
  const per = (x: number): number => round(x / h.steps);
  return {
    ms: per(t.median),
    minMs: per(t.min),
    maxMs: per(t.max),
    cpuMs: per(t.cpuMedian),
    ...(critical !== undefined && Number.isFinite(critical)
      ? { criticalCpuMs: round(critical) }
      : {}),
    gflops: round((h.flop * h.steps) / (t.median * 1e6)),
    ...(prof !== undefined ? { peakTensorMB: mb(prof.peakBytes) } : {}),
    rssMB: mb(process.memoryUsage().rss),
  };
}

interface RunOptions {
  readonly ks: readonly number[];
  readonly variants: readonly string[];
  readonly batch: number;
  readonly backends: readonly string[];
  readonly models: readonly string[];
  readonly warmup: number;
  readonly reps: number;
  readonly progress: (line: string) => void;
}

/** Runs the whole benchmark; returns the rows and the backend infos. */
export async function runPerf(o: RunOptions): Promise<{
  rows: PerfRow[];
  backends: Record<string, BackendInfo | { unavailable: string }>;
}> {
  const paths = backendPaths();
  const rows: PerfRow[] = [];
  const backends: Record<string, BackendInfo | { unavailable: string }> = {};
  for (const id of o.backends) {
    const path = paths[id]!;
    const set = await path.setUp();
    if ('unavailable' in set) {
      backends[id] = { unavailable: set.unavailable };
      o.progress(`${id}: unavailable (${set.unavailable})`);
      continue;
    }
    backends[id] = set.info;
    try {
      for (const model of o.models as (typeof MODELS)[number][]) {
        for (const k of o.ks) {
          const ctx: MakeContext = { model, k, batch: o.batch, path };
          const refs: Partial<Record<'plain' | 'engine', { ms: number; cpu: number }>> = {};
          for (const variant of path.variants.filter((v) => o.variants.includes(v))) {
            if (variant === 'ew-plain' && model !== 'mlp') continue;
            const base = { backend: id, model, k, variant };
            const made =
              variant === 'ew-plain' ? await makePlain(ctx) : await makeEngine(ctx, variant);
            if ('unavailable' in made) {
              rows.push({ ...base, ms: null, unavailable: made.unavailable });
              o.progress(`${id} ${model} K=${k} ${variant}: unavailable (${made.unavailable})`);
              continue;
            }
            // 10-step cycles: one timed cycle per 5 requested steps (one by default) and no
            // warm-up cycle (the same kernels and code ran in the rows before), which keeps the
            // whole command under 3 minutes.
            const reps =
              made.steps > 1
                ? { warmup: 0, reps: Math.max(1, Math.floor(o.reps / 5)) }
                : { warmup: o.warmup, reps: o.reps };
            let r: Awaited<ReturnType<typeof measureStep>>;
            try {
              r = await measureStep(made, reps);
            } finally {
              await made.dispose();
            }
            const mine = { ms: r.ms ?? NaN, cpu: r.cpuMs ?? NaN };
            if (variant === 'ew-plain') refs.plain = mine;
            if (variant === 'ew') refs.engine = mine;
            const ref = variant === 'ew-plain' ? refs.plain : refs.engine;
            const row: PerfRow = {
              ...base,
              ...r,
              ...(ref !== undefined
                ? {
                    ratioToEw: round(mine.ms / ref.ms, 2),
                    cpuRatioToEw: round(mine.cpu / ref.cpu, 2),
                  }
                : {}),
            };
            rows.push(row);
            o.progress(
              `${id} ${model} K=${k} ${variant}: ${r.ms} ms (cpu ${r.cpuMs}` +
                (r.criticalCpuMs !== undefined ? `, busiest worker ${r.criticalCpuMs}` : '') +
                `), ${r.gflops} GFLOP/s` +
                (row.ratioToEw !== undefined
                  ? `, ${row.ratioToEw}× EW (cpu ${row.cpuRatioToEw}×)`
                  : ''),
            );
          }
        }
      }
    } finally {
      path.tearDown?.();
    }
  }
  return { rows, backends };
}

/** One target of issue #8: the measured figure and whether it is met. */
export interface TargetCheck {
  readonly target: string;
  readonly limit: number;
  /** The ratio of median wall times (what the target is defined on). */
  readonly measured: number | null;
  readonly met: boolean | null;
  /** The same ratio in CPU time, where meaningful (single-thread paths). */
  readonly measuredCpu?: number;
}

const findRow = (
  rows: readonly PerfRow[],
  backend: string,
  model: string,
  k: number,
  variant: string,
): PerfRow | undefined =>
  rows.find(
    (r) => r.backend === backend && r.model === model && r.k === k && r.variant === variant,
  );

/** The step-ratio targets this command checks by itself (the PyTorch ratios: bench/). */
export function checkTargets(rows: readonly PerfRow[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const push = (
    target: string,
    limit: number,
    measured: number | null | undefined,
    cpu?: number,
  ): void => {
    if (measured === undefined) return;
    out.push({
      target,
      limit,
      measured,
      met: measured === null ? null : measured <= limit,
      ...(cpu !== undefined ? { measuredCpu: cpu } : {}),
    });
  };
  const checks: [Variant, number, string][] = [
    ['jacobian', 4.5, 'exact Jacobian step at K=8 ≤ 4.5× EW'],
    ['features', 1.15, 'features-mode step at K=8 ≤ 1.15× EW'],
    ['jacobianEvery10', 1.5, 'jacobianEvery: 10 step at K=8 ≤ 1.5× EW'],
  ];
  for (const [variant, limit, text] of checks)
    for (const model of MODELS)
      for (const b of ['wasm', 'blas', 'blas2', 'tensorflow']) {
        const r = findRow(rows, b, model, 8, variant);
        if (r !== undefined)
          push(`${b} ${model}: ${text}`, limit, r.ratioToEw ?? null, r.cpuRatioToEw);
      }
  for (const model of MODELS)
    for (const k of [2, 8])
      for (const variant of ['ew', 'jacobian'] as const) {
        const one = findRow(rows, 'wasm', model, k, variant);
        const two = findRow(rows, 'threads2', model, k, variant);
        if (one?.ms != null && two !== undefined)
          push(
            `engine step on 2 threads (main + 1 worker, wasm) ${model} K=${k} ${variant}: ≤ 0.6× the one-thread step`,
            0.6,
            two.ms === null ? null : round(two.ms / one.ms, 2),
          );
      }
  for (const k of [2, 4, 8]) {
    const one = findRow(rows, 'wasm', 'mlp', k, 'ew-plain');
    const two = findRow(rows, 'workers2', 'mlp', k, 'ew-plain');
    if (one?.ms != null && two !== undefined)
      push(
        `2 worker threads (wasm), K=${k}: step ≤ 0.6× the one-thread step`,
        0.6,
        two.ms === null ? null : round(two.ms / one.ms, 2),
        // CPU-time form: busiest worker thread per step / one-thread process CPU per step.
        two.criticalCpuMs !== undefined && one.cpuMs !== undefined
          ? round(two.criticalCpuMs / one.cpuMs, 2)
          : undefined,
      );
  }
  return out;
}

function table(rows: readonly PerfRow[]): string {
  const head = [
    'backend',
    'model',
    'K',
    'variant',
    'ms',
    'cpu ms',
    'GFLOP/s',
    '×EW (cpu)',
    'peak MB',
    'RSS MB',
  ];
  const cell = (x: number | undefined): string => (x === undefined ? '' : String(x));
  const body = rows.map((r) =>
    r.ms === null
      ? [r.backend, r.model, String(r.k), r.variant, 'n/a', '', '', '', '', r.unavailable ?? '']
      : [
          r.backend,
          r.model,
          String(r.k),
          r.variant,
          String(r.ms),
          cell(r.cpuMs) + (r.criticalCpuMs !== undefined ? ` (busiest ${r.criticalCpuMs})` : ''),
          cell(r.gflops),
          r.ratioToEw !== undefined ? `${r.ratioToEw.toFixed(2)} (${r.cpuRatioToEw})` : '',
          cell(r.peakTensorMB),
          cell(r.rssMB),
        ],
  );
  const widths = head.map((h, i) =>
    Math.max(h.length, ...body.filter((b) => b[4] !== 'n/a').map((b) => (b[i] ?? '').length)),
  );
  const fmt = (r: readonly string[]): string =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [fmt(head), ...body.map(fmt)].join('\n');
}

const USAGE = [
  'Usage: manytask perf [--json] [--quick] [--k 2,4,8] [--backends wasm,blas,blas2,workers2,threads2,tensorflow]',
  '                     [--models mlp,mmoe] [--variants ew-plain,ew,jacobian,features,jacobianEvery10]',
  '                     [--batch 1024] [--reps N] [--warmup N]',
  '',
  'Benchmarks one training step (not a test) on a shared-trunk MLP (B=1024, 256→512→512, K heads)',
  'and on MMoE, for each K on each available backend path: the plain EW step (PERFORMANCE.md',
  'model), and the engine steps EW, exact Jacobian, features mode and `jacobianEvery: 10` (UPGrad).',
  'Prints median ms and CPU ms per step, GFLOP/s (6·B·P), the ratio to the EW step of the same path',
  'and model, peak tensor memory and RSS, and the issue #8 targets it can check.',
  '',
  `  --backends  any of ${Object.keys(backendPaths()).join(', ')}`,
  `              (default ${DEFAULT_BACKENDS.join(',')}; unavailable paths are reported, not errors)`,
  '  --reps N    timed steps per row after --warmup N (default 5 and 1; 10-step cycles: N/5, no warm-up)',
  '  --quick     3 timed steps per row',
  '  --json      one JSON object: machine, backends, rows, targets',
  '',
  'The PyTorch comparison is a separate optional script: node bench/compare-pytorch.mjs',
].join('\n');

export const perfCommand: Command = {
  name: 'perf',
  summary: 'Benchmark the training step on each backend (ms, GFLOP/s, ratio to EW, memory)',
  usage: USAGE,
  async run(argv: readonly string[], io: CliIo): Promise<number> {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        json: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        k: { type: 'string', default: '2,4,8' },
        backends: { type: 'string' },
        models: { type: 'string', default: MODELS.join(',') },
        variants: { type: 'string', default: ALL_VARIANTS.join(',') },
        batch: { type: 'string', default: '1024' },
        reps: { type: 'string' },
        warmup: { type: 'string' },
      },
      strict: true,
    });
    const int = (name: string, v: string | undefined, dflt: number, min: number): number => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min)
        throw new ConfigError(`perf: --${name} must be an integer ≥ ${min}, got '${v}'`);
      return n;
    };
    const t0 = performance.now();
    const started = new Date().toISOString();
    const { rows, backends } = await runPerf({
      ks: parseKs(values.k),
      batch: int('batch', values.batch, 1024, 2),
      backends: parseList(
        'backends',
        values.backends ?? DEFAULT_BACKENDS.join(','),
        Object.keys(backendPaths()),
      ),
      models: parseList('models', values.models, MODELS),
      variants: parseList('variants', values.variants, ALL_VARIANTS),
      warmup: int('warmup', values.warmup, 1, 0),
      reps: int('reps', values.reps, values.quick ? 3 : 5, 1),
      progress: (line) => io.stderr(`perf: ${line}\n`),
    });
    const targets = checkTargets(rows);
    const seconds = round((performance.now() - t0) / 1000);
    const machine = {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      tfjs: tf.version.tfjs,
    };
    if (values.json) {
      io.stdout(
        JSON.stringify({ started, seconds, machine, backends, rows, targets }, null, 2) + '\n',
      );
      return 0;
    }
    const lines: string[] = [
      `manytask perf: ${machine.cpuModel}, ${machine.cpus} CPUs, Node ${machine.node}, tfjs ${machine.tfjs}`,
      '',
    ];
    for (const [id, b] of Object.entries(backends))
      lines.push(
        `  ${id.padEnd(10)} ${'unavailable' in b ? `unavailable: ${b.unavailable}` : `${b.name}; ${b.kernels.join(', ') || 'stock kernels'}`}`,
      );
    lines.push('', table(rows), '');
    for (const t of targets)
      lines.push(
        `  ${t.met === null ? '?      ' : t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.measured ?? 'n/a'}` +
          (t.measuredCpu !== undefined ? ` (CPU time: ${t.measuredCpu})` : ''),
      );
    lines.push('', `${rows.length} rows in ${seconds} s`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
