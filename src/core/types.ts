/**
 * The contract every module builds on. Only type imports of TF.js here: `core` depends on nothing
 * at run time.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';

/** Stable task name. Row k of every Jacobian block belongs to `tasks[k]`. */
export type TaskId = string;

/** Tensors keyed like the model's variables (a `tf.NamedTensorMap`). */
export type ParamTree = Readonly<Record<string, tf.Tensor>>;

/**
 * K×D Jacobian of the task losses with respect to the shared parameters, kept per variable block
 * (never one giant concatenation): `blocks[name]` has shape `[K, ...variableShape]`.
 * In the engine's `features` mode the single block is the gradient with respect to the shared
 * representation instead.
 */
export interface TaskJacobian {
  readonly tasks: readonly TaskId[];
  readonly blocks: ParamTree;
}

/** Shapes of a Jacobian without its tensors (what `init` needs). */
export interface JacobianSpec {
  readonly tasks: readonly TaskId[];
  /** Variable shape (without the leading K axis) per block. */
  readonly blocks: Readonly<Record<string, readonly number[]>>;
}

/** Host-side Gram matrix G = J·Jᵀ (K×K, row-major, float64). */
export interface Gramian {
  readonly k: number;
  readonly data: Float64Array;
}

/** Update direction for the shared parameters (same keys and shapes as the Jacobian blocks). */
export type Direction = ParamTree;

/** Per-step inputs that stateful or stochastic methods read. */
export interface StepContext {
  /** Optimiser step, 0-based. */
  readonly step: number;
  /** Epoch, 0-based. */
  readonly epoch: number;
  readonly tasks: readonly TaskId[];
  /** Current per-task loss values (host). */
  readonly losses: Float64Array;
  /** Explicit, seeded randomness. */
  readonly rng: Rng;
}

/** State type of stateless methods. */
export type EmptyState = Readonly<Record<string, never>>;

/**
 * Claims an aggregator makes about itself; the conformance suite checks each one.
 * See ARCHITECTURE §10.2 for the exact definitions.
 */
export interface AggregatorTraits {
  /** `min_k ⟨g_k, d⟩ ≥ 0` always, only for two tasks, or not claimed. */
  readonly nonConflicting: 'always' | 'two-tasks' | 'never-claimed';
  /** Permuting the rows of J leaves d unchanged. */
  readonly permutationInvariant: boolean;
  /** A(λJ) = λ^p·A(J) for λ > 0; omitted when neither degree holds. */
  readonly homogeneity?: 0 | 1;
  /** A(diag(c)J) is linear in c (torchjd's property). */
  readonly linearUnderScaling: boolean;
  /** K = 1 behaviour: d = g exactly, d = c·g with c > 0, or not supported. */
  readonly singleTask: 'identity' | 'positive-multiple' | 'unsupported';
  /** Reads `ctx.rng`. */
  readonly stochastic: boolean;
  /** Carries state between steps. */
  readonly stateful: boolean;
}

/** torchjd's Weighting: Gramian → task weights, optionally stateful. Pure host math. */
export interface Weighting<S = EmptyState> {
  readonly id: string;
  init(numTasks: number): S;
  weigh(gramian: Gramian, state: S, ctx: StepContext): WeightingResult<S>;
}

/** Output of a {@link Weighting}. */
export interface WeightingResult<S> {
  readonly weights: Float64Array;
  readonly state: S;
  /** Explicit, reported fallbacks (never silent). */
  readonly warnings?: readonly string[];
  /** Method-specific scalars for logs (e.g. `gdodAllConflict`). */
  readonly diagnostics?: Readonly<Record<string, number>>;
}

/** Jacobian → direction. Stateful methods use explicit init/update (optax style). */
export interface Aggregator<S = unknown> {
  readonly id: string;
  readonly traits: AggregatorTraits;
  /** JSON-serialisable options: `registry.create(id, agg.config)` rebuilds an equivalent one. */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Present when the method is a Gramian weighting (`d = Jᵀw`). The engine uses it for the cheap
   * paths (features mode, `jacobianEvery`), where only G is needed to get w.
   */
  readonly weighting?: Weighting<S>;
  init(spec: JacobianSpec): S;
  /** Inputs are borrowed; the returned direction and state are owned by the caller. */
  update(jacobian: TaskJacobian, state: S, ctx: StepContext): AggregatorResult<S>;
}

/** Output of an {@link Aggregator}. */
export interface AggregatorResult<S> {
  readonly direction: Direction;
  readonly state: S;
  /** Task weights when the method has them (`d = Σ_k w_k g_k`). */
  readonly weights?: Float64Array;
  /** The Gramian when the method computed it (diagnostics reuse it; no second read-back). */
  readonly gramian?: Gramian;
  readonly warnings?: readonly string[];
  readonly diagnostics?: Readonly<Record<string, number>>;
}

