/**
 * The model and data contracts shared by architectures, data loaders and the training engine.
 * Type-only imports of TF.js: nothing here runs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng.js';
import type { TaskId } from './types.js';

/** What a task predicts; decides the head's output, loss and metrics. */
export type TaskKind = 'binary' | 'multiclass' | 'regression';

/** Loss of one task (defaults: binary → logloss, multiclass → cross-entropy, regression → mse). */
export type TaskLoss = 'logloss' | 'cross-entropy' | 'mse' | 'mae';

/** One task's definition. */
export interface TaskSpec {
  readonly id: TaskId;
  readonly kind: TaskKind;
  /** Classes for `multiclass` (≥ 2). */
  readonly numClasses?: number;
  /** Defaults by kind (see {@link TaskLoss}). */
  readonly loss?: TaskLoss;
}

/** Shape of a model's inputs. Any combination of the three parts may be present. */
export interface InputSpec {
  /** Number of numeric feature columns (`inputs.numeric` is `[B, numeric]` float32). */
  readonly numeric: number;
  /** Categorical columns (`inputs.categorical` is `[B, categorical.length]` int32 indices). */
  readonly categorical: readonly { readonly name: string; readonly vocabSize: number }[];
  /** Image input (`inputs.image` is `[B, height, width, channels]` float32). */
  readonly image?: { readonly height: number; readonly width: number; readonly channels: number };
}

/** Named input tensors of one batch. */
export interface ModelInputs {
  readonly numeric?: tf.Tensor2D;
  readonly categorical?: tf.Tensor2D;
  readonly image?: tf.Tensor4D;
}

/** A batch on the device. */
export interface Batch {
  readonly inputs: ModelInputs;
  /** Per task: binary `[B]` float32 0/1; multiclass `[B]` int32 class index; regression `[B]` float32. */
  readonly targets: Readonly<Record<TaskId, tf.Tensor1D>>;
  /** Per task `[B]` float32, 1 = labelled, 0 = missing (masked out of that task's loss). */
  readonly masks?: Readonly<Record<TaskId, tf.Tensor1D>>;
  /** Per-row weights `[B]` float32. */
  readonly rowWeights?: tf.Tensor1D;
  readonly size: number;
}

/** Options of one forward pass. */
export interface ForwardOptions {
  readonly training: boolean;
  readonly rng: Rng;
  /** Optimiser step (temperature schedules). */
  readonly step: number;
}

/** Output of the shared part of a model. */
export interface TrunkResult {
  /**
   * The shared representation: every path from the shared variables to a task output goes
   * through these tensors (the engine's `features` mode differentiates the task losses with
   * respect to them).
   */
  readonly features: readonly tf.Tensor[];
  /** Auxiliary loss terms produced by the trunk (router budget, DSelect-k entropy), summed. */
  readonly auxLoss?: tf.Scalar;
}

/** Output of the task-specific part. */
export interface HeadsResult {
  /** Per task: binary → logits `[B]`; multiclass → logits `[B, C]`; regression → `[B]`. */
  readonly outputs: Readonly<Record<TaskId, tf.Tensor>>;
  readonly auxLoss?: tf.Scalar;
}

/**
 * A multi-task model with explicit parameter groups (LibMTL's `get_share_params`, typed).
 *
 * `shared` variables may receive gradient from several tasks; `perTask[t]` only from task t.
 * The model is split into `trunk` (shared) and `heads` (task-specific) so that both Jacobian
 * modes work: `params` (per-task gradients of `shared`) and `features` (per-task gradients of
 * the trunk's features, then one trunk backward).
 */
export interface MtlModel {
  readonly architecture: string;
  readonly tasks: readonly TaskSpec[];
  readonly inputSpec: InputSpec;
  readonly shared: readonly tf.Variable[];
  readonly perTask: Readonly<Record<TaskId, readonly tf.Variable[]>>;
  /**
   * Trainable variables that are neither shared nor one task's (e.g. Gumbel router logits):
   * they get the gradient of the summed objective, optionally with their own optimiser.
   */
  readonly extra?: readonly tf.Variable[];
  trunk(inputs: ModelInputs, opts: ForwardOptions): TrunkResult;
  heads(features: readonly tf.Tensor[], inputs: ModelInputs, opts: ForwardOptions): HeadsResult;
  /** JSON-serialisable config that, with the weights, rebuilds the model (`architecture` + options). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Architecture diagnostics after a forward pass (gate weights per task, expert use, allocations). */
  diagnostics?(inputs: ModelInputs, opts: ForwardOptions): Readonly<Record<string, unknown>>;
  dispose(): void;
}

/** What an architecture registry entry creates: a builder bound to its options. */
export interface ArchitectureBuilder {
  readonly id: string;
  readonly config: Readonly<Record<string, unknown>>;
  build(input: InputSpec, tasks: readonly TaskSpec[], rng: Rng): MtlModel;
}
