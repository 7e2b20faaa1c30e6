/**
 * One training step: forward once, per-task gradients as the method needs them, method (loss
 * weighting, aggregator or task optimiser), optimiser transforms, parameter update, report.
 *
 * ```ts
 * const setup = createStepSetup({ model, method: { kind: 'aggregator', aggregator: upgrad() }, optimizer: adam() });
 * let state = initTrainState(setup, { seed: 1 });
 * const [next, report] = trainStep(setup, state, batch); // state is consumed
 * ```
 *
 * Paths (ARCHITECTURE §6):
 * - **Loss weighting** (EW, UW, DWA, FAMO, ...): host losses → weights w → ONE backward of
 *   Σ_k w_k L_k (+ auxiliary losses and penalties) for every variable.
 * - **Aggregator**, Jacobian step: the per-task Jacobian J (`params`: K backward passes;
 *   `features`: K head passes, then one trunk backward), the Gramian G = JJᵀ on the device, ONE
 *   host read-back of (losses, labelled counts, penalties, G, head-gradient norms), then
 *   - with a Gramian weighting (`aggregator.weighting`): w = weighting(G), d = Jᵀw on the device;
 *   - otherwise `aggregator.update(J)` → d.
 *   With `jacobianEvery: k` and a Gramian weighting, J and w are computed on steps ≡ 0 (mod k);
 *   the steps in between reuse the last w in a single weighted backward.
 * - **Task optimiser** (AdaTask): J in `params` mode → `optimizer.update(J)` → shared updates.
 * - **Bi-level** (Auto-Lambda, MOML, FORUM): the batch is split into an inner half (first ⌊B/2⌋
 *   rows) and an outer half; the method queries a {@link createModelOracle} over every trainable
 *   variable on them and returns task weights w, and optionally a `direction`. With a direction
 *   (FORUM) it is the gradient every variable's optimiser receives; without one (Auto-Lambda,
 *   MOML) the step is ONE backward of Σ_k w_k L_k on the whole batch, as for a loss weighting.
 *   Auxiliary losses and penalties are added in both cases; the oracle's own passes are in the
 *   method's cost, not in `backwardPasses`.
 *
 * In every path each head gets its own task's gradient (scaled by w_k only in the loss-weighting
 * path, where Σ_k w_k L_k is the objective), and `model.extra` variables get the gradient of the
 * summed objective Σ_k L_k (the weighted one in the loss-weighting path), plus auxiliary losses and
 * regulariser penalties, which reach every variable.
 *
 * Non-finite values are never silent: a NaN/Inf loss, per-task gradient (diag G), head gradient,
 * weight or update throws a {@link NumericalError} naming the task and the step, or with
 * `onNonFinite: 'skip'` skips the step (no parameter, optimiser or method state change;
 * `skippedSteps` + 1; a warning in the report), as ALGORITHMS §0.3 prescribes.
 *
 * Host read-backs per step: exactly one on a Jacobian step with a Gramian weighting or a task
 * optimiser (losses + Gramian + checks); two in the loss-weighting path and on `jacobianEvery`
 * in-between steps (the losses are needed on the host before the backward; the global gradient
 * norm² is read after it as the NaN guard); two for aggregators without a weighting (plus whatever
 * they read themselves: the direction's norm² is the guard). FAMO's `afterStep` adds a forward and
 * one read.
 */
import * as tf from '@tensorflow/tfjs';
import { combine } from '../autodiff/gramian.js';
import { createModelOracle } from '../bilevel/model-oracle.js';
import type { BilevelMethod } from '../bilevel/types.js';
import {
  modelVariables,
  recordForward,
  type EnginePath,
  type GradientSession,
  type JacobianMode,
  type ModelVariables,
} from '../autodiff/jacobian.js';
import { ConfigError, NumericalError, ShapeError } from '../core/errors.js';
import type { Batch, MtlModel } from '../core/model.js';
import { createRng, rngFromState, type Rng, type RngState } from '../core/rng.js';
import type {
  Aggregator,
  GradientTransformation,
  Gramian,
  JacobianSpec,
  LossWeighting,
  ParamTree,
  Regularizer,
  StepContext,
  TaskId,
  TaskJacobian,
  TaskOptimizer,
} from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import { sliceBatch } from './batch-rows.js';
import { checkShardable, recordForwardSharded, type ShardPool } from './data-parallel.js';
import { taskLosses, validateTasks } from './losses.js';
import { disposeReplaced, disposeState } from './state.js';

/**
 * Any loss weighting, whatever its state type. `LossWeighting<S>` declares `afterStep`/`endEpoch`
 * as function-typed properties, which makes it invariant in S, so `LossWeighting<DwaState>` is not
 * a `LossWeighting<unknown>`; the engine treats states as opaque, hence `any` here.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLossWeighting = LossWeighting<any>;

/** What the step does with the task losses. */
export type StepMethod =
  | { readonly kind: 'loss-weighting'; readonly weighting: AnyLossWeighting }
  | {
      readonly kind: 'aggregator';
      readonly aggregator: Aggregator;
      /** Default `'params'`. */
      readonly mode?: JacobianMode;
      /** Recompute J and the weights every k steps (needs `aggregator.weighting`). Default 1. */
      readonly jacobianEvery?: number;
      /** Optional loss-level weights applied to the Jacobian rows first (J ← diag(w)·J). */
      readonly lossWeighting?: AnyLossWeighting;
    }
  | { readonly kind: 'task-optimizer'; readonly optimizer: TaskOptimizer }
  | {
      readonly kind: 'bilevel';
      readonly method: BilevelMethod;
      /**
       * Learning rate the method's look-ahead assumes (`BilevelOracle.learningRate`, Auto-Lambda's
       * virtual step). Default: the `learningRate` of `optimizer` (the last one of a `chain`).
       */
      readonly learningRate?: number;
    };

