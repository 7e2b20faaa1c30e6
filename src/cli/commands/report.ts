/**
 * `manytask report <run-or-bench-dir>`: regenerates `report.html` from the files a `train` run
 * (`config.json`, `meta.json`, `metrics.jsonl`) or a `bench` (`results.json` plus each run's
 * `metrics.jsonl`) wrote. Also the run-directory readers that `train` and `bench` share.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DataError } from '../../core/errors.js';
import type { TaskKind } from '../../core/model.js';
import { defaultRegistry } from '../../registry/index.js';
import { renderReport } from '../../report/html.js';
import { summarizeMethod } from '../../report/summary.js';
import type {
  FinalRecord,
  HistoryRecord,
  ReportInput,
  ReportRun,
  TaskMetrics,
} from '../../report/types.js';
import { readJson, readJsonl, writeFileAtomic } from '../fsutil.js';
import type { Command } from './types.js';

/** Files of a run directory. */
export const RUN_FILES = {
  config: 'config.json',
  meta: 'meta.json',
  metrics: 'metrics.jsonl',
  checkpoint: 'checkpoint',
  report: 'report.html',
  model: 'model.json',
} as const;

/** Files of a bench directory (each run in `runs/<method>-seed<k>/`). */
export const BENCH_FILES = {
  results: 'results.json',
  report: 'report.html',
  runs: 'runs',
} as const;

/** `meta.json` of a run directory: what the report needs besides the config. */
export interface RunMeta {
  readonly format: 'manytask-run/1';
  readonly tasks: readonly { readonly id: string; readonly kind: TaskKind }[];
  readonly versions: Readonly<Record<string, string>>;
  readonly createdAt: string;
  /** `running` until the final evaluation is written; `interrupted` after Ctrl-C. */
  readonly status: 'running' | 'interrupted' | 'complete';
  /** Steps done when the status was last written. */
  readonly step: number;
  readonly totalSteps: number;
  /** Dataset provenance line. */
  readonly provenance?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `metrics.jsonl` as history records (lines of unknown kinds are skipped). */
export async function readHistory(dir: string): Promise<HistoryRecord[]> {
  const { records } = await readJsonl(join(dir, RUN_FILES.metrics));
  return records.filter(
    (r): r is HistoryRecord =>
      isRecord(r) && (r['kind'] === 'step' || r['kind'] === 'epoch' || r['kind'] === 'final'),
  );
}

/** Display name from the registry, or the id when the method is not registered (any more). */
export function displayNameOf(id: string): string {
  return defaultRegistry.has(id) ? defaultRegistry.get(id).displayName : id;
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/** The report input of one `train` run directory. */
export async function loadRunReport(dir: string): Promise<ReportInput> {
  const config = await readJson(join(dir, RUN_FILES.config));
  const meta = (await readJson(join(dir, RUN_FILES.meta))) as RunMeta;
  if (!isRecord(config) || !isRecord(meta) || meta.format !== 'manytask-run/1')
    throw new DataError(`${dir}: not a manytask run directory (config.json/meta.json invalid)`, {
      file: dir,
    });
  const history = await readHistory(dir);
  const final = history.findLast((r): r is FinalRecord => r.kind === 'final');
  const idOf = (key: string): string => {
    const v = config[key];
    return isRecord(v) && typeof v['id'] === 'string' ? v['id'] : '?';
  };
  const method = idOf('method');
  const seed = typeof config['seed'] === 'number' ? config['seed'] : 0;
  const test: TaskMetrics = final?.test ?? {};
  const run: ReportRun = { method, seed, history, test };
  const notes: string[] = [];
  if (final === undefined)
    notes.push(
      meta.status === 'interrupted'
        ? `Interrupted at step ${meta.step} of ${meta.totalSteps}; continue with \`manytask train --resume ${dir}\`.`
        : `No final evaluation yet (step ${meta.step} of ${meta.totalSteps}).`,
    );
  return {
    title: `manytask train: ${idOf('dataset')} · ${displayNameOf(method)}`,
    kind: 'train',
    dataset: idOf('dataset'),
    architecture: idOf('architecture'),
    tasks: meta.tasks,
    methods: [summarizeMethod(method, displayNameOf(method), [run])],
    runs: [run],
    config,
    versions: meta.versions,
    notes,
    createdAt: meta.createdAt,
  };
}

/**
 * `results.json` of a bench: the report input without the per-run histories (they stay in each
 * run's `metrics.jsonl`); `runs[i].dir` is relative to the bench directory.
 */
export interface BenchResults extends Omit<ReportInput, 'runs'> {
  readonly format: 'manytask-bench/1';
  readonly runs: readonly (Omit<ReportRun, 'history'> & { readonly dir: string })[];
  /** The single-task baseline runs behind `baseline`. */
  readonly baselineRuns?: readonly {
    readonly task: string;
    readonly seed: number;
    readonly test: TaskMetrics;
    readonly dir: string;
  }[];
}

/** The report input of a bench directory (histories read from each run's directory). */
export async function loadBenchReport(dir: string): Promise<ReportInput> {
  const results = (await readJson(join(dir, BENCH_FILES.results))) as BenchResults;
  if (!isRecord(results) || results.format !== 'manytask-bench/1' || !Array.isArray(results.runs))
    throw new DataError(`${join(dir, BENCH_FILES.results)}: not a manytask bench results file`, {
      file: join(dir, BENCH_FILES.results),
    });
  const { format: _f, runs, baselineRuns: _b, ...rest } = results;
  const loaded: ReportRun[] = [];
  for (const r of runs) {
    const { dir: runDir, ...run } = r;
    loaded.push({ ...run, history: await readHistory(join(dir, runDir)) });
  }
  return { ...rest, runs: loaded };
}

/** Renders `input` and writes `<dir>/report.html` atomically; returns its path. */
export async function writeReport(dir: string, input: ReportInput): Promise<string> {
  const path = join(dir, RUN_FILES.report);
  await writeFileAtomic(path, await renderReport(input));
  return path;
}

/** Loads a run or bench directory, whichever `dir` is. */
export async function loadReport(dir: string): Promise<ReportInput> {
  if (await exists(join(dir, BENCH_FILES.results))) return loadBenchReport(dir);
  if (await exists(join(dir, RUN_FILES.meta))) return loadRunReport(dir);
  throw new DataError(
    `${dir}: neither a run directory (meta.json, config.json, metrics.jsonl) nor a bench directory (results.json); pass the directory that \`manytask train\` or \`manytask bench\` wrote`,
    { file: dir },
  );
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'Regenerate report.html of a train run or bench directory',
  usage: [
    'Usage: manytask report <run-or-bench-dir> [--out <file>]',
    '',
    '  Rebuilds the self-contained HTML report from the files in the directory:',
    '  a train run (config.json, meta.json, metrics.jsonl) or a bench (results.json, runs/*).',
    '  --out <file>   write the report here instead of <dir>/report.html',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { out: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1)
      throw new ConfigError(
        `expected one directory (manytask report <run-or-bench-dir>), got ${positionals.length}`,
      );
    const dir = positionals[0]!;
    const input = await loadReport(dir);
    let path: string;
    if (values.out !== undefined) {
      path = values.out;
      await writeFileAtomic(path, await renderReport(input));
    } else {
      path = await writeReport(dir, input);
    }
    io.stdout(`report: ${path}\n`);
    return 0;
  },
};
