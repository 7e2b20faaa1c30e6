/**
 * The training loop: epochs of seeded, shuffled batches of a host {@link DataSplit}, one
 * {@link trainStep} per batch, epoch hooks of loss weightings (DWA's `endEpoch`), callbacks, a
 * stop signal, and checkpoints that resume exactly.
 *
 * ```ts
 * const trainer = createTrainer({ model, method, optimizer: adam(), train: data.train, batchSize: 256, epochs: 5, seed: 1 });
 * let state = trainer.init();
 * const { state: end } = await trainer.run(state, { onStep: (r) => log(r), signal });
 * const ckpt = trainer.checkpoint(end); // later: trainer.restore(ckpt) → continue with run()
 * ```
 *
 * Randomness: one seed → a data stream (one permutation per epoch) and a step stream (forward
 * noise, stochastic methods), so changing e.g. the method never changes the batch order.
 */
import { splitToBatch, batchIndices, disposeBatch } from '../data/batches.js';
import type { DataSplit } from '../data/types.js';
import { ConfigError } from '../core/errors.js';
import type { MtlModel } from '../core/model.js';
import { createRng, rngFromState, type RngState } from '../core/rng.js';
import type { TaskId } from '../core/types.js';
import {
  captureCheckpoint,
  restoreCheckpoint,
  type Checkpoint,
  type CheckpointMeta,
} from './checkpoint.js';
import { disposeReplaced } from './state.js';
import {
  createStepSetup,
  disposeTrainState,
  initTrainState,
  trainStep,
  type AnyLossWeighting,
  type StepOptions,
  type StepReport,
  type StepSetup,
  type TrainState,
} from './step.js';

/** Options of {@link createTrainer}. */
export interface TrainerOptions extends StepOptions {
  readonly train: DataSplit;
  readonly batchSize: number;
  readonly epochs: number;
  readonly seed: number;
  /** Shuffle rows every epoch (default true). */
  readonly shuffle?: boolean;
  /** Drop a last batch smaller than `batchSize` (default false). */
  readonly dropLast?: boolean;
}

/** Everything the loop needs to continue; plain data and tensors (see {@link Trainer.checkpoint}). */
export interface TrainerState {
  readonly train: TrainState;
  /** Epoch in progress (0-based); equals `epochs` when training is finished. */
  readonly epoch: number;
  /** Next batch of the epoch. */
  readonly batchInEpoch: number;
  /** Data rng at the start of the current epoch (its permutation is regenerated on resume). */
  readonly epochRng: RngState;
  /** Σ over the epoch's steps of loss_k · labelled_k, and Σ labelled_k (epoch-mean losses). */
  readonly epochLossSum: Float64Array;
  readonly epochLabelled: Float64Array;
  readonly epochSteps: number;
}

/** Per-epoch summary given to `onEpoch` and returned by `run`. */
export interface EpochSummary {
  readonly epoch: number;
  /** Steps taken at the end of the epoch (all epochs). */
  readonly step: number;
  readonly steps: number;
  /** Labelled-row-weighted mean training loss per task (NaN for a task never labelled). */
  readonly meanLosses: Float64Array;
  readonly skippedSteps: number;
  /** What the `evaluate` callback returned. */
  readonly evaluation?: Readonly<Record<string, number>>;
}

/** Callbacks and limits of one {@link Trainer.run}. */
export interface RunOptions {
  readonly onStep?: (report: StepReport) => void | Promise<void>;
  readonly onEpoch?: (summary: EpochSummary) => void | Promise<void>;
  /** Called at the end of every epoch (after `endEpoch`); its result goes into the summary. */
  readonly evaluate?: (
    model: MtlModel,
    info: { readonly epoch: number; readonly step: number },
  ) => Readonly<Record<string, number>> | Promise<Readonly<Record<string, number>>>;
  /** Checked between steps; when aborted, `run` returns with `stopped: true` (e.g. on Ctrl-C). */
  readonly signal?: { readonly aborted: boolean };
  /** Stop once this many steps (in total) have been taken. */
  readonly maxSteps?: number;
  /** Every this many steps, `onCheckpoint` receives a checkpoint of the state. */
  readonly checkpointEvery?: number;
  readonly onCheckpoint?: (ckpt: Checkpoint, state: TrainerState) => void | Promise<void>;
}

