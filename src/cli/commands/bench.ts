/**
 * `manytask bench`: every method × seed plus single-task baselines (the same architecture with
 * one task, per task and seed), each a full run directory under `runs/`; then `results.json`
 * (every final metric, mean ± std per method, Δm% against the baselines), `report.html`, and the
 * results table on stdout. With no flags it is the default comparison on `marketing-income`
 * (`npm start`). `--resume <bench-dir>` skips finished runs and resumes an interrupted one.
 */
import { promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, sameBackendOptions } from '../../backend/index.js';
import { ConfigError } from '../../core/errors.js';
import type { Dataset } from '../../data/types.js';
import { METRICS_BY_KIND } from '../../metrics/task-metrics.js';
import { defaultRegistry, type Registry } from '../../registry/index.js';
import { formatNumber, formatStat } from '../../report/html.js';
import { bestIndices, higherIsBetter, statMetrics, summarizeMethod } from '../../report/summary.js';
import type {
  EpochRecord,
  FinalRecord,
  ReportInput,
  ReportRun,
  Stat,
  TaskMetrics,
} from '../../report/types.js';
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_USAGE,
  mergeFlags,
  parseRunConfig,
  runConfigToJson,
  type RunConfig,
} from '../config.js';
import { readJson, writeJsonAtomic } from '../fsutil.js';
import { createProgress } from '../progress.js';
import {
  BENCH_FILES,
  displayNameOf,
  readHistory,
  RUN_FILES,
  writeReport,
  type BenchResults,
  type RunMeta,
} from './report.js';
import { runBenchJobs } from './bench-jobs.js';
import { installInterrupt, loadDataset, runTraining, runVersions, totalStepsOf } from './train.js';
import type { CliIo, Command } from './types.js';

/**
 * Renders `input`'s methods as an aligned text table (trailing newline included). To fit a
 * terminal it shows the two headline metrics of each task kind (AUC and logloss, accuracy and
 * logloss, MSE and MAE); results.json and the HTML report have every metric.
 */
export function formatResultsTable(input: ReportInput): string {
  const cols: { task: string; metric: string }[] = [];
  for (const t of input.tasks) {
    const headline = METRICS_BY_KIND[t.kind].slice(0, 2) as readonly string[];
    const seen: string[] = [];
    for (const m of input.methods)
      for (const metric of Object.keys(m.test[t.id] ?? {}))
        if (!seen.includes(metric) && headline.includes(metric)) seen.push(metric);
    for (const metric of seen) cols.push({ task: t.id, metric });
  }
  const hasDelta = input.methods.some((m) => m.deltaM !== undefined);
  const hasTime = input.methods.some((m) => m.seconds !== undefined);
  const arrow = (metric: string): string => {
    const h = higherIsBetter(metric);
    return h === undefined ? '' : h ? '↑' : '↓';
  };
  const head = [
    'method',
    ...cols.map((c) => `${c.task} ${c.metric}${arrow(c.metric)}`),
    ...(hasDelta ? ['Δm%↓'] : []),
    ...(hasTime ? ['s/run'] : []),
  ];
  const best = cols.map(
    (c) =>
      new Set(
        bestIndices(
          input.methods.map((m) => m.test[c.task]?.[c.metric]?.mean ?? NaN),
          higherIsBetter(c.metric),
        ),
      ),
  );
  const bestDelta = new Set(
    bestIndices(
      input.methods.map((m) => m.deltaM?.mean ?? NaN),
      false,
    ),
  );
  // A trailing mark keeps the numbers of a right-aligned column aligned.
  const star = (text: string, isBest: boolean): string => `${text} ${isBest ? '*' : ' '}`;
  const rows: string[][] = [];
  if (input.baseline !== undefined) {
    const b = input.baseline;
    rows.push([
      'single-task',
      ...cols.map((c) => {
        const s = b[c.task]?.[c.metric];
        return star(s !== undefined ? formatStat(s) : '—', false);
      }),
      ...(hasDelta ? [star('0', false)] : []),
      ...(hasTime ? [star('—', false)] : []),
    ]);
  }
  input.methods.forEach((m, i) => {
    rows.push([
      m.method,
      ...cols.map((c, ci) => {
        const s = m.test[c.task]?.[c.metric];
        return star(s !== undefined ? formatStat(s) : '—', best[ci]?.has(i) === true);
      }),
      ...(hasDelta
        ? [star(m.deltaM !== undefined ? formatStat(m.deltaM, 2) : '—', bestDelta.has(i))]
        : []),
      ...(hasTime ? [star(m.seconds !== undefined ? formatNumber(m.seconds, 1) : '—', false)] : []),
    ]);
  });
  const headCells = head.map((h, i) => (i === 0 ? h : `${h}  `));
  const widths = headCells.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return (
    [
      line(headCells),
      rule,
      ...rows.map(line),
      '',
      '* best in column (↑ higher is better, ↓ lower is better)',
    ].join('\n') + '\n'
  );
}