/** Options of {@link createStepSetup}. */
export interface StepOptions {
  readonly model: MtlModel;
  readonly method: StepMethod;
  /** Transform for every variable the method does not update itself (shared, heads, extra). */
  readonly optimizer: GradientTransformation;
  /** Separate transform for `model.extra` (e.g. router logits with their own learning rate). */
  readonly extraOptimizer?: GradientTransformation;
  readonly regularizers?: readonly Regularizer[];
  /** `'tape'` (default, one forward) or `'naive'` (tf.variableGrads per request). */
  readonly engine?: EnginePath;
  /** `'throw'` (default) or `'skip'` the step on NaN/Inf. */
  readonly onNonFinite?: 'throw' | 'skip';
  /**
   * Worker threads from {@link createShardPool} (built for this model): every step then runs
   * data-parallel on the main thread and the workers (see `./data-parallel.ts` for what it allows).
   */
  readonly parallel?: ShardPool;
}

/** A validated step configuration (build it once with {@link createStepSetup}). */
export interface StepSetup extends StepOptions {
  readonly variables: ModelVariables;
  readonly tasks: readonly TaskId[];
  /** Resolved Jacobian mode (aggregators and task optimisers) and period. */
  readonly mode: JacobianMode;
  readonly jacobianEvery: number;
  /** Learning rate handed to a bi-level method's oracle (null for the other methods). */
  readonly bilevelLearningRate: number | null;
}

/** Complete training state between steps (plain data and tensors; see `checkpoint.ts`). */
export interface TrainState {
  /** Steps taken so far (skipped ones included); the next step's index. */
  readonly step: number;
  readonly epoch: number;
  readonly rng: RngState;
  readonly optState: unknown;
  readonly extraOptState: unknown;
  /** State of the loss weighting, aggregator or task optimiser; null until first needed. */
  readonly methodState: unknown;
  /** State of the aggregator path's optional loss weighting. */
  readonly lossWeightingState: unknown;
  /** Last weights of a `jacobianEvery` aggregator (already multiplied by loss weights). */
  readonly cachedWeights: Float64Array | null;
  readonly skippedSteps: number;
}

/** What one step reports. Host values only. */
export interface StepReport {
  readonly step: number;
  readonly epoch: number;
  readonly tasks: readonly TaskId[];
  readonly losses: Float64Array;
  /** Labelled rows per task in this batch. */
  readonly labelled: Float64Array;
  /** Method weights (loss weights, or aggregator weights when it has them). */
  readonly weights?: Float64Array;
  /** Loss-level weights of an aggregator's optional loss weighting. */
  readonly lossWeights?: Float64Array;
  /** G = JJᵀ when a Jacobian was computed (params mode: parameter space; features: features). */
  readonly gramian?: Gramian;
  /** K×K pairwise cosines from G (NaN where a task's gradient is zero). */
  readonly cosines?: Float64Array;
  /** Value of each regulariser's penalty, by id. */
  readonly penalties: Readonly<Record<string, number>>;
  readonly warnings: readonly string[];
  readonly diagnostics: Readonly<Record<string, number>>;
  readonly skipped: boolean;
  readonly jacobianComputed: boolean;
  /** Full backward passes and head-only passes run by the engine this step. */
  readonly backwardPasses: number;
  readonly headPasses: number;
  /** Synchronous device → host reads done by the step itself. */
  readonly hostReads: number;
}

function isLossWeighting(x: unknown): boolean {
  return typeof (x as LossWeighting | undefined)?.weigh === 'function';
}

/** Validates the options and precomputes the model's variable groups. */
export function createStepSetup(options: StepOptions): StepSetup {
  const { model, method } = options;
  validateTasks(model.tasks);
  const variables = modelVariables(model);
  const onNonFinite = options.onNonFinite ?? 'throw';
  if (onNonFinite !== 'throw' && onNonFinite !== 'skip') {
    throw new ConfigError(
      `createStepSetup: option \`onNonFinite\` must be 'throw' or 'skip', got '${String(onNonFinite)}'`,
    );
  }
  const engine = options.engine ?? 'tape';
  if (engine !== 'tape' && engine !== 'naive') {
    throw new ConfigError(
      `createStepSetup: option \`engine\` must be 'tape' or 'naive', got '${String(engine)}'`,
    );
  }
  let mode: JacobianMode = 'params';
  let jacobianEvery = 1;
  let bilevelLearningRate: number | undefined;
  switch (method.kind) {
    case 'loss-weighting':
      if (!isLossWeighting(method.weighting)) {
        throw new ConfigError(
          'createStepSetup: method.weighting must be a LossWeighting (weigh(losses, state, ctx))',
        );
      }
      break;
    case 'aggregator': {
      if (typeof method.aggregator?.update !== 'function') {
        throw new ConfigError(
          'createStepSetup: method.aggregator must be an Aggregator (update(J, state, ctx))',
        );
      }
      mode = method.mode ?? 'params';
      if (mode !== 'params' && mode !== 'features') {
        throw new ConfigError(
          `createStepSetup: option \`mode\` must be 'params' or 'features', got '${String(mode)}'`,
        );
      }
      jacobianEvery = method.jacobianEvery ?? 1;
      if (!Number.isInteger(jacobianEvery) || jacobianEvery < 1) {
        throw new ConfigError(
          `createStepSetup: option \`jacobianEvery\` must be an integer ≥ 1, got ${jacobianEvery}`,
        );
      }
      if (jacobianEvery > 1 && method.aggregator.weighting === undefined) {
        throw new ConfigError(
          `createStepSetup: \`jacobianEvery: ${jacobianEvery}\` needs a Gramian weighting to reuse between Jacobian steps, and aggregator '${method.aggregator.id}' has none; use jacobianEvery: 1`,
        );
      }
      if (method.lossWeighting !== undefined && !isLossWeighting(method.lossWeighting)) {
        throw new ConfigError('createStepSetup: method.lossWeighting must be a LossWeighting');
      }
      break;
    }
    case 'task-optimizer':
      if (method.optimizer?.kind !== 'task-optimizer') {
        throw new ConfigError(
          "createStepSetup: method.optimizer must be a TaskOptimizer (kind: 'task-optimizer')",
        );
      }
      if ((options.regularizers ?? []).length > 0) {
        throw new ConfigError(
          `createStepSetup: task optimiser '${method.optimizer.id}' cannot be combined with regularizers yet (their shared-parameter gradient has no per-task row); drop the regularizers or use an aggregator`,
        );
      }
      break;
    case 'bilevel': {
      if (typeof method.method?.step !== 'function') {
        throw new ConfigError(
          'createStepSetup: method.method must be a BilevelMethod (step(oracle, state, ctx))',
        );
      }
      bilevelLearningRate = method.learningRate ?? learningRateOf(options.optimizer);
      if (
        bilevelLearningRate === undefined ||
        !Number.isFinite(bilevelLearningRate) ||
        bilevelLearningRate <= 0
      ) {
        throw new ConfigError(
          `createStepSetup: bi-level method '${method.method.id}' needs the model's learning rate for its look-ahead step, and optimizer '${options.optimizer.id}' has no positive \`learningRate\` option; pass \`learningRate\` in the method ({ kind: 'bilevel', method, learningRate })`,
        );
      }
      break;
    }
    default:
      throw new ConfigError(
        `createStepSetup: unknown method kind '${String((method as { kind?: unknown }).kind)}'; use 'loss-weighting', 'aggregator', 'task-optimizer' or 'bilevel'`,
      );
  }
  if (options.parallel !== undefined) {
    checkShardable(options.parallel, model, {
      regularizers: (options.regularizers ?? []).length,
      bilevel: method.kind === 'bilevel',
    });
  }
  for (const r of options.regularizers ?? []) {
    if (r.order !== 1 && r.order !== 2) {
      throw new ConfigError(
        `createStepSetup: regularizer '${r.id}' has order ${String(r.order)}; use 1 or 2`,
      );
    }
  }
  return {
    ...options,
    engine,
    onNonFinite,
    variables,
    tasks: variables.tasks,
    mode,
    jacobianEvery,
    bilevelLearningRate: bilevelLearningRate ?? null,
  };
}