/** Result of {@link Trainer.run}. */
export interface RunResult {
  readonly state: TrainerState;
  readonly epochs: readonly EpochSummary[];
  /** True when `signal` or `maxSteps` ended the run before the last epoch. */
  readonly stopped: boolean;
  readonly done: boolean;
}

/** A configured training loop. */
export interface Trainer {
  readonly setup: StepSetup;
  readonly options: TrainerOptions;
  /** Fresh state (optimiser and method states initialised). */
  init(): TrainerState;
  /** Trains from `state` (consumed) until the last epoch, `maxSteps` or the stop signal. */
  run(state: TrainerState, opts?: RunOptions): Promise<RunResult>;
  /** Checkpoint of the model's variables and the complete state (the state stays valid). */
  checkpoint(state: TrainerState): Checkpoint;
  /** Writes a checkpoint's weights into the model and returns its state. */
  restore(ckpt: Checkpoint): TrainerState;
  /** Frees the state's tensors. */
  dispose(state: TrainerState): void;
}

function methodId(o: StepOptions): string {
  const m = o.method;
  if (m.kind === 'loss-weighting') return `loss-weighting:${m.weighting.id}`;
  if (m.kind === 'task-optimizer') return `task-optimizer:${m.optimizer.id}`;
  if (m.kind === 'bilevel') return `bilevel:${m.method.id}`;
  return `aggregator:${m.aggregator.id}:${m.mode ?? 'params'}${m.lossWeighting ? `+${m.lossWeighting.id}` : ''}`;
}