/**
 * The default comparison (`npm start`): loss weightings EW, UW, DWA, FAMO; gradient methods
 * PCGrad, CAGrad, UPGrad, Nash-MTL; and GDOD, CoGrad, AdaTask. Ids that are not registered in
 * this build are skipped with a note.
 */
export const DEFAULT_BENCH_METHODS: readonly string[] = [
  'ew',
  'uw',
  'dwa',
  'famo',
  'pcgrad',
  'cagrad',
  'upgrad',
  'nash-mtl',
  'gdod',
  'cograd',
  'adatask',
];

/**
 * Defaults of the default bench, sized for well under 5 minutes on 2 cores including `npm ci`: a
 * small shared-bottom (embeddings → 64 → heads), Adam at 3e-3, 6 epochs (the validation AUC has
 * flattened by then, above the logistic baselines of DATASETS.md), 5 seeds, so that mean ± std
 * over seeds means something. With the embedding gradient as a direct wasm kernel a run takes
 * about a second. Flags and `--config` override them (`--seeds 3`).
 */
export const BENCH_DEFAULTS = {
  architecture: { id: 'shared-bottom', hidden: [64] },
  optimizer: { id: 'adam', learningRate: 0.003 },
  epochs: 6,
  seeds: 5,
} as const;

/** One compared method: a registry id with options, named by `label` when it is a variant. */
export interface BenchMethod {
  readonly id: string;
  readonly options: Record<string, unknown>;
  /** Name in results, tables and run directories (`--methods cagrad-c0.9=cagrad`); default `id`. */
  readonly label?: string;
}

/** The name a bench method goes by (its label, else its id). */
export const benchName = (m: BenchMethod): string => m.label ?? m.id;

/** `bench.json`: what a bench directory was asked to do, so `--resume` can finish it. */
export interface BenchPlan {
  readonly format: 'manytask-bench-plan/1';
  /** The shared run configuration (its `method` is replaced per run). */
  readonly base: Record<string, unknown>;
  readonly methods: readonly BenchMethod[];
  readonly seeds: readonly number[];
  readonly notes: readonly string[];
}

/** `task auc 0.8312 …`: the first headline metric of each task, for the per-run log line. */
function headlineText(
  test: TaskMetrics,
  tasks: readonly { readonly id: string; readonly kind: keyof typeof METRICS_BY_KIND }[],
): string {
  return tasks
    .flatMap((t) => {
      const metric = METRICS_BY_KIND[t.kind][0]!;
      const v = test[t.id]?.[metric];
      return v === undefined ? [] : [`${t.id} ${metric} ${formatNumber(v)}`];
    })
    .join('  ');
}

/** One planned run of a bench. */
export interface PlannedRun {
  /** Method id, or `single-task` for a baseline. */
  readonly method: string;
  /** The baseline's task. */
  readonly task?: string;
  readonly seed: number;
  /** Relative to the bench directory. */
  readonly dir: string;
  readonly config: RunConfig;
}

const SINGLE = 'single-task';

/**
 * Expands a plan into runs: per seed, one single-task baseline per task (EW on that task alone;
 * the task list comes from the data set), then every method. Seeds are the outer loop so each
 * seed's split is loaded once.
 */
export function planRuns(
  plan: BenchPlan,
  taskIds: readonly string[],
  registry: Registry,
  source: string,
): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const make = (method: BenchMethod, seed: number, tasks?: string[]) =>
    parseRunConfig(
      {
        ...plan.base,
        method: { id: method.id, ...method.options },
        seed,
        ...(tasks ? { tasks } : {}),
      },
      registry,
      { source },
    );
  for (const seed of plan.seeds) {
    for (const task of taskIds)
      runs.push({
        method: SINGLE,
        task,
        seed,
        dir: join(BENCH_FILES.runs, `single-${task}-seed${seed}`),
        config: make({ id: 'ew', options: {} }, seed, [task]),
      });
    for (const m of plan.methods)
      runs.push({
        method: benchName(m),
        seed,
        dir: join(BENCH_FILES.runs, `${benchName(m)}-seed${seed}`),
        config: make(m, seed),
      });
  }
  return runs;
}

