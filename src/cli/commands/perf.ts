/**
 * `manytask perf`: the step benchmark of PERFORMANCE.md (a command, not a test). Runs, in one
 * process, the step variants on the benchmark MLP (and MMoE when registered) for several K on
 * every available backend path, and prints median ms, GFLOP/s (6·B·P), the ratio to our EW step,
 * peak tensor memory and RSS, plus the targets of issue #8 with the measured figure for each.
 */
import { parseArgs } from 'node:util';
import { availableParallelism, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.js';
import { initBackend, type BackendInfo } from '../../backend/init.js';
import { restoreStockKernels, installWasmOverrides } from '../../backend/kernels.js';
import { loadBlas } from '../../backend/blas.js';
import {
  benchMlpStepFlop,
  createBenchMlp,
  ewSgdStep,
  type BenchMlp,
} from '../../backend/bench-mlp.js';
import { measure, type Timing } from '../../backend/timing.js';
import type { Command, CliIo } from './types.js';

/** A backend path the command can measure. */
interface BackendPath {
  readonly id: string;
  readonly description: string;
  /** Selects the path; returns false (with a reason) when it is not available here. */
  setUp(): Promise<{ info: BackendInfo } | { unavailable: string }>;
  /** Measures only the EW step (slow paths kept for reference). */
  readonly ewOnly?: boolean;
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
  /** Median CPU time of this process per step (robust to other load; includes BLAS threads). */
  readonly cpuMs?: number;
  readonly gflops?: number;
  /** ms / (EW ms of the same backend, model and K). */
  readonly ratioToEw?: number;
  readonly peakTensorMB?: number;
  readonly rssMB?: number;
  /** Why the row has no figure. */
  readonly unavailable?: string;
}

const quietInit = async (o: Parameters<typeof initBackend>[0]): Promise<BackendInfo> =>
  initBackend({ ...o, quiet: true });

function backendPaths(): Record<string, BackendPath> {
  const blasPath = (threads: number): BackendPath => ({
    id: threads === 1 ? 'blas' : `blas${threads}`,
    description: `wasm + native BLAS matmul, ${threads} BLAS thread${threads === 1 ? '' : 's'}`,
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
      setUp: async () => ({ info: await quietInit({ prefer: 'wasm', blas: 'off' }) }),
    },
    'wasm-stock': {
      id: 'wasm-stock',
      description: 'wasm with the stock tfjs kernels (reference only)',
      ewOnly: true,
      async setUp() {
        const info = await quietInit({ prefer: 'wasm', blas: 'off' });
        restoreStockKernels();
        return { info: { ...info, kernels: [], message: 'wasm, stock kernels' } };
      },
      tearDown: () => void installWasmOverrides(),
    },
    blas: blasPath(1),
    blas2: blasPath(2),
    tensorflow: {
      id: 'tensorflow',
      description: '@tensorflow/tfjs-node (when installed)',
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
      ewOnly: true,
      setUp: async () => ({ info: await quietInit({ prefer: 'cpu' }) }),
    },
  };
}

const DEFAULT_BACKENDS = ['wasm', 'blas', 'blas2', 'tensorflow'];
const ALL_VARIANTS = ['ew', 'jacobian', 'features', 'jacobianEvery10'] as const;

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

/** Measures one step function: timing, GFLOP/s and peak memory of one extra profiled call. */
async function measureStep(
  f: () => void,
  flop: number,
  reps: { warmup: number; reps: number },
): Promise<
  Pick<PerfRow, 'ms' | 'minMs' | 'maxMs' | 'cpuMs' | 'gflops' | 'peakTensorMB' | 'rssMB'>
> {
  const t: Timing = measure(f, reps);
  const prof = await tf.profile(() => {
    f();
    return [];
  });
  return {
    ms: round(t.median),
    minMs: round(t.min),
    maxMs: round(t.max),
    cpuMs: round(t.cpuMedian),
    gflops: round(flop / (t.median * 1e6)),
    peakTensorMB: mb(prof.peakBytes),
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

/** A step variant on a model: `undefined` when not available (with the reason). */
type StepFactory = (m: BenchMlp) => { step: () => void } | { unavailable: string };

const ENGINE_PENDING = 'the Jacobian engine (src/train/step.ts) is not available in this build yet';

const mlpVariants: Record<(typeof ALL_VARIANTS)[number], StepFactory> = {
  ew: (m) => ({ step: () => void ewSgdStep(m, 1e-3) }),
  jacobian: () => ({ unavailable: ENGINE_PENDING }),
  features: () => ({ unavailable: ENGINE_PENDING }),
  jacobianEvery10: () => ({ unavailable: ENGINE_PENDING }),
};

/** Runs the whole benchmark; returns the rows and the backend infos. */
export async function runPerf(o: RunOptions): Promise<{
  rows: PerfRow[];
  backends: Record<string, BackendInfo | { unavailable: string }>;
}> {
  const paths = backendPaths();
  const rows: PerfRow[] = [];
  const backends: Record<string, BackendInfo | { unavailable: string }> = {};
  const reps = { warmup: o.warmup, reps: o.reps };
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
      for (const model of o.models) {
        for (const k of o.ks) {
          if (model !== 'mlp') {
            rows.push({
              backend: id,
              model,
              k,
              variant: 'ew',
              ms: null,
              unavailable: 'architecture not registered',
            });
            continue;
          }
          const m = createBenchMlp({ k, batch: o.batch });
          const flop = benchMlpStepFlop(m.sizes);
          let ewMs: number | undefined;
          const variants = ALL_VARIANTS.filter(
            (v) => o.variants.includes(v) && (v === 'ew' || path.ewOnly !== true),
          );
          for (const variant of variants) {
            const made = mlpVariants[variant](m);
            if ('unavailable' in made) {
              rows.push({
                backend: id,
                model,
                k,
                variant,
                ms: null,
                unavailable: made.unavailable,
              });
              continue;
            }
            const r = await measureStep(made.step, flop, reps);
            if (variant === 'ew') ewMs = r.ms ?? undefined;
            const row: PerfRow = {
              backend: id,
              model,
              k,
              variant,
              ...r,
              ...(ewMs !== undefined && r.ms !== null ? { ratioToEw: round(r.ms / ewMs, 2) } : {}),
            };
            rows.push(row);
            o.progress(
              `${id} ${model} K=${k} ${variant}: ${r.ms} ms, ${r.gflops} GFLOP/s` +
                (row.ratioToEw !== undefined ? `, ${row.ratioToEw}× EW` : ''),
            );
          }
          m.dispose();
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
  readonly measured: number | null;
  readonly met: boolean | null;
}

function find(
  rows: readonly PerfRow[],
  backend: string,
  k: number,
  variant: string,
): PerfRow | undefined {
  return rows.find(
    (r) => r.backend === backend && r.model === 'mlp' && r.k === k && r.variant === variant,
  );
}

/** The step-ratio targets that this command can check by itself (PyTorch ratios: bench/). */
export function checkTargets(rows: readonly PerfRow[]): TargetCheck[] {
  const out: TargetCheck[] = [];
  const ratio = (target: string, limit: number, variant: string): void => {
    for (const b of ['wasm', 'blas', 'blas2']) {
      const r = find(rows, b, 8, variant);
      if (r === undefined) continue;
      const measured = r.ratioToEw ?? null;
      out.push({
        target: `${b}: ${target}`,
        limit,
        measured,
        met: measured === null ? null : measured <= limit,
      });
    }
  };
  ratio('exact Jacobian step at K=8 ≤ 4.5× EW', 4.5, 'jacobian');
  ratio('features-mode step at K=8 ≤ 1.15× EW', 1.15, 'features');
  ratio('jacobianEvery: 10 step at K=8 ≤ 1.5× EW', 1.5, 'jacobianEvery10');
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
    '×EW',
    'peak MB',
    'RSS MB',
  ];
  const body = rows.map((r) =>
    r.ms === null
      ? [r.backend, r.model, String(r.k), r.variant, 'n/a', '', '', '', '', r.unavailable ?? '']
      : [
          r.backend,
          r.model,
          String(r.k),
          r.variant,
          String(r.ms),
          String(r.cpuMs ?? ''),
          String(r.gflops ?? ''),
          r.ratioToEw !== undefined ? r.ratioToEw.toFixed(2) : '',
          String(r.peakTensorMB ?? ''),
          String(r.rssMB ?? ''),
        ],
  );
  const widths = head.map((h, i) =>
    Math.max(
      h.length,
      ...body.filter((b) => b[4] !== 'n/a' || i < 5).map((b) => (b[i] ?? '').length),
    ),
  );
  const fmt = (r: readonly string[]): string =>
    r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [fmt(head), ...body.map(fmt)].join('\n');
}

const USAGE = [
  'Usage: manytask perf [--json] [--quick] [--k 2,4,8] [--backends wasm,blas,blas2,tensorflow]',
  '                     [--models mlp,mmoe] [--variants ew,jacobian,features,jacobianEvery10]',
  '                     [--batch 1024] [--reps N] [--warmup N]',
  '',
  'Benchmarks one training step (not a test): the shared-trunk MLP X[B,256] → 512 → 512 → K heads',
  'of 16 (PERFORMANCE.md §2), with the EW step, the exact Jacobian step, the features-mode step',
  'and a `jacobianEvery: 10` step, for each K on each available backend path. Prints the median ms,',
  'GFLOP/s (6·B·P), the ratio to the EW step of the same path, peak tensor memory and RSS.',
  '',
  `  --backends  any of ${Object.keys(backendPaths()).join(', ')} (default ${DEFAULT_BACKENDS.join(',')};`,
  '              unavailable paths are reported, not errors)',
  '  --quick     fewer repetitions (warm-up 1, 3 timed) for a smoke run',
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
        models: { type: 'string', default: 'mlp,mmoe' },
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
    const known = Object.keys(backendPaths());
    const t0 = performance.now();
    const started = new Date().toISOString();
    const progress = (line: string): void => io.stderr(`perf: ${line}\n`);
    const { rows, backends } = await runPerf({
      ks: parseKs(values.k),
      batch: int('batch', values.batch, 1024, 1),
      backends: parseList('backends', values.backends ?? DEFAULT_BACKENDS.join(','), known),
      models: parseList('models', values.models, ['mlp', 'mmoe']),
      variants: parseList('variants', values.variants, ALL_VARIANTS),
      warmup: int('warmup', values.warmup, values.quick ? 1 : 2, 0),
      reps: int('reps', values.reps, values.quick ? 3 : 7, 1),
      progress,
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
        `  ${t.met === null ? '?' : t.met ? 'met    ' : 'NOT met'}  ${t.target}: ${t.measured ?? 'n/a'}`,
      );
    lines.push('', `${rows.length} rows in ${seconds} s`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};