/**
 * The learning rate of an optimiser from its JSON config: `learningRate`, or the last transform
 * of a `chain` that has one (`chain(clipByGlobalNorm(), adam())`). Undefined when there is none.
 */
export function learningRateOf(optimizer: GradientTransformation): number | undefined {
  const find = (config: unknown): number | undefined => {
    if (config === null || typeof config !== 'object') return undefined;
    const c = config as Record<string, unknown>;
    if (typeof c['learningRate'] === 'number') return c['learningRate'];
    if (Array.isArray(c['chain'])) {
      for (let i = c['chain'].length - 1; i >= 0; i--) {
        const lr = find(c['chain'][i]);
        if (lr !== undefined) return lr;
      }
    }
    return undefined;
  };
  return find(optimizer.config);
}

/**
 * Builds a {@link StepMethod} from a registry id: aggregators, loss weightings and bi-level
 * methods (Auto-Lambda, MOML, FORUM) by their entry kind; an `optimizer` entry only when it
 * creates a {@link TaskOptimizer} (AdaTask). Plain optimisers (`adam`, ...) are not methods: pass
 * them as `optimizer`.
 *
 * @param extra - aggregator-only settings (`mode`, `jacobianEvery`).
 * @throws {ConfigError} For an unknown id, a kind that is not a method, or aggregator-only
 *   settings given to another kind.
 */
export function methodFromRegistry(
  registry: Registry,
  id: string,
  options: Readonly<Record<string, unknown>> = {},
  extra: { readonly mode?: JacobianMode; readonly jacobianEvery?: number } = {},
): StepMethod {
  const entry = registry.get(id);
  const aggregatorOnly = extra.mode !== undefined || extra.jacobianEvery !== undefined;
  if (entry.kind === 'aggregator') {
    return {
      kind: 'aggregator',
      aggregator: registry.create<Aggregator>(id, options, 'aggregator'),
      ...(extra.mode !== undefined ? { mode: extra.mode } : {}),
      ...(extra.jacobianEvery !== undefined ? { jacobianEvery: extra.jacobianEvery } : {}),
    };
  }
  if (aggregatorOnly) {
    throw new ConfigError(
      `methodFromRegistry: \`mode\`/\`jacobianEvery\` apply to aggregators, and '${id}' is a ${entry.kind}`,
    );
  }
  if (entry.kind === 'loss-weighting') {
    return {
      kind: 'loss-weighting',
      weighting: registry.create<AnyLossWeighting>(id, options, 'loss-weighting'),
    };
  }
  if (entry.kind === 'bilevel') {
    return { kind: 'bilevel', method: registry.create<BilevelMethod>(id, options, 'bilevel') };
  }
  if (entry.kind === 'optimizer') {
    const created = registry.create<TaskOptimizer | GradientTransformation>(
      id,
      options,
      'optimizer',
    );
    if ((created as TaskOptimizer).kind === 'task-optimizer') {
      return { kind: 'task-optimizer', optimizer: created as TaskOptimizer };
    }
    throw new ConfigError(
      `methodFromRegistry: '${id}' is a plain optimiser, not a multi-task method; pass it as \`optimizer\` and choose an aggregator or loss weighting as the method`,
    );
  }
  throw new ConfigError(
    `methodFromRegistry: '${id}' is a ${entry.kind}, not a multi-task method (aggregator, loss weighting, task optimiser or bi-level method)`,
  );
}

/** Parameters updated by the base optimiser and by the extra optimiser. */
function optimizerGroups(setup: StepSetup): { base: ParamTree; extra: ParamTree } {
  const v = setup.variables;
  const tree = (vars: readonly tf.Variable[]): Record<string, tf.Tensor> =>
    Object.fromEntries(vars.map((x) => [x.name, x]));
  const heads = v.tasks.flatMap((t) => v.heads[t]!);
  const base = [
    ...(setup.method.kind === 'task-optimizer' ? [] : v.shared),
    ...heads,
    ...(setup.extraOptimizer === undefined ? v.extra : []),
  ];
  return { base: tree(base), extra: setup.extraOptimizer === undefined ? {} : tree(v.extra) };
}

