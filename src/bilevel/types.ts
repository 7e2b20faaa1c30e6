/**
 * The contract between bi-level MTL methods (Auto-Lambda, MOML, FORUM) and the trainer.
 *
 * These methods need more than one batch and more than the current parameters: a virtual SGD step
 * θ' = θ − η∇f(θ), losses and gradients at θ' or at θ ± εv, on an *inner* and an *outer* batch. The
 * trainer exposes exactly that through a {@link BilevelOracle}; the method never touches the
 * model's variables, so nothing must be restored afterwards.
 *
 * Trainer protocol, per optimiser step:
 * 1. draw two extra batches of half the training batch size: `inner` and `outer` (LibMTL's
 *    `train_bilevel`), and build an oracle over **every trainable variable** (shared, per-task
 *    heads and `extra`);
 * 2. `r = method.step(oracle, state, ctx)`;
 * 3. if `r.direction` is present (FORUM), apply it with the model optimiser as the gradient of
 *    every trainable variable; otherwise (Auto-Lambda, MOML) take the ordinary step on the training
 *    batch with the loss `Σ_k r.weights[k]·L_k`;
 * 4. dispose everything the oracle handed out that the method returned (`r.direction`).
 */
import type { ParamTree, StepContext, TaskId, TaskJacobian } from '../core/types.js';

/** Which extra batch an oracle call evaluates on. */
export type BilevelBatch = 'inner' | 'outer';

/** What a bi-level method may ask of the model (implemented by the trainer). */
export interface BilevelOracle {
  readonly tasks: readonly TaskId[];
  /**
   * θ: the current value of every trainable variable, keyed by variable name (the same keys the
   * trainer accepts in a returned `direction`). Borrowed: do not dispose.
   */
  readonly params: ParamTree;
  /** The model optimiser's learning rate at this step (Auto-Lambda's virtual step size). */
  readonly learningRate: number;
  /** Per-task losses `L_k(p; batch)` at `p` (default θ), as host values. No gradient. */
  losses(batch: BilevelBatch, params?: ParamTree): Float64Array;
  /** `∇_p Σ_k w_k L_k(p; batch)` at `p` (default θ), keyed like `params`. Caller owns. */
  gradient(batch: BilevelBatch, weights: Float64Array, params?: ParamTree): ParamTree;
  /** Per-task gradients `∇_p L_k(p; batch)`: blocks `[K, ...shape]` keyed like `params`. Caller owns. */
  jacobian(batch: BilevelBatch, params?: ParamTree): TaskJacobian;
}

/** Output of one bi-level step. */
export interface BilevelStepResult<S> {
  readonly state: S;
  /** Task weights of the model step (`Σ_k w_k L_k` on the training batch), also for logging. */
  readonly weights: Float64Array;
  /**
   * When present, the update of every trainable variable (keyed like `oracle.params`), applied by
   * the model optimiser instead of the gradient of `Σ_k w_k L_k`. Caller owns.
   */
  readonly direction?: ParamTree;
  readonly warnings?: readonly string[];
  readonly diagnostics?: Readonly<Record<string, number>>;
}

/** A bi-level method: explicit host state (task-weight logits and their optimiser). */
export interface BilevelMethod<S = unknown> {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  init(numTasks: number): S;
  step(oracle: BilevelOracle, state: S, ctx: StepContext): BilevelStepResult<S>;
}