/**
 * Loss-level method (EW, UW, DWA, RLW, GLS, FAMO, ...): host losses → task weights.
 *
 * Design note (deviation from ARCHITECTURE §5, on purpose): loss weightings are pure host math on
 * Float64Array and own no tf.Variables. Methods with learnable parameters (UW's log-variances,
 * FAMO's logits, IMTL-L's scales) update them with analytic host gradients. The model then
 * back-propagates Σ_k w_k L_k with w held constant, which has exactly the gradient of the
 * method's objective with respect to the model parameters. This keeps every loss weighting
 * testable without TF.js and lets it combine with any aggregator.
 */
export interface LossWeighting<S = unknown> {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  init(numTasks: number): S;
  weigh(losses: Float64Array, state: S, ctx: StepContext): WeightingResult<S>;
  /** Called after the model step with the losses recomputed on the same batch (FAMO). */
  readonly afterStep?: (lossesAfter: Float64Array, state: S, ctx: StepContext) => S;
  /** True when `afterStep` needs the extra forward pass. */
  readonly needsLossesAfterStep?: boolean;
  /** Called once at the end of each epoch with the epoch-mean training losses (DWA). */
  readonly endEpoch?: (epochMeanLosses: Float64Array, state: S) => S;
}

/** Output of a {@link GradientTransformation} step. */
export interface TransformResult<S> {
  /** Updates to *add* to the parameters (already scaled by −lr), keyed like the input. */
  readonly updates: ParamTree;
  readonly state: S;
}

/**
 * A pure optimiser transform on parameter trees (optax style): `init` builds the state from the
 * parameters' shapes, `update` maps gradients (or the updates of a previous transform in a
 * `chain`) to new updates. States are trees of tensors, numbers and typed arrays, so they can be
 * checkpointed. Inputs are borrowed; returned updates and state are owned by the caller (the step
 * disposes the previous state's tensors that the new state does not reuse).
 */
export interface GradientTransformation<S = unknown> {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  init(params: ParamTree): S;
  update(grads: ParamTree, state: S, params?: ParamTree): TransformResult<S>;
}

/** Output of a {@link TaskOptimizer} step. */
export interface TaskOptimizerResult<S> {
  /** Updates to *add* to the shared parameters (keys and shapes of the Jacobian blocks). */
  readonly updates: ParamTree;
  readonly state: S;
  readonly warnings?: readonly string[];
  /** Method-specific scalars for logs (e.g. rAU summaries). */
  readonly diagnostics?: Readonly<Record<string, number>>;
}

/**
 * An optimiser over the shared parameters that receives the per-task Jacobian instead of one
 * gradient (AdaTask: one Adam moment pair per task). The engine computes J in `params` mode,
 * hands it over and adds the returned updates to the shared variables; task-specific and extra
 * variables keep the step's ordinary {@link GradientTransformation} on their own task's gradient.
 */
export interface TaskOptimizer<S = unknown> {
  /** Discriminant: tells a task optimizer from a {@link GradientTransformation} at run time. */
  readonly kind: 'task-optimizer';
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  init(spec: JacobianSpec): S;
  /** Inputs are borrowed; returned updates and state are owned by the caller. */
  update(jacobian: TaskJacobian, state: S, ctx: StepContext): TaskOptimizerResult<S>;
}

/** What a {@link Regularizer} sees, inside the recorded forward pass (all tensors differentiable). */
export interface RegularizerInput {
  readonly tasks: readonly TaskId[];
  /** Per-task losses, in `tasks` order. */
  readonly losses: readonly tf.Scalar[];
  readonly shared: readonly tf.Variable[];
  /** The trunk's features of this batch. */
  readonly features: readonly tf.Tensor[];
  /**
   * Order 2 only: per-task gradients **with their graph kept**, one tree per task. Keys are the
   * shared variables' names (`wrt: 'params'`) or `features:<i>` (`wrt: 'features'`).
   */
  readonly taskGradients?: readonly ParamTree[];
}

/** Step information a {@link Regularizer} may read. */
export interface RegularizerContext {
  readonly step: number;
  readonly epoch: number;
  readonly tasks: readonly TaskId[];
}

/**
 * A penalty added to the training objective; the step adds its gradient to every parameter it
 * reaches (shared, heads, extra), on top of whatever the method does with the task losses.
 * Order 1: a function of the parameters/outputs. Order 2: a function of the per-task gradients
 * (e.g. the orthogonal-gradient regulariser), differentiated by double backward; it must use the
 * second-order-safe ops of `src/autodiff/safe-ops.ts`.
 */
export interface Regularizer {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly order: 1 | 2;
  /** Which per-task gradients an order-2 penalty reads (default `'params'`). */
  readonly wrt?: 'params' | 'features';
  /** λ·R as a differentiable scalar (called inside the recorded forward; do all work in tf ops). */
  penalty(input: RegularizerInput, ctx: RegularizerContext): tf.Scalar;
}