function paramsSpec(setup: StepSetup): JacobianSpec {
  return {
    tasks: setup.tasks,
    blocks: Object.fromEntries(setup.variables.shared.map((v) => [v.name, [...v.shape]])),
  };
}

/**
 * Initial training state: optimiser states, the method's state (an aggregator in `features` mode
 * is initialised at its first step, when the feature shapes are known) and the seeded rng.
 */
export function initTrainState(
  setup: StepSetup,
  opts: { readonly seed: number } | { readonly rng: Rng },
): TrainState {
  const rng = 'rng' in opts ? opts.rng : createRng(opts.seed);
  const groups = optimizerGroups(setup);
  const k = setup.tasks.length;
  const m = setup.method;
  let methodState: unknown = null;
  let lossWeightingState: unknown = null;
  if (m.kind === 'loss-weighting') methodState = m.weighting.init(k);
  else if (m.kind === 'task-optimizer') methodState = m.optimizer.init(paramsSpec(setup));
  else if (m.kind === 'bilevel') methodState = m.method.init(k);
  else {
    if (setup.mode === 'params') methodState = m.aggregator.init(paramsSpec(setup));
    if (m.lossWeighting !== undefined) lossWeightingState = m.lossWeighting.init(k);
  }
  return {
    step: 0,
    epoch: 0,
    rng: rng.state(),
    optState: setup.optimizer.init(groups.base),
    extraOptState:
      setup.extraOptimizer === undefined ? null : setup.extraOptimizer.init(groups.extra),
    methodState,
    lossWeightingState,
    cachedWeights: null,
    skippedSteps: 0,
  };
}

/** Frees every tensor of a training state (optimiser and method states). */
export function disposeTrainState(state: TrainState): void {
  disposeState([state.optState, state.extraOptState, state.methodState, state.lossWeightingState]);
}

/** Thrown internally to turn a non-finite value into a skipped step. */
class SkipStep extends Error {
  constructor(readonly error: NumericalError) {
    super(error.message);
  }
}

/** The per-step mutable bookkeeping. */
interface Work {
  readonly setup: StepSetup;
  readonly state: TrainState;
  readonly session: GradientSession;
  readonly methodRng: Rng;
  hostReads: number;
  readonly warnings: string[];
  readonly diagnostics: Record<string, number>;
  /** Tensors to free at the end of the step, whatever happens. */
  readonly temps: tf.Tensor[];
  /** Method states created this step; freed (except what the old state holds) if it fails. */
  readonly pending: unknown[];
  /** Host losses and labelled counts once read (kept for the report of a skipped step). */
  seen?: { losses: Float64Array; labelled: Float64Array };
}

/** Reads several small tensors with ONE device → host transfer. */
function readHost(w: Work, parts: readonly (tf.Tensor | null)[]): Float64Array[] {
  const present = parts.filter((p): p is tf.Tensor => p !== null);
  if (present.length === 0) return parts.map(() => new Float64Array(0));
  const flat = tf.tidy(() => tf.concat(present.map((p) => tf.reshape(p, [-1]))));
  const data = flat.dataSync();
  flat.dispose();
  w.hostReads++;
  let offset = 0;
  return parts.map((p) => {
    if (p === null) return new Float64Array(0);
    const out = Float64Array.from(data.subarray(offset, offset + p.size));
    offset += p.size;
    return out;
  });
}

function fail(w: Work, message: string, task?: TaskId): never {
  const step = w.state.step;
  const err = new NumericalError(
    `trainStep: ${message} at step ${step} (epoch ${w.state.epoch}); check the data for NaN/Inf, lower the learning rate, or pass onNonFinite: 'skip' to skip such steps`,
    { ...(task !== undefined ? { task } : {}), step },
  );
  if (w.setup.onNonFinite === 'skip') throw new SkipStep(err);
  throw err;
}

function checkLosses(w: Work, losses: Float64Array, labelled: Float64Array): void {
  w.seen = { losses, labelled };
  w.setup.tasks.forEach((t, k) => {
    if (!Number.isFinite(losses[k]!)) fail(w, `loss of task '${t}' is ${losses[k]}`, t);
    if (labelled[k] === 0) {
      w.warnings.push(
        `task '${t}' has no labelled row in this batch: it contributes 0 loss and no gradient`,
      );
    }
  });
}

function checkWeights(w: Work, weights: Float64Array, what: string): void {
  weights.forEach((x, k) => {
    if (!Number.isFinite(x))
      fail(w, `${what} of task '${w.setup.tasks[k]}' is ${x}`, w.setup.tasks[k]);
  });
}

/** G = Σ_b J_b·J_bᵀ on the device (K×K); see `gramian.ts` for the host version. */
function deviceGramian(j: TaskJacobian): tf.Tensor2D {
  const k = j.tasks.length;
  return tf.tidy(() => {
    let acc: tf.Tensor = tf.zeros([k, k]);
    for (const b of Object.values(j.blocks)) {
      const m = tf.reshape(b, [k, b.size / k]);
      acc = tf.add(acc, tf.matMul(m, m, false, true));
    }
    return acc as tf.Tensor2D;
  });
}

/** Symmetrised float64 copy of a row-major K×K read-back. */
function hostGramian(k: number, raw: Float64Array): Gramian {
  const data = new Float64Array(k * k);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) data[r * k + c] = 0.5 * (raw[r * k + c]! + raw[c * k + r]!);
  }
  return { k, data };
}

/** Pairwise cosines G_ij/√(G_ii G_jj); NaN where a row is zero. */
export function cosinesFromGramian(g: Gramian): Float64Array {
  const { k, data } = g;
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const d = Math.sqrt(data[i * k + i]! * data[j * k + j]!);
      out[i * k + j] = d > 0 ? data[i * k + j]! / d : NaN;
    }
  }
  return out;
}

/** Σ of squares of a tree's tensors, per task key group, as one `[n]` tensor. */
function sumSquares(trees: readonly ParamTree[]): tf.Tensor1D {
  return tf.tidy(() =>
    tf.stack(
      trees.map((t) => {
        const parts = Object.values(t).map((x) => tf.sum(tf.square(x)));
        return parts.length === 0 ? tf.scalar(0) : tf.addN(parts);
      }),
    ),
  ) as tf.Tensor1D;
}

