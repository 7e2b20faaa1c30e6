/** Public API of `train`. */
export {
  maskedTaskLoss,
  resolveLoss,
  rowLosses,
  taskLosses,
  validateTasks,
  type MaskedLoss,
  type TaskLosses,
} from './losses.js';
export {
  cosinesFromGramian,
  createStepSetup,
  disposeTrainState,
  initTrainState,
  learningRateOf,
  methodFromRegistry,
  trainStep,
  type AnyLossWeighting,
  type StepMethod,
  type StepOptions,
  type StepReport,
  type StepSetup,
  type TrainState,
} from './step.js';
export {
  createTrainer,
  type EpochSummary,
  type RunOptions,
  type RunResult,
  type Trainer,
  type TrainerOptions,
  type TrainerState,
} from './trainer.js';
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  captureCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  modelVariableList,
  restoreCheckpoint,
  type Checkpoint,
  type CheckpointJson,
  type CheckpointMeta,
} from './checkpoint.js';
export {
  collectTensors,
  deserializeState,
  disposeReplaced,
  disposeState,
  serializeState,
  type SerializedState,
  type StateBuffer,
} from './state.js';
export {
  createShardPool,
  recordForwardSharded,
  type ShardPool,
  type ShardPoolOptions,
} from './data-parallel.js';
