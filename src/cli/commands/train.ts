/**
 * `manytask train`: one training run into a run directory (config.json, meta.json,
 * metrics.jsonl, checkpoint/, model.json, report.html), with atomic checkpoints every epoch and on
 * Ctrl-C, and `--resume <run-dir>` to continue from the last checkpoint to the same result as an
 * uninterrupted run. {@link runTraining} is also what every run of `manytask bench` calls.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { saveModel } from '../../architectures/io.js';
import type { BilevelMethod } from '../../bilevel/types.js';
import { backendInfo, initBackend } from '../../backend/index.js';
import { ConfigError } from '../../core/errors.js';
import type { ArchitectureBuilder, MtlModel } from '../../core/model.js';
import { createRng } from '../../core/rng.js';
import type {
  Aggregator,
  GradientTransformation,
  LossWeighting,
  Regularizer,
  TaskOptimizer,
} from '../../core/types.js';
import type { Dataset, DatasetLoader } from '../../data/types.js';
import { evaluate } from '../../metrics/evaluate.js';
import { defaultRegistry, type Registry } from '../../registry/index.js';
import type {
  EpochRecord,
  FinalRecord,
  HistoryRecord,
  StepRecord,
  TaskMetrics,
} from '../../report/types.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../train/checkpoint.js';
import type { StepMethod, StepReport } from '../../train/step.js';
import { createShardPool, type ShardPool } from '../../train/data-parallel.js';
import { createTrainer, type EpochSummary, type TrainerState } from '../../train/trainer.js';
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_USAGE,
  loadRunConfig,
  parseRunConfig,
  runConfigToJson,
  type RunConfig,
} from '../config.js';
import {
  hasCheckpoint,
  openJsonl,
  readCheckpoint,
  readJson,
  readJsonl,
  writeCheckpoint,
  writeJsonAtomic,
  writeJsonlAtomic,
  type JsonlWriter,
} from '../fsutil.js';
import { createProgress, formatDuration, type Progress } from '../progress.js';
import { loadRunReport, RUN_FILES, writeReport, type RunMeta } from './report.js';
import type { CliIo, Command } from './types.js';

/** Ctrl-C state of a command. */
export interface Interrupt {
  /** True after the first Ctrl-C: stop after the current step and write a checkpoint. */
  readonly requested: boolean;
  /** Removes the signal handler. */
  dispose(): void;
}

/**
 * Installs a SIGINT handler: the first Ctrl-C only sets {@link Interrupt.requested} (the loop
 * stops after the current step and writes a checkpoint); a second one calls `onSecond`
 * (default: exit 130 at once; the last committed checkpoint stays intact thanks to atomic writes).
 */
export function installInterrupt(
  io: CliIo,
  onSecond: () => void = () => process.exit(130),
): Interrupt {
  let requested = false;
  const handler = (): void => {
    if (requested) {
      onSecond();
      return;
    }
    requested = true;
    io.stderr(
      '\nmanytask: Ctrl-C: stopping after the current step and writing a checkpoint (Ctrl-C again quits at once)\n',
    );
  };
  process.on('SIGINT', handler);
  return {
    get requested() {
      return requested;
    },
    dispose: () => {
      process.off('SIGINT', handler);
    },
  };
}

let cachedVersion: string | undefined;

/** manytask's own version, from its package.json (same relative path from src/ and dist/). */
export function manytaskVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(
        readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
      ) as { version?: unknown };
      cachedVersion = typeof pkg.version === 'string' ? pkg.version : 'unknown';
    } catch {
      cachedVersion = 'unknown';
    }
  }
  return cachedVersion;
}