/** `target[k] += src[k]` for every key of `src`, freeing what is replaced. */
function accumulate(target: Record<string, tf.Tensor>, src: ParamTree): void {
  for (const [key, g] of Object.entries(src)) {
    const cur = target[key];
    if (cur === undefined) {
      target[key] = g;
      continue;
    }
    target[key] = tf.add(cur, g);
    cur.dispose();
    g.dispose();
  }
}

function scaleTree(tree: ParamTree, c: number): Record<string, tf.Tensor> {
  return tf.tidy(() => Object.fromEntries(Object.entries(tree).map(([k, t]) => [k, tf.mul(t, c)])));
}

function ctxOf(w: Work, losses: Float64Array): StepContext {
  return {
    step: w.state.step,
    epoch: w.state.epoch,
    tasks: w.setup.tasks,
    losses,
    rng: w.methodRng,
  };
}

/** Result of the method part of a step (before the optimisers run). */
interface MethodResult {
  /** Gradients for the base and extra optimisers (owned). */
  readonly grads: Record<string, tf.Tensor>;
  /** Final updates of the shared variables from a task optimiser (owned), else null. */
  readonly sharedUpdates: ParamTree | null;
  readonly losses: Float64Array;
  readonly labelled: Float64Array;
  readonly penalties: Float64Array;
  readonly weights?: Float64Array;
  readonly lossWeights?: Float64Array;
  readonly gramian?: Gramian;
  readonly methodState: unknown;
  readonly lossWeightingState: unknown;
  readonly cachedWeights: Float64Array | null;
  readonly jacobianComputed: boolean;
}

const ALL = ['shared', 'heads', 'extra'] as const;

/** Loss-weighting path: one weighted backward for every variable. */
function lossWeightingPath(w: Work, lw: AnyLossWeighting): MethodResult {
  const s = w.session;
  const [losses, labelled, penalties] = readHost(w, [s.lossVector, s.labelled, s.penalties]);
  checkLosses(w, losses!, labelled!);
  const r = lw.weigh(losses!, w.state.methodState, ctxOf(w, losses!));
  w.pending.push(r.state);
  checkWeights(w, r.weights, 'loss weight');
  if (r.warnings) w.warnings.push(...r.warnings);
  Object.assign(w.diagnostics, r.diagnostics ?? {});
  const grads = s.backward({ lossWeights: r.weights, additive: true }, ALL);
  w.temps.push(...Object.values(grads));
  guardGradients(w, grads, 'gradient of the weighted objective');
  return {
    grads,
    sharedUpdates: null,
    losses: losses!,
    labelled: labelled!,
    penalties: penalties!,
    weights: r.weights,
    methodState: r.state,
    lossWeightingState: w.state.lossWeightingState,
    cachedWeights: null,
    jacobianComputed: false,
  };
}

/** Reads ‖grads‖² once and fails on NaN/Inf (the guard of the single-backward paths). */
function guardGradients(w: Work, grads: ParamTree, what: string): void {
  const sq = sumSquares([grads]);
  const [v] = readHost(w, [sq]);
  sq.dispose();
  w.diagnostics['gradNorm'] = Math.sqrt(v![0]!);
  if (!Number.isFinite(v![0]!)) fail(w, `${what} is not finite (‖g‖² = ${v![0]})`);
}

/** Per-task gradients + one packed read-back of losses, counts, penalties, G and head norms. */
function jacobianAndRead(w: Work, mode: JacobianMode) {
  const s = w.session;
  const tg = s.taskJacobian(mode);
  w.temps.push(
    ...Object.values(tg.jacobian.blocks),
    ...Object.values(tg.heads),
    ...Object.values(tg.extra),
  );
  const tasks = w.setup.tasks;
  const g = deviceGramian(tg.jacobian);
  const headTrees = tasks.map((t) =>
    Object.fromEntries(w.setup.variables.heads[t]!.map((v) => [v.name, tg.heads[v.name]!])),
  );
  const headSq = sumSquares([...headTrees, tg.extra]);
  w.temps.push(g, headSq);
  const [losses, labelled, penalties, graw, hsq] = readHost(w, [
    s.lossVector,
    s.labelled,
    s.penalties,
    g,
    headSq,
  ]);
  checkLosses(w, losses!, labelled!);
  const gram = hostGramian(tasks.length, graw!);
  tasks.forEach((t, k) => {
    const gkk = gram.data[k * tasks.length + k]!;
    if (!Number.isFinite(gkk)) fail(w, `gradient of task '${t}' is not finite (‖g‖² = ${gkk})`, t);
    if (!Number.isFinite(hsq![k]!))
      fail(w, `head gradient of task '${t}' is not finite (‖g‖² = ${hsq![k]})`, t);
  });
  if (!Number.isFinite(hsq![tasks.length]!))
    fail(w, `gradient of the extra variables is not finite`);
  return { tg, gram, losses: losses!, labelled: labelled!, penalties: penalties! };
}

/** Adds the auxiliary losses' and penalties' gradient to `grads` for `groups`. */
function addAdditive(
  w: Work,
  grads: Record<string, tf.Tensor>,
  groups: readonly ('shared' | 'heads' | 'extra')[],
): void {
  if (!w.session.hasAdditive || groups.length === 0) return;
  const add = w.session.backward({ additive: true }, groups);
  accumulate(grads, add);
}