/** Validates the loop options and builds the step setup. */
export function createTrainer(options: TrainerOptions): Trainer {
  const setup = createStepSetup(options);
  const { train, batchSize, epochs, seed } = options;
  const int = (name: string, v: unknown, min: number): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ConfigError(
        `createTrainer: option \`${name}\` must be an integer ≥ ${min}, got ${String(v)}`,
      );
    }
  };
  int('batchSize', batchSize, 1);
  int('epochs', epochs, 0);
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new ConfigError(
      `createTrainer: option \`seed\` must be a finite number, got ${String(seed)}`,
    );
  }
  if (train.n < 1) throw new ConfigError('createTrainer: the training split has no rows');
  if (options.dropLast === true && train.n < batchSize) {
    throw new ConfigError(
      `createTrainer: with dropLast the split (${train.n} rows) yields no batch of ${batchSize}; lower batchSize`,
    );
  }
  const m = options.method;
  if (
    m.kind === 'aggregator' &&
    setup.mode === 'features' &&
    m.aggregator.traits.stateful &&
    options.dropLast !== true &&
    train.n % batchSize !== 0
  ) {
    // Features-mode blocks are [K, B, ...]: a ragged last batch changes the shapes a stateful
    // aggregator may have sized its state with.
    throw new ConfigError(
      `createTrainer: aggregator '${m.aggregator.id}' is stateful and features-mode Jacobian blocks carry the batch size; the last batch (${train.n % batchSize} of ${batchSize} rows) would change their shape: set dropLast: true or a batchSize that divides ${train.n}`,
    );
  }
  const model = options.model;
  const tasks: readonly TaskId[] = setup.tasks;
  const k = tasks.length;
  const meta: CheckpointMeta = {
    architecture: model.architecture,
    modelConfig: model.config,
    tasks,
    method: methodId(options),
    optimizer: options.optimizer.id,
    extraOptimizer: options.extraOptimizer?.id ?? null,
    createdWith: 'manytask',
  };
  const epochBatches = (epochRng: RngState): { batches: Int32Array[]; next: RngState } => {
    const rng = rngFromState(epochRng);
    const batches = batchIndices(train.n, batchSize, rng, {
      shuffle: options.shuffle ?? true,
      dropLast: options.dropLast ?? false,
    });
    return { batches, next: rng.state() };
  };
  const lossWeighting = (): {
    lw: AnyLossWeighting;
    field: 'methodState' | 'lossWeightingState';
  } | null => {
    const m = options.method;
    if (m.kind === 'loss-weighting') return { lw: m.weighting, field: 'methodState' };
    if (m.kind === 'aggregator' && m.lossWeighting !== undefined) {
      return { lw: m.lossWeighting, field: 'lossWeightingState' };
    }
    return null;
  };

  const trainer: Trainer = {
    setup,
    options,
    init() {
      const master = createRng(seed);
      const dataRng = master.split();
      const stepRng = master.split();
      return {
        train: initTrainState(setup, { rng: stepRng }),
        epoch: 0,
        batchInEpoch: 0,
        epochRng: dataRng.state(),
        epochLossSum: new Float64Array(k),
        epochLabelled: new Float64Array(k),
        epochSteps: 0,
      };
    },
    async run(start, opts = {}) {
      let s = start;
      const summaries: EpochSummary[] = [];
      let lastYield = Date.now();
      const stopNow = (): boolean =>
        opts.signal?.aborted === true ||
        (opts.maxSteps !== undefined && s.train.step >= opts.maxSteps);
      while (s.epoch < epochs) {
        const { batches, next: nextEpochRng } = epochBatches(s.epochRng);
        for (let b = s.batchInEpoch; b < batches.length; b++) {
          if (stopNow()) return { state: s, epochs: summaries, stopped: true, done: false };
          const batch = splitToBatch(train, model.inputSpec, model.tasks, batches[b]!);
          let ts: TrainState;
          let report: StepReport;
          try {
            [ts, report] = trainStep(setup, { ...s.train, epoch: s.epoch }, batch);
          } finally {
            disposeBatch(batch);
          }
          const sum = Float64Array.from(s.epochLossSum);
          const lab = Float64Array.from(s.epochLabelled);
          if (!report.skipped) {
            for (let t = 0; t < k; t++) {
              sum[t] = sum[t]! + report.losses[t]! * report.labelled[t]!;
              lab[t] = lab[t]! + report.labelled[t]!;
            }
          }
          s = {
            ...s,
            train: ts,
            batchInEpoch: b + 1,
            epochLossSum: sum,
            epochLabelled: lab,
            epochSteps: s.epochSteps + 1,
          };
          await opts.onStep?.(report);
          if (opts.checkpointEvery !== undefined && ts.step % opts.checkpointEvery === 0) {
            await opts.onCheckpoint?.(trainer.checkpoint(s), s);
          }
          // Let signal handlers (Ctrl-C) run; the timing only decides when, never what is computed.
          if (opts.signal !== undefined && Date.now() - lastYield > 50) {
            await new Promise((r) => setTimeout(r, 0));
            lastYield = Date.now();
          }
        }
        const meanLosses = s.epochLossSum.map((x, t) => x / s.epochLabelled[t]!);
        let train2 = s.train;
        const lw = lossWeighting();
        if (lw !== null && lw.lw.endEpoch !== undefined) {
          const old = train2[lw.field];
          const next = lw.lw.endEpoch(meanLosses, old);
          disposeReplaced(old, next);
          train2 = { ...train2, [lw.field]: next };
        }
        const epochSteps = s.epochSteps;
        s = {
          ...s,
          train: train2,
          epoch: s.epoch + 1,
          batchInEpoch: 0,
          epochRng: nextEpochRng,
          epochLossSum: new Float64Array(k),
          epochLabelled: new Float64Array(k),
          epochSteps: 0,
        };
        const evaluation = await opts.evaluate?.(model, { epoch: s.epoch - 1, step: s.train.step });
        const summary: EpochSummary = {
          epoch: s.epoch - 1,
          step: s.train.step,
          steps: epochSteps,
          meanLosses,
          skippedSteps: s.train.skippedSteps,
          ...(evaluation !== undefined ? { evaluation } : {}),
        };
        summaries.push(summary);
        await opts.onEpoch?.(summary);
      }
      return { state: s, epochs: summaries, stopped: false, done: true };
    },
    checkpoint(state) {
      return captureCheckpoint(model, meta, state);
    },
    restore(ckpt) {
      return restoreCheckpoint(model, meta, ckpt) as TrainerState;
    },
    dispose(state) {
      disposeTrainState(state.train);
    },
  };
  return trainer;
}