/** A finished run as read back from its directory (complete runs are never retrained). */
interface DoneRun {
  readonly test: TaskMetrics;
  readonly seconds: number;
}

async function finishedRun(dir: string): Promise<DoneRun | undefined> {
  let meta: RunMeta;
  try {
    meta = (await readJson(join(dir, RUN_FILES.meta))) as RunMeta;
  } catch {
    return undefined;
  }
  if (meta.status !== 'complete') return undefined;
  const history = await readHistory(dir);
  const final = history.findLast((r): r is FinalRecord => r.kind === 'final');
  if (final === undefined) return undefined;
  const seconds = history
    .filter((r): r is EpochRecord => r.kind === 'epoch')
    .reduce((s, r) => s + (r.seconds ?? 0), 0);
  return { test: final.test, seconds };
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

const runStarted = (dir: string): Promise<boolean> => pathExists(join(dir, RUN_FILES.meta));

/** Options of {@link runBench}. */
export interface RunBenchOptions {
  readonly plan: BenchPlan;
  readonly out: string;
  readonly io: CliIo;
  readonly interrupt: { readonly requested: boolean };
  readonly registry?: Registry;
  /** Write report.html (default true). */
  readonly report?: boolean;
  /** Runs trained side by side in worker threads (default 1: on this thread, in order). */
  readonly jobs?: number;
  /** Worker script of `jobs > 1` (default `bench-worker.js` beside this module). */
  readonly workerUrl?: string | URL;
}

/** What {@link runBench} produced. */
export interface BenchOutcome {
  readonly status: 'complete' | 'interrupted';
  readonly input: ReportInput;
  readonly results: BenchResults;
}

/**
 * Runs (or finishes) a bench plan in `out`: trains every planned run that is not complete yet,
 * then writes results.json and report.html from all completed runs. Interrupted benches write
 * partial results (completed runs only) and stop.
 */
export async function runBench(opts: RunBenchOptions): Promise<BenchOutcome> {
  const { plan, out, io } = opts;
  const registry = opts.registry ?? defaultRegistry;
  const source = join(out, 'bench.json');
  await fsp.mkdir(out, { recursive: true });
  await writeJsonAtomic(source, plan);
  const firstSeed = plan.seeds[0] ?? 0;
  const baseConfig = parseRunConfig({ ...plan.base, seed: firstSeed }, registry, { source });
  const datasets = new Map<number, Dataset>();
  const datasetFor = async (seed: number): Promise<Dataset> => {
    let d = datasets.get(seed);
    if (d === undefined) {
      // One split per seed at a time: earlier seeds' data are not needed any more.
      datasets.clear();
      d = await loadDataset({ ...baseConfig, seed }, registry);
      datasets.set(seed, d);
    }
    return d;
  };
  const first = await datasetFor(firstSeed);
  const tasks = first.tasks.map((t) => ({ id: t.id, kind: t.kind }));
  const runs = planRuns(
    plan,
    tasks.map((t) => t.id),
    registry,
    source,
  );
  const stepsOf = (r: PlannedRun): number => totalStepsOf(r.config, first.train.n);
  const total = runs.reduce((s, r) => s + stepsOf(r), 0);
  const progress = createProgress({ io, total, label: 'bench' });
  const done = new Map<PlannedRun, DoneRun>();
  let base = 0;
  let interrupted = false;
  const labelOf = (r: PlannedRun, i: number): string =>
    `[${i + 1}/${runs.length}] ${r.method === SINGLE ? `single-task ${r.task}` : r.method} seed ${r.seed}`;
  const pending: number[] = [];
  for (const [i, r] of runs.entries()) {
    const finished = await finishedRun(join(out, r.dir));
    if (finished === undefined) {
      pending.push(i);
      continue;
    }
    done.set(r, finished);
    base += stepsOf(r);
  }
  progress.update(base);
  const finish = async (r: PlannedRun, label: string, test: TaskMetrics, seconds: number) => {
    const fin = await finishedRun(join(out, r.dir));
    done.set(r, fin ?? { test, seconds });
    progress.log(`${label}: ${headlineText(test, tasks)}  (${formatNumber(seconds, 1)} s)`);
  };
  if ((opts.jobs ?? 1) > 1 && pending.length > 1) {
    if (registry !== defaultRegistry)
      throw new ConfigError(
        'runBench: `jobs` > 1 trains in worker threads, which know only the default registry; use jobs: 1 with a custom registry',
      );
    // Steps of the runs in flight, by run index; finished runs move into `base`.
    const inFlight = new Map<number, number>();
    const show = (status?: string): void =>
      progress.update(base + [...inFlight.values()].reduce((a, b) => a + b, 0), status);
    const endings: Promise<void>[] = [];
    const outcome = await runBenchJobs(
      await Promise.all(
        pending.map(async (i) => ({
          id: i,
          config: runConfigToJson(runs[i]!.config),
          dir: join(out, runs[i]!.dir),
          label: labelOf(runs[i]!, i),
          resume: await runStarted(join(out, runs[i]!.dir)),
        })),
      ),
      {
        jobs: opts.jobs!,
        ...(opts.workerUrl !== undefined ? { workerUrl: opts.workerUrl } : {}),
        backend: sameBackendOptions(),
        interrupt: opts.interrupt,
        onStart: (i) => {
          inFlight.set(i, 0);
          progress.setLabel(labelOf(runs[i]!, i));
        },
        onProgress: (i, d, status) => {
          inFlight.set(i, d);
          show(status);
        },
        onLog: (i, line) => progress.log(`${labelOf(runs[i]!, i)}: ${line}`),
        onDone: (i, r) => {
          inFlight.delete(i);
          if (r.status === 'interrupted') return;
          base += stepsOf(runs[i]!);
          show();
          endings.push(finish(runs[i]!, labelOf(runs[i]!, i), r.test, r.seconds));
        },
      },
    );
    await Promise.all(endings);
    interrupted = outcome.interrupted;
  } else {
    for (const i of pending) {
      const r = runs[i]!;
      const dir = join(out, r.dir);
      if (opts.interrupt.requested) {
        interrupted = true;
        break;
      }
      const label = labelOf(r, i);
      progress.setLabel(label);
      const result = await runTraining({
        config: r.config,
        dir,
        interrupt: opts.interrupt,
        progress,
        progressBase: base,
        dataset: await datasetFor(r.seed),
        resume: await runStarted(dir),
        report: false,
        label,
        epochLog: false,
      });
      if (result.status === 'interrupted') {
        interrupted = true;
        break;
      }
      base += stepsOf(r);
      await finish(r, label, result.test, result.seconds);
    }
  }
  progress.done();

  const baselineRuns = runs.filter((r) => r.method === SINGLE && done.has(r));
  const baseline: Record<string, Record<string, Stat>> = {};
  for (const t of tasks) {
    const sets = baselineRuns
      .filter((r) => r.task === t.id)
      .map((r) => ({ [t.id]: done.get(r)!.test[t.id] ?? {} }));
    if (sets.length > 0) Object.assign(baseline, statMetrics(sets));
  }
  const complete = tasks.every((t) => baseline[t.id] !== undefined);
  const methodRuns = runs.filter((r) => r.method !== SINGLE && done.has(r));
  const reportRuns: ReportRun[] = [];
  for (const r of methodRuns)
    reportRuns.push({
      method: r.method,
      seed: r.seed,
      test: done.get(r)!.test,
      history: await readHistory(join(out, r.dir)),
    });
  const methods = plan.methods
    .filter((m) => methodRuns.some((r) => r.method === benchName(m)))
    .map((m) => {
      const secs = methodRuns
        .filter((r) => r.method === benchName(m))
        .map((r) => done.get(r)!.seconds);
      return summarizeMethod(
        benchName(m),
        m.label ?? displayNameOf(m.id),
        reportRuns,
        complete ? baseline : undefined,
        secs.reduce((a, b) => a + b, 0) / secs.length,
      );
    });
  const notes = [...plan.notes];
  if (interrupted)
    notes.push(
      `Interrupted: ${done.size} of ${runs.length} runs finished; continue with \`manytask bench --resume ${out}\`.`,
    );
  const versions = runVersions();
  const { method: _method, ...shared } = runConfigToJson(baseConfig);
  // Methods without options as bare ids: the configuration block stays readable.
  const methodsJson = plan.methods.map((m) =>
    m.label !== undefined
      ? { label: m.label, id: m.id, ...m.options }
      : Object.keys(m.options).length > 0
        ? { id: m.id, ...m.options }
        : m.id,
  );
  const config = { bench: { methods: methodsJson, seeds: plan.seeds }, shared };
  const input: ReportInput = {
    title: `manytask bench: ${baseConfig.dataset.id} · ${baseConfig.architecture.id}`,
    kind: 'bench',
    dataset: baseConfig.dataset.id,
    architecture: baseConfig.architecture.id,
    tasks,
    methods,
    ...(complete ? { baseline } : {}),
    runs: reportRuns,
    config,
    versions,
    notes,
    createdAt: new Date().toISOString(),
  };
  const results: BenchResults & {
    readonly baselineRuns: readonly {
      task: string;
      seed: number;
      test: TaskMetrics;
      dir: string;
    }[];
  } = {
    format: 'manytask-bench/1',
    ...input,
    runs: methodRuns.map((r) => ({
      method: r.method,
      seed: r.seed,
      test: done.get(r)!.test,
      dir: r.dir,
    })),
    baselineRuns: baselineRuns.map((r) => ({
      task: r.task!,
      seed: r.seed,
      test: done.get(r)!.test,
      dir: r.dir,
    })),
  };
  await writeJsonAtomic(join(out, BENCH_FILES.results), results);
  if (opts.report !== false) await writeReport(out, input);
  return { status: interrupted ? 'interrupted' : 'complete', input, results };
}

/**
 * The plan in words (`--dry-run`): every run configuration is validated and the data set loaded
 * for the task list and the step count, but nothing is trained or written.
 */
export async function describePlan(
  plan: BenchPlan,
  out: string,
  registry: Registry = defaultRegistry,
): Promise<string> {
  const source = join(out, 'bench.json');
  const first = parseRunConfig({ ...plan.base, seed: plan.seeds[0] ?? 0 }, registry, { source });
  const data = await loadDataset(first, registry);
  const runs = planRuns(
    plan,
    data.tasks.map((t) => t.id),
    registry,
    source,
  );
  const steps = runs.reduce((s, r) => s + totalStepsOf(r.config, data.train.n), 0);
  const baselines = runs.filter((r) => r.method === SINGLE).length;
  return [
    `plan: ${runs.length} runs = ${plan.methods.length} methods × ${plan.seeds.length} seeds + ${baselines} single-task baselines (${data.tasks.length} tasks × ${plan.seeds.length} seeds)`,
    `data: ${data.id}, ${data.train.n} training rows; ${first.epochs} epochs of batch ${first.batchSize}: ${steps} optimiser steps in total`,
    `methods: ${plan.methods.map((m) => `${m.label !== undefined ? `${m.label} = ` : ''}${m.id}${Object.keys(m.options).length > 0 ? ` ${JSON.stringify(m.options)}` : ''}`).join(', ')}`,
    `out: ${out}`,
    '',
  ].join('\n');
}

/**
 * Resolves the methods of a bench: `--methods` entries (every id must be registered: a typo is an
 * error) or the default list (unregistered ids skipped with a note), with optional options per
 * entry `{ "<id or label>": { ...options } }`. An entry `label=id` is a variant of a method under
 * its own name, so one method can be compared with itself under other options
 * (`--methods cagrad,cagrad-c0.9=cagrad --method-options '{"cagrad-c0.9": {"c": 0.9}}'`).
 */
export function resolveMethods(
  list: string | undefined,
  optionsJson: string | undefined,
  registry: Registry,
): { methods: BenchMethod[]; notes: string[] } {
  let perMethod: Record<string, unknown> = {};
  if (optionsJson !== undefined) {
    try {
      perMethod = JSON.parse(optionsJson) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(
        `--method-options must be a JSON object of method id → options (e.g. '{"cagrad": {"c": 0.5}}'): ${(err as Error).message}`,
      );
    }
    if (typeof perMethod !== 'object' || perMethod === null || Array.isArray(perMethod))
      throw new ConfigError(
        `--method-options must be a JSON object of method id → options (e.g. '{"cagrad": {"c": 0.5}}'), got ${optionsJson}`,
      );
  }
  const notes: string[] = [];
  let entries: { name: string; id: string; labelled: boolean }[];
  if (list !== undefined) {
    entries = list
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((entry) => {
        const eq = entry.indexOf('=');
        if (eq < 0) return { name: entry, id: entry, labelled: false };
        const name = entry.slice(0, eq).trim();
        const id = entry.slice(eq + 1).trim();
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name === SINGLE)
          throw new ConfigError(
            `--methods: label '${name}' in '${entry}' must start with a letter or digit and use only letters, digits, '.', '_' and '-' (and not be '${SINGLE}')`,
          );
        if (id === '') throw new ConfigError(`--methods: '${entry}' names no method after '='`);
        return { name, id, labelled: true };
      });
    if (entries.length === 0) throw new ConfigError(`--methods must list at least one method id`);
    const names = entries.map((e) => e.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined)
      throw new ConfigError(
        `--methods lists '${dup}' twice; to compare a method with other options, name the variant: '${dup}-2=${entries.find((e) => e.name === dup)!.id}'`,
      );
  } else {
    const ids = DEFAULT_BENCH_METHODS.filter((id) => registry.has(id));
    const missing = DEFAULT_BENCH_METHODS.filter((id) => !registry.has(id));
    if (missing.length > 0)
      notes.push(`Default methods not available in this build, skipped: ${missing.join(', ')}.`);
    entries = ids.map((id) => ({ name: id, id, labelled: false }));
  }
  const names = entries.map((e) => e.name);
  for (const key of Object.keys(perMethod))
    if (!names.includes(key))
      throw new ConfigError(
        `--method-options has options for '${key}', which is not in the bench (methods: ${names.join(', ')})`,
      );
  const methods = entries.map((e) => {
    const o = perMethod[e.name] ?? {};
    if (typeof o !== 'object' || o === null || Array.isArray(o))
      throw new ConfigError(
        `--method-options: the options of '${e.name}' must be an object, got ${JSON.stringify(o)}`,
      );
    return {
      id: e.id,
      options: o as Record<string, unknown>,
      ...(e.labelled ? { label: e.name } : {}),
    };
  });
  return { methods, notes };
}