/** Aggregator path (Jacobian steps and jacobianEvery in-between steps). */
function aggregatorPath(w: Work, m: Extract<StepMethod, { kind: 'aggregator' }>): MethodResult {
  const { setup, session: s } = w;
  const agg = m.aggregator;
  const hasExtra = setup.variables.extra.length > 0;
  const ones = setup.tasks.map(() => 1);
  const jacobianStep =
    setup.jacobianEvery === 1 ||
    w.state.step % setup.jacobianEvery === 0 ||
    w.state.cachedWeights === null;

  if (!jacobianStep) {
    const [losses, labelled, penalties] = readHost(w, [s.lossVector, s.labelled, s.penalties]);
    checkLosses(w, losses!, labelled!);
    const weights = w.state.cachedWeights!;
    const grads = s.backward({ lossWeights: weights, additive: true }, ['shared']);
    w.temps.push(...Object.values(grads));
    const heads = s.headGrads();
    accumulate(grads, heads);
    if (hasExtra) accumulate(grads, s.backward({ lossWeights: ones, additive: true }, ['extra']));
    addAdditive(w, grads, ['heads']);
    w.temps.push(...Object.values(grads));
    guardGradients(w, grads, 'gradient (reusing the last Jacobian weights)');
    return {
      grads,
      sharedUpdates: null,
      losses: losses!,
      labelled: labelled!,
      penalties: penalties!,
      weights,
      methodState: w.state.methodState,
      lossWeightingState: w.state.lossWeightingState,
      cachedWeights: weights,
      jacobianComputed: false,
    };
  }

  const { tg, gram, losses, labelled, penalties } = jacobianAndRead(w, setup.mode);
  const k = setup.tasks.length;
  const ctx = ctxOf(w, losses);
  // Optional loss-level weights: J ← diag(c)·J, G ← diag(c)·G·diag(c).
  let c: Float64Array | undefined;
  let lossWeightingState = w.state.lossWeightingState;
  if (m.lossWeighting !== undefined) {
    const lr = m.lossWeighting.weigh(losses, lossWeightingState, ctx);
    w.pending.push(lr.state);
    checkWeights(w, lr.weights, 'loss weight');
    c = lr.weights;
    lossWeightingState = lr.state;
    if (lr.warnings) w.warnings.push(...lr.warnings);
  }
  const scaledG: Gramian =
    c === undefined
      ? gram
      : { k, data: gram.data.map((x, idx) => x * c![Math.floor(idx / k)]! * c![idx % k]!) };
  let methodState = w.state.methodState;
  if (methodState === null) {
    methodState = agg.init({
      tasks: setup.tasks,
      blocks: Object.fromEntries(
        Object.entries(tg.jacobian.blocks).map(([n, b]) => [n, b.shape.slice(1)]),
      ),
    });
    w.pending.push(methodState);
  }
  let weights: Float64Array | undefined;
  let direction: ParamTree;
  if (agg.weighting !== undefined) {
    const r = agg.weighting.weigh(scaledG, methodState as never, ctx);
    w.pending.push(r.state);
    checkWeights(w, r.weights, `weight of aggregator '${agg.id}'`);
    if (r.warnings) w.warnings.push(...r.warnings);
    Object.assign(w.diagnostics, r.diagnostics ?? {});
    methodState = r.state;
    weights = r.weights;
    const total = c === undefined ? weights : weights.map((x, i) => x * c![i]!);
    direction = combine(tg.jacobian, total);
    w.temps.push(...Object.values(direction));
  } else {
    let jac = tg.jacobian;
    if (c !== undefined) {
      const cc = tf.tensor1d(Float32Array.from(c));
      w.temps.push(cc);
      jac = {
        tasks: jac.tasks,
        blocks: tf.tidy(() =>
          Object.fromEntries(
            Object.entries(jac.blocks).map(([n, b]) => [
              n,
              tf.mul(b, tf.reshape(cc, [k, ...b.shape.slice(1).map(() => 1)])),
            ]),
          ),
        ),
      };
      w.temps.push(...Object.values(jac.blocks));
    }
    const r = agg.update(jac, methodState, ctx);
    w.pending.push(r.state);
    w.temps.push(...Object.values(r.direction));
    if (r.warnings) w.warnings.push(...r.warnings);
    Object.assign(w.diagnostics, r.diagnostics ?? {});
    // A lazily initialised state replaced within this step is freed here; the step's own start
    // state is freed only once the whole step succeeded.
    if (methodState !== w.state.methodState) disposeReplaced(methodState, r.state);
    methodState = r.state;
    weights = r.weights;
    direction = r.direction;
    const sq = sumSquares([direction]);
    const [v] = readHost(w, [sq]);
    sq.dispose();
    if (!Number.isFinite(v![0]!))
      fail(w, `direction of aggregator '${agg.id}' is not finite (‖d‖² = ${v![0]})`);
  }

  const grads: Record<string, tf.Tensor> = {};
  if (setup.mode === 'params') {
    for (const [n, d] of Object.entries(direction)) grads[n] = tf.clone(d);
    accumulate(grads, c === undefined ? cloneTree(tg.heads) : scaleHeads(w, tg.heads, c));
    accumulate(grads, cloneTree(tg.extra));
    addAdditive(w, grads, ALL);
  } else {
    accumulate(grads, s.backward({ features: direction, additive: true }, ['shared']));
    accumulate(grads, c === undefined ? cloneTree(tg.heads) : scaleHeads(w, tg.heads, c));
    if (hasExtra) accumulate(grads, s.backward({ lossWeights: ones, additive: true }, ['extra']));
    addAdditive(w, grads, ['heads']);
  }
  w.temps.push(...Object.values(grads));
  const cached =
    setup.jacobianEvery > 1 && weights !== undefined
      ? c === undefined
        ? weights
        : weights.map((x, i) => x * c![i]!)
      : null;
  return {
    grads,
    sharedUpdates: null,
    losses,
    labelled,
    penalties,
    ...(weights !== undefined ? { weights } : {}),
    ...(c !== undefined ? { lossWeights: c } : {}),
    gramian: gram,
    methodState,
    lossWeightingState,
    cachedWeights: cached,
    jacobianComputed: true,
  };
}

function cloneTree(t: ParamTree): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, tf.clone(v)]));
}

/** Head gradients scaled by their task's loss weight. */
function scaleHeads(w: Work, heads: ParamTree, c: Float64Array): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  w.setup.tasks.forEach((t, k) => {
    for (const v of w.setup.variables.heads[t]!) {
      Object.assign(out, scaleTree({ [v.name]: heads[v.name]! }, c[k]!));
    }
  });
  return out;
}