/** Versions recorded in meta.json and shown in the report. */
export function runVersions(): Record<string, string> {
  const info = backendInfo();
  const extras = [
    ...info.kernels,
    ...(info.blas !== undefined ? [`BLAS ${info.blas.library}`] : []),
  ];
  return {
    manytask: manytaskVersion(),
    tfjs: tf.version.tfjs,
    backend: extras.length > 0 ? `${info.name} (${extras.join(', ')})` : info.name,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/** Loads the configured data set (split with the run's seed). */
export async function loadDataset(config: RunConfig, registry: Registry): Promise<Dataset> {
  const loader = registry.create<DatasetLoader>(
    config.dataset.id,
    config.dataset.options,
    'dataset',
  );
  return loader.load(config.seed);
}

/** The dataset restricted to some of its tasks (single-task baselines). */
export function restrictTasks(dataset: Dataset, tasks: readonly string[]): Dataset {
  for (const t of tasks) {
    if (!dataset.tasks.some((d) => d.id === t))
      throw new ConfigError(
        `tasks: '${t}' is not a task of ${dataset.id}; its tasks are ${dataset.tasks.map((d) => d.id).join(', ')}`,
      );
  }
  return { ...dataset, tasks: dataset.tasks.filter((d) => tasks.includes(d.id)) };
}

/** Builds the trainer's method from the configured registry entry. */
export function stepMethodFor(config: RunConfig, registry: Registry): StepMethod {
  const created = registry.create(config.method.id, config.method.options);
  if (config.method.kind === 'loss-weighting')
    return { kind: 'loss-weighting', weighting: created as LossWeighting };
  if (config.method.kind === 'task-optimizer')
    return { kind: 'task-optimizer', optimizer: created as TaskOptimizer };
  if (config.method.kind === 'bilevel')
    return { kind: 'bilevel', method: created as BilevelMethod };
  return {
    kind: 'aggregator',
    aggregator: created as Aggregator,
    mode: config.engine.mode,
    jacobianEvery: config.engine.jacobianEvery,
    ...(config.lossWeighting !== undefined
      ? {
          lossWeighting: registry.create<LossWeighting>(
            config.lossWeighting.id,
            config.lossWeighting.options,
            'loss-weighting',
          ),
        }
      : {}),
  };
}

/** One `metrics.jsonl` step line from a step report (non-finite values left out). */
export function stepRecord(r: StepReport): StepRecord {
  const byTask = (v: Float64Array): Record<string, number> =>
    Object.fromEntries(r.tasks.flatMap((t, i) => (Number.isFinite(v[i]) ? [[t, v[i]!]] : [])));
  const k = r.tasks.length;
  const cosines: Record<string, number> = {};
  if (r.cosines !== undefined) {
    for (let i = 0; i < k; i++)
      for (let j = i + 1; j < k; j++) {
        const c = r.cosines[i * k + j]!;
        if (Number.isFinite(c)) cosines[`${r.tasks[i]}|${r.tasks[j]}`] = c;
      }
  }
  const diagnostics = Object.fromEntries(
    Object.entries(r.diagnostics).filter(([, v]) => Number.isFinite(v)),
  );
  return {
    kind: 'step',
    step: r.step,
    epoch: r.epoch,
    losses: byTask(r.losses),
    ...(r.weights !== undefined ? { weights: byTask(r.weights) } : {}),
    ...(r.lossWeights !== undefined ? { lossWeights: byTask(r.lossWeights) } : {}),
    ...(Object.keys(cosines).length > 0 ? { cosines } : {}),
    ...(Object.keys(diagnostics).length > 0 ? { diagnostics } : {}),
    ...(Object.keys(r.penalties).length > 0 ? { penalties: { ...r.penalties } } : {}),
    ...(r.warnings.length > 0 ? { warnings: [...r.warnings] } : {}),
  };
}

/** Options of {@link runTraining}. */
export interface RunTrainingOptions {
  readonly config: RunConfig;
  /** The run directory (created when missing). */
  readonly dir: string;
  readonly interrupt: Pick<Interrupt, 'requested'>;
  /** Progress display; `progressBase` steps of earlier runs are added (bench). */
  readonly progress: Progress;
  readonly progressBase?: number;
  /** Continue from the directory's checkpoint. */
  readonly resume?: boolean;
  /** A preloaded data set (bench loads each seed's split once). */
  readonly dataset?: Dataset;
  readonly registry?: Registry;
  /** Write report.html at the end (default true). */
  readonly report?: boolean;
  /** Prefix of the epoch log lines (e.g. the bench run label). */
  readonly label?: string;
  /** One log line per epoch (default true; a bench logs one line per run instead). */
  readonly epochLog?: boolean;
}

/** What {@link runTraining} returns. */
export interface RunTrainingResult {
  readonly status: 'complete' | 'interrupted';
  readonly valid: TaskMetrics;
  readonly test: TaskMetrics;
  /** Steps done in total (earlier sessions included). */
  readonly steps: number;
  readonly totalSteps: number;
  /** Wall-clock seconds of this session. */
  readonly seconds: number;
  readonly tasks: RunMeta['tasks'];
}

/** Optimiser steps of a run: epochs × ⌈n / batchSize⌉. */
export function totalStepsOf(config: RunConfig, trainRows: number): number {
  return config.epochs * Math.ceil(trainRows / config.batchSize);
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));

function lossText(tasks: readonly string[], v: Float64Array): string {
  return tasks.map((t, i) => `${t} ${fmt(v[i]!)}`).join(' ');
}

/**
 * Trains one configured run into `dir`: writes config.json and meta.json, appends metrics.jsonl,
 * checkpoints at the end of every epoch and when interrupted, evaluates the validation split every
 * `evalEvery` epochs, and at the end the validation and test splits (final line), model.json and
 * report.html. With `resume`, restores the checkpoint, drops log lines written after it and
 * continues; the result equals an uninterrupted run's.
 */
export async function runTraining(opts: RunTrainingOptions): Promise<RunTrainingResult> {
  const { config, dir, progress } = opts;
  const registry = opts.registry ?? defaultRegistry;
  const started = performance.now();
  await fsp.mkdir(dir, { recursive: true });
  let dataset = opts.dataset ?? (await loadDataset(config, registry));
  if (config.tasks !== undefined) dataset = restrictTasks(dataset, config.tasks);
  const tasks = dataset.tasks.map((t) => ({ id: t.id, kind: t.kind }));
  const taskIds = tasks.map((t) => t.id);
  const totalSteps = totalStepsOf(config, dataset.train.n);
  const base = opts.progressBase ?? 0;
  const ckptDir = join(dir, RUN_FILES.checkpoint);
  const metricsPath = join(dir, RUN_FILES.metrics);

  const rng = createRng(config.seed);
  const builder = registry.create<ArchitectureBuilder>(
    config.architecture.id,
    config.architecture.options,
    'architecture',
  );
  const model: MtlModel = builder.build(dataset.inputSpec, dataset.tasks, rng.split());
  let state: TrainerState | undefined;
  let log: JsonlWriter | undefined;
  let trainer: ReturnType<typeof createTrainer> | undefined;
  let pool: ShardPool | undefined;
  try {
    if (config.engine.threads > 1)
      pool = await createShardPool({
        threads: config.engine.threads,
        model,
        engine: config.engine.autodiff,
      });
    trainer = createTrainer({
      ...(pool !== undefined ? { parallel: pool } : {}),
      model,
      method: stepMethodFor(config, registry),
      optimizer: registry.create<GradientTransformation>(
        config.optimizer.id,
        config.optimizer.options,
        'optimizer',
      ),
      ...(config.extraOptimizer !== undefined
        ? {
            extraOptimizer: registry.create<GradientTransformation>(
              config.extraOptimizer.id,
              config.extraOptimizer.options,
              'optimizer',
            ),
          }
        : {}),
      regularizers: config.regularizers.map((r) =>
        registry.create<Regularizer>(r.id, r.options, 'regularizer'),
      ),
      onNonFinite: config.engine.onNonFinite,
      engine: config.engine.autodiff,
      train: dataset.train,
      batchSize: config.batchSize,
      epochs: config.epochs,
      seed: config.seed,
    });
    const createdAt = new Date().toISOString();
    let meta: RunMeta = {
      format: 'manytask-run/1',
      tasks,
      versions: runVersions(),
      createdAt,
      status: 'running',
      step: 0,
      totalSteps,
      provenance: dataset.provenance,
    };
    if (opts.resume === true && (await hasCheckpoint(ckptDir))) {
      const stored = await readCheckpoint(ckptDir);
      const bytes = stored.arrays['trainer']?.data;
      if (!(bytes instanceof Uint8Array))
        throw new ConfigError(`${ckptDir}: the checkpoint has no trainer state`);
      state = trainer.restore(decodeCheckpoint(bytes));
      const prev = (await readJson(join(dir, RUN_FILES.meta))) as RunMeta;
      meta = { ...meta, createdAt: prev.createdAt, step: state.train.step };
      // Lines logged after the checkpoint are replayed by the resumed run: drop them.
      const at = state;
      const { records } = await readJsonl(metricsPath);
      await writeJsonlAtomic(
        metricsPath,
        (records as HistoryRecord[]).filter((r) =>
          r.kind === 'step' ? r.step < at.train.step : r.kind === 'epoch' && r.epoch < at.epoch,
        ),
      );
    } else {
      state = trainer.init();
      await writeJsonAtomic(join(dir, RUN_FILES.config), runConfigToJson(config));
      await writeJsonlAtomic(metricsPath, []);
    }
    await writeJsonAtomic(join(dir, RUN_FILES.meta), meta);
    log = await openJsonl(metricsPath);
    const writer = log;
    const run = trainer;

    const saveCheckpoint = async (s: TrainerState, status: RunMeta['status']): Promise<void> => {
      await writer.sync();
      const bytes = encodeCheckpoint(run.checkpoint(s));
      await writeCheckpoint(ckptDir, String(s.train.step), {
        meta: { step: s.train.step, epoch: s.epoch, batchInEpoch: s.batchInEpoch },
        arrays: { trainer: { dtype: 'uint8', shape: [bytes.length], data: bytes } },
      });
      meta = { ...meta, status, step: s.train.step };
      await writeJsonAtomic(join(dir, RUN_FILES.meta), meta);
    };
    const evalRng = (): ReturnType<typeof createRng> => createRng(config.seed);
    // Fallbacks are explicit: every warning is in metrics.jsonl; the console gets each one once.
    const warned = new Set<string>();
    const warnOnce = (where: string, w: string): void => {
      if (warned.has(w)) return;
      warned.add(w);
      progress.log(`warning (${where}): ${w}`);
    };
    const evalSplit = async (split: Dataset['valid'], name: string): Promise<TaskMetrics> => {
      if (split.n === 0) return {};
      const r = await evaluate(model, split, { batchSize: 1024, rng: evalRng() });
      for (const w of r.warnings) warnOnce(`${name} evaluation`, w);
      return r.perTask;
    };

    let epochStart = performance.now();
    let lastLoss = '';
    const stepsPerEpoch = Math.ceil(dataset.train.n / config.batchSize);
    const result = await run.run(state, {
      signal: {
        get aborted() {
          return opts.interrupt.requested;
        },
      },
      checkpointEvery: stepsPerEpoch,
      onCheckpoint: async (_ckpt, s) => saveCheckpoint(s, 'running'),
      onStep: async (r) => {
        lastLoss = lossText(taskIds, r.losses);
        for (const w of r.warnings) warnOnce(`step ${r.step}`, w);
        if (r.step % config.logEvery === 0 || r.warnings.length > 0)
          await writer.append(stepRecord(r));
        progress.update(base + r.step + 1, `loss ${lastLoss}`);
      },
      onEpoch: async (e: EpochSummary) => {
        const evalNow = (e.epoch + 1) % config.evalEvery === 0 || e.epoch + 1 === config.epochs;
        const valid = evalNow ? await evalSplit(dataset.valid, 'validation') : undefined;
        const seconds = (performance.now() - epochStart) / 1000;
        const rec: EpochRecord = {
          kind: 'epoch',
          epoch: e.epoch,
          step: e.step,
          trainLoss: Object.fromEntries(taskIds.map((t, i) => [t, e.meanLosses[i]!])),
          ...(valid !== undefined ? { valid } : {}),
          seconds,
        };
        await writer.append(rec);
        const validText =
          valid !== undefined
            ? `  valid ${taskIds
                .map((t) => {
                  const m = valid[t] ?? {};
                  const name = 'auc' in m ? 'auc' : 'accuracy' in m ? 'accuracy' : 'mse';
                  return `${t} ${name} ${fmt(m[name] ?? NaN)}`;
                })
                .join(' ')}`
            : '';
        if (opts.epochLog !== false)
          progress.log(
            `${opts.label !== undefined ? `${opts.label}  ` : ''}epoch ${e.epoch + 1}/${config.epochs}  step ${e.step}/${totalSteps}  loss ${lossText(taskIds, e.meanLosses)}${validText}  (${formatDuration(seconds)})`,
          );
        epochStart = performance.now();
      },
    });
    state = result.state;
    if (!result.done) {
      await saveCheckpoint(state, 'interrupted');
      return {
        status: 'interrupted',
        valid: {},
        test: {},
        steps: state.train.step,
        totalSteps,
        seconds: (performance.now() - started) / 1000,
        tasks,
      };
    }
    const valid = await evalSplit(dataset.valid, 'validation');
    const test = await evalSplit(dataset.test, 'test');
    const final: FinalRecord = { kind: 'final', step: state.train.step, valid, test };
    await writer.append(final);
    await saveCheckpoint(state, 'complete');
    await writeJsonAtomic(join(dir, RUN_FILES.model), saveModel(model));
    if (opts.report !== false) await writeReport(dir, await loadRunReport(dir));
    return {
      status: 'complete',
      valid,
      test,
      steps: state.train.step,
      totalSteps,
      seconds: (performance.now() - started) / 1000,
      tasks,
    };
  } finally {
    await log?.close();
    if (state !== undefined) trainer?.dispose(state);
    await pool?.dispose();
    model.dispose();
  }
}

/** Default run directory of a configuration. */
export function defaultRunDir(config: RunConfig): string {
  return join('runs', `train-${config.dataset.id}-${config.method.id}-seed${config.seed}`);
}

/** Prints final test metrics as `task  metric value ...` lines. */
export function formatMetrics(test: TaskMetrics): string {
  return Object.entries(test)
    .map(
      ([task, m]) =>
        `  ${task}: ${Object.entries(m)
          .map(([k, v]) => `${k} ${fmt(v)}`)
          .join('  ')}`,
    )
    .join('\n');
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train one model (config file or flags) into a run directory; --resume continues one',
  usage: [
    'Usage: manytask train [--config run.json] [flags] [--out <run-dir>]',
    '       manytask train --resume <run-dir>',
    '',
    ...CONFIG_FLAGS_USAGE,
    '  --out <dir>                 run directory (default runs/train-<dataset>-<method>-seed<seed>)',
    '  --resume <dir>              continue an interrupted run from its checkpoint',
    '',
    'Writes config.json, meta.json, metrics.jsonl, checkpoint/, model.json and report.html.',
    'Ctrl-C stops after the current step and writes a checkpoint (exit code 130).',
  ].join('\n'),
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...CONFIG_FLAGS, out: { type: 'string' }, resume: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0)
      throw new ConfigError(
        `unexpected argument '${positionals[0]}'; options are flags (see manytask train --help)`,
      );
    const registry = defaultRegistry;
    let config: RunConfig;
    let dir: string;
    const resume = values.resume !== undefined;
    if (values.resume !== undefined) {
      const others = Object.keys(values).filter((k) => k !== 'resume');
      if (others.length > 0)
        throw new ConfigError(
          `--resume takes the configuration from ${join(values.resume, RUN_FILES.config)}; drop --${others[0]}`,
        );
      dir = values.resume;
      const cfgPath = join(dir, RUN_FILES.config);
      if (!(await pathExists(join(dir, RUN_FILES.meta))))
        throw new ConfigError(
          `--resume ${dir}: not a run directory (no ${RUN_FILES.meta}); pass a directory written by manytask train`,
        );
      const meta = (await readJson(join(dir, RUN_FILES.meta))) as RunMeta;
      if (meta.status === 'complete') {
        io.stdout(`${dir}: the run is already complete (${meta.step} steps); nothing to resume\n`);
        return 0;
      }
      config = parseRunConfig(await readJson(cfgPath), registry, { source: cfgPath });
    } else {
      config = await loadRunConfig(values, registry);
      dir = values.out ?? defaultRunDir(config);
      if (await pathExists(join(dir, RUN_FILES.meta)))
        throw new ConfigError(
          `--out ${dir}: the directory already holds a run; continue it with --resume ${dir} or choose another --out`,
        );
    }
    await initBackend({ log: (line) => io.stderr(line + '\n') });
    const interrupt = installInterrupt(io);
    try {
      const dataset = await loadDataset(config, registry);
      const total = totalStepsOf(config, dataset.train.n);
      const bar = createProgress({ io, total, label: config.method.id });
      io.stdout(
        `${resume ? 'resuming' : 'training'} ${config.method.id} on ${config.dataset.id} (${config.architecture.id}, ${config.epochs} epochs, ${total} steps, seed ${config.seed}) → ${dir}\n`,
      );
      const r = await runTraining({ config, dir, interrupt, progress: bar, dataset, resume });
      bar.done();
      if (r.status === 'interrupted') {
        io.stdout(
          `interrupted at step ${r.steps}/${r.totalSteps}; checkpoint written. Continue with: manytask train --resume ${dir}\n`,
        );
        return 130;
      }
      io.stdout(`test metrics:\n${formatMetrics(r.test)}\n`);
      io.stdout(`run directory: ${dir}\nreport: ${join(dir, RUN_FILES.report)}\n`);
      return 0;
    } finally {
      interrupt.dispose();
    }
  },
};