/** `--jobs`: a positive integer, or `auto` (one per core, at most 8). */
export function parseJobs(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text === 'auto') return Math.max(1, Math.min(8, availableParallelism()));
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new ConfigError(`--jobs must be an integer in 1..64 or 'auto', got '${text}'`);
  return n;
}

export const benchCommand: Command = {
  name: 'bench',
  summary:
    'Compare methods × seeds against single-task baselines: results.json, report.html, table',
  usage: [
    'Usage: manytask bench [--methods m1,m2,...] [--seeds N] [run flags] [--out <dir>]',
    '       manytask bench --resume <bench-dir>',
    '',
    `  --methods <ids>             methods to compare (default: ${DEFAULT_BENCH_METHODS.join(', ')}; unregistered ones skipped)`,
    `  --method-options '<json>'   per-method options: '{"cagrad": {"c": 0.5}}'`,
    '                              a variant under its own name: --methods cagrad,strong=cagrad',
    `                              --method-options '{"strong": {"c": 0.9}}'`,
    `  --seeds <n>                 seeds per method (default ${BENCH_DEFAULTS.seeds}); seeds are --seed, --seed+1, ...`,
    '  --out <dir>                 bench directory (default runs/bench-<dataset>)',
    '  --resume <dir>              finish an interrupted bench (finished runs are kept)',
    '  --dry-run                   validate every run configuration and print the plan; train nothing',
    '  --jobs <n|auto>             train n runs side by side in worker threads (auto: one per core, at',
    '                              most 8; default 1); results do not depend on it',
    '',
    'Run flags (shared by every run):',
    ...CONFIG_FLAGS_USAGE.filter((l) => !l.includes('--method <id>')),
    '',
    `With no flags: ${BENCH_DEFAULTS.architecture.id} (hidden ${BENCH_DEFAULTS.architecture.hidden.join('→')}), ${BENCH_DEFAULTS.optimizer.id} lr ${BENCH_DEFAULTS.optimizer.learningRate}, ${BENCH_DEFAULTS.epochs} epochs, ${BENCH_DEFAULTS.seeds} seeds on the default data set.`,
  ].join('\n'),
  async run(argv, io) {
    const { method: _m, ...flagSpec } = CONFIG_FLAGS;
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        ...flagSpec,
        methods: { type: 'string' },
        seeds: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'string' },
        'dry-run': { type: 'boolean' },
        jobs: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0)
      throw new ConfigError(
        `unexpected argument '${positionals[0]}'; options are flags (see manytask bench --help)`,
      );
    const registry = defaultRegistry;
    let plan: BenchPlan;
    let out: string;
    if (values.resume !== undefined) {
      const others = Object.keys(values).filter((k) => k !== 'resume' && k !== 'jobs');
      if (others.length > 0)
        throw new ConfigError(
          `--resume takes the plan from ${join(values.resume, 'bench.json')}; drop --${others[0]}`,
        );
      out = values.resume;
      plan = (await readJson(join(out, 'bench.json'))) as BenchPlan;
      if (plan.format !== 'manytask-bench-plan/1')
        throw new ConfigError(`${join(out, 'bench.json')}: not a manytask bench plan`);
    } else {
      const { methods, notes } = resolveMethods(values.methods, values['method-options'], registry);
      const seedsText = values.seeds ?? String(BENCH_DEFAULTS.seeds);
      const seeds = Number(seedsText);
      if (!Number.isInteger(seeds) || seeds < 1)
        throw new ConfigError(`--seeds must be an integer ≥ 1, got '${seedsText}'`);
      // Defaults of the bench apply unless the config file or a flag sets the key.
      let fileBase: Record<string, unknown> = {};
      if (values.config !== undefined) {
        const content = await readJson(values.config);
        if (typeof content !== 'object' || content === null || Array.isArray(content))
          throw new ConfigError(`${values.config}: the run configuration must be a JSON object`);
        fileBase = content as Record<string, unknown>;
        if ('method' in fileBase)
          throw new ConfigError(
            `${values.config}: \`method\` is chosen per run by the bench; remove it and use --methods (and --method-options)`,
          );
      }
      const {
        'method-options': _mo,
        methods: _ms,
        seeds: _s,
        out: _o,
        resume: _r,
        ...flags
      } = values;
      const merged = mergeFlags(
        {
          architecture: { ...BENCH_DEFAULTS.architecture },
          optimizer: { ...BENCH_DEFAULTS.optimizer },
          epochs: BENCH_DEFAULTS.epochs,
          ...fileBase,
        },
        flags,
      );
      // Validate the shared part once, with the source that set each key, before any training.
      const check = parseRunConfig(merged.raw, registry, {
        source: values.config ?? 'bench',
        flags: merged.flags,
      });
      for (const m of methods)
        parseRunConfig({ ...merged.raw, method: { id: m.id, ...m.options } }, registry, {
          source:
            values['method-options'] !== undefined
              ? '--method-options'
              : values.methods !== undefined
                ? '--methods'
                : 'default methods',
        });
      const { method: _bm, ...base } = runConfigToJson(check);
      plan = {
        format: 'manytask-bench-plan/1',
        base,
        methods,
        seeds: Array.from({ length: seeds }, (_, i) => check.seed + i),
        notes,
      };
      out = values.out ?? join('runs', `bench-${check.dataset.id}`);
      if (await pathExists(join(out, 'bench.json')))
        throw new ConfigError(
          `--out ${out}: the directory already holds a bench; finish it with --resume ${out} or choose another --out`,
        );
    }
    for (const n of plan.notes) io.stdout(`note: ${n}\n`);
    if (values['dry-run'] === true) {
      io.stdout(await describePlan(plan, out, registry));
      return 0;
    }
    const jobs = parseJobs(values.jobs);
    await initBackend({ log: (line) => io.stderr(line + '\n') });
    const interrupt = installInterrupt(io);
    try {
      io.stdout(
        `bench: ${plan.methods.map(benchName).join(', ')} × seeds ${plan.seeds.join(', ')} (+ single-task baselines) → ${out}\n`,
      );
      const started = performance.now();
      const outcome = await runBench({ plan, out, io, interrupt, registry, jobs });
      io.stdout('\n' + formatResultsTable(outcome.input));
      io.stdout(
        `\n${outcome.results.runs.length + (outcome.results.baselineRuns?.length ?? 0)} runs in ${formatNumber((performance.now() - started) / 1000, 1)} s\nresults: ${join(out, BENCH_FILES.results)}\nreport: ${join(out, BENCH_FILES.report)}\n`,
      );
      if (outcome.status === 'interrupted') {
        io.stdout(`interrupted; continue with: manytask bench --resume ${out}\n`);
        return 130;
      }
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