/** Task-optimiser path: J → shared updates; heads and extras through the base optimiser. */
function taskOptimizerPath(w: Work, opt: TaskOptimizer): MethodResult {
  const { tg, gram, losses, labelled, penalties } = jacobianAndRead(w, 'params');
  if (w.session.hasAdditive) {
    throw new ConfigError(
      `trainStep: task optimiser '${opt.id}' cannot take the gradient of the model's auxiliary losses on the shared variables yet; use an aggregator for models with auxiliary losses`,
    );
  }
  const r = opt.update(tg.jacobian, w.state.methodState, ctxOf(w, losses));
  w.pending.push(r.state);
  w.temps.push(...Object.values(r.updates));
  if (r.warnings) w.warnings.push(...r.warnings);
  Object.assign(w.diagnostics, r.diagnostics ?? {});
  const grads: Record<string, tf.Tensor> = {};
  accumulate(grads, cloneTree(tg.heads));
  accumulate(grads, cloneTree(tg.extra));
  w.temps.push(...Object.values(grads));
  return {
    grads,
    sharedUpdates: r.updates,
    losses,
    labelled,
    penalties,
    gramian: gram,
    methodState: r.state,
    lossWeightingState: w.state.lossWeightingState,
    cachedWeights: null,
    jacobianComputed: true,
  };
}

/**
 * The inner and outer batches of a bi-level step: the first ⌊B/2⌋ rows and the rest of the
 * training batch (deterministic, so a resumed run sees the same halves). A batch of one row
 * cannot be split; both halves are then that batch (and the step says so).
 */
function halveBatch(batch: Batch): { inner: Batch; outer: Batch; dispose(): void } {
  if (batch.size < 2) return { inner: batch, outer: batch, dispose: () => undefined };
  const h = Math.floor(batch.size / 2);
  const inner = sliceBatch(batch, 0, h);
  const outer = sliceBatch(batch, h, batch.size - h);
  return {
    inner: inner.batch,
    outer: outer.batch,
    dispose: () => {
      inner.dispose();
      outer.dispose();
    },
  };
}

/**
 * Bi-level path (Auto-Lambda, MOML, FORUM; see `src/bilevel/types.ts` for the protocol): the
 * method sees an oracle over every trainable variable on the two halves of the batch, then
 * either its `direction` is the gradient of every variable (FORUM) or the step descends
 * Σ_k w_k L_k on the whole batch with its weights (one backward, like a loss weighting).
 * Auxiliary losses and penalties are added in both cases.
 */
function bilevelPath(
  w: Work,
  m: Extract<StepMethod, { kind: 'bilevel' }>,
  batch: Batch,
): MethodResult {
  const { setup, session: s } = w;
  const id = m.method.id;
  const [losses, labelled, penalties] = readHost(w, [s.lossVector, s.labelled, s.penalties]);
  checkLosses(w, losses!, labelled!);
  const halves = halveBatch(batch);
  if (batch.size < 2) {
    w.warnings.push(
      `bi-level method '${id}': a batch of ${batch.size} row cannot be split into inner and outer halves; both are the whole batch`,
    );
  }
  // Its own stream: the oracle replays it for every evaluation (common random numbers, so that
  // finite differences of losses see the same dropout masks and Gumbel noise).
  const oracle = createModelOracle({
    model: setup.model,
    batches: { inner: halves.inner, outer: halves.outer },
    learningRate: setup.bilevelLearningRate!,
    forward: { training: true, rng: w.methodRng.split(), step: w.state.step },
  });
  let r: ReturnType<BilevelMethod['step']>;
  try {
    r = m.method.step(oracle, w.state.methodState, ctxOf(w, losses!));
  } finally {
    oracle.dispose();
    halves.dispose();
  }
  w.pending.push(r.state);
  if (r.direction !== undefined) w.temps.push(...Object.values(r.direction));
  checkWeights(w, r.weights, `weight of bi-level method '${id}'`);
  if (r.warnings) w.warnings.push(...r.warnings);
  Object.assign(w.diagnostics, r.diagnostics ?? {});
  let grads: Record<string, tf.Tensor>;
  if (r.direction !== undefined) {
    const names = [...setup.variables.byName.keys()];
    const missing = names.filter((n) => r.direction![n] === undefined);
    if (missing.length > 0) {
      throw new ShapeError(
        `trainStep: the direction of bi-level method '${id}' has no entry for variable(s) ${missing.map((n) => `'${n}'`).join(', ')}; a direction must cover every trainable variable (the keys of oracle.params)`,
      );
    }
    grads = Object.fromEntries(names.map((n) => [n, tf.clone(r.direction![n]!)]));
    addAdditive(w, grads, ALL);
  } else {
    grads = s.backward({ lossWeights: r.weights, additive: true }, ALL);
  }
  w.temps.push(...Object.values(grads));
  guardGradients(
    w,
    grads,
    r.direction !== undefined
      ? `direction of bi-level method '${id}'`
      : 'gradient of the weighted objective',
  );
  return {
    grads,
    sharedUpdates: null,
    losses: losses!,
    labelled: labelled!,
    penalties: penalties!,
    weights: r.weights,
    methodState: r.state,
    lossWeightingState: w.state.lossWeightingState,
    cachedWeights: null,
    jacobianComputed: false,
  };
}

function pick(tree: ParamTree, keys: ParamTree): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const k of Object.keys(keys)) if (tree[k] !== undefined) out[k] = tree[k]!;
  return out;
}

/** Adds `updates` to the model's variables (by name). */
function applyUpdates(vars: ModelVariables, updates: ParamTree): void {
  tf.tidy(() => {
    for (const [name, u] of Object.entries(updates)) {
      const v = vars.byName.get(name)!;
      v.assign(tf.add(v, u));
    }
  });
}

/** Recomputes the losses on the same batch after the update (FAMO's `afterStep`). */
function lossesAfterStep(w: Work, batch: Batch, fwdRng: RngState): Float64Array {
  const { model } = w.setup;
  const lv = tf.tidy(() => {
    const fopts = { training: true, rng: rngFromState(fwdRng), step: w.state.step };
    const trunk = model.trunk(batch.inputs, fopts);
    const heads = model.heads(trunk.features, batch.inputs, fopts);
    return tf.stack([...taskLosses(model.tasks, heads.outputs, batch).perTask]);
  });
  const [v] = readHost(w, [lv]);
  lv.dispose();
  return v!;
}

/**
 * One optimiser step on `batch`. Consumes `state` (its replaced tensors are freed) and returns
 * the next state with a host-side report. The model's variables are updated in place.
 *
 * @throws {NumericalError} On NaN/Inf (see the module docs), unless `onNonFinite: 'skip'`.
 */
export function trainStep(
  setup: StepSetup,
  state: TrainState,
  batch: Batch,
): readonly [TrainState, StepReport] {
  const rng = rngFromState(state.rng);
  const fwdRng = rng.split();
  const methodRng = rng.split();
  const fwdRngState = fwdRng.state();
  const sessionOptions = {
    forward: { training: true, rng: fwdRng, step: state.step },
    engine: setup.engine ?? 'tape',
    regularizers: setup.regularizers ?? [],
    epoch: state.epoch,
    variables: setup.variables,
  };
  const session =
    setup.parallel !== undefined
      ? recordForwardSharded(setup.parallel, setup.model, batch, sessionOptions)
      : recordForward(setup.model, batch, sessionOptions);
  const w: Work = {
    setup,
    state,
    session,
    methodRng,
    hostReads: 0,
    warnings: [],
    diagnostics: {},
    temps: [],
    pending: [],
  };
  const m = setup.method;
  const base = {
    step: state.step,
    epoch: state.epoch,
    tasks: setup.tasks,
  };
  try {
    let r: MethodResult;
    try {
      r =
        m.kind === 'loss-weighting'
          ? lossWeightingPath(w, m.weighting)
          : m.kind === 'aggregator'
            ? aggregatorPath(w, m)
            : m.kind === 'task-optimizer'
              ? taskOptimizerPath(w, m.optimizer)
              : bilevelPath(w, m, batch);
    } catch (e) {
      const old = [state.methodState, state.lossWeightingState];
      for (const p of w.pending) disposeReplaced(p, old);
      if (!(e instanceof SkipStep)) throw e;
      const next: TrainState = {
        ...state,
        step: state.step + 1,
        rng: rng.state(),
        skippedSteps: state.skippedSteps + 1,
      };
      const report: StepReport = {
        ...base,
        losses: w.seen?.losses ?? new Float64Array(setup.tasks.length).fill(NaN),
        labelled: w.seen?.labelled ?? new Float64Array(setup.tasks.length).fill(NaN),
        penalties: {},
        warnings: [...w.warnings, `step skipped: ${e.error.message}`],
        diagnostics: { ...w.diagnostics, skippedSteps: next.skippedSteps },
        skipped: true,
        jacobianComputed: false,
        backwardPasses: session.backwardPasses,
        headPasses: session.headPasses,
        hostReads: w.hostReads,
      };
      return [next, report];
    }

    // Optimisers.
    const groups = optimizerGroups(setup);
    const baseRes = setup.optimizer.update(pick(r.grads, groups.base), state.optState, groups.base);
    w.temps.push(...Object.values(baseRes.updates));
    let extraOptState = state.extraOptState;
    const updates: Record<string, tf.Tensor> = { ...baseRes.updates };
    if (setup.extraOptimizer !== undefined && Object.keys(groups.extra).length > 0) {
      const er = setup.extraOptimizer.update(
        pick(r.grads, groups.extra),
        state.extraOptState,
        groups.extra,
      );
      w.temps.push(...Object.values(er.updates));
      Object.assign(updates, er.updates);
      extraOptState = er.state;
    }
    if (r.sharedUpdates !== null) Object.assign(updates, r.sharedUpdates);
    applyUpdates(setup.variables, updates);

    // Method states that need the post-step losses (FAMO).
    let methodState = r.methodState;
    let lossWeightingState = r.lossWeightingState;
    const lw =
      m.kind === 'loss-weighting'
        ? m.weighting
        : m.kind === 'aggregator'
          ? m.lossWeighting
          : undefined;
    if (lw?.afterStep !== undefined && lw.needsLossesAfterStep === true) {
      const after = lossesAfterStep(w, batch, fwdRngState);
      const ctx = ctxOf(w, after);
      if (m.kind === 'loss-weighting') methodState = lw.afterStep(after, methodState, ctx);
      else lossWeightingState = lw.afterStep(after, lossWeightingState, ctx);
    }

    disposeReplaced(state.optState, baseRes.state);
    if (extraOptState !== state.extraOptState) disposeReplaced(state.extraOptState, extraOptState);
    if (methodState !== state.methodState) disposeReplaced(state.methodState, methodState);
    if (lossWeightingState !== state.lossWeightingState)
      disposeReplaced(state.lossWeightingState, lossWeightingState);

    const next: TrainState = {
      step: state.step + 1,
      epoch: state.epoch,
      rng: rng.state(),
      optState: baseRes.state,
      extraOptState,
      methodState,
      lossWeightingState,
      cachedWeights: r.cachedWeights,
      skippedSteps: state.skippedSteps,
    };
    const penalties: Record<string, number> = {};
    (setup.regularizers ?? []).forEach((reg, i) => (penalties[reg.id] = r.penalties[i]!));
    const report: StepReport = {
      ...base,
      losses: r.losses,
      labelled: r.labelled,
      ...(r.weights !== undefined ? { weights: r.weights } : {}),
      ...(r.lossWeights !== undefined ? { lossWeights: r.lossWeights } : {}),
      ...(r.gramian !== undefined
        ? { gramian: r.gramian, cosines: cosinesFromGramian(r.gramian) }
        : {}),
      penalties,
      warnings: w.warnings,
      diagnostics: w.diagnostics,
      skipped: false,
      jacobianComputed: r.jacobianComputed,
      backwardPasses: session.backwardPasses,
      headPasses: session.headPasses,
      hostReads: w.hostReads,
    };
    return [next, report];
  } finally {
    for (const t of w.temps) if (!t.isDisposed) t.dispose();
    session.dispose();
  }
}
