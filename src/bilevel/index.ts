/** Public API of `bilevel`: bi-level task-weighting methods and the trainer contract they need. */
export type { BilevelBatch, BilevelMethod, BilevelOracle, BilevelStepResult } from './types.js';
export type { TaskWeightState } from './task-weights.js';
export { autoLambda, autoLambdaEntry, type AutoLambdaOptions } from './auto-lambda.js';
export { moml, momlEntry, type MomlOptions } from './moml.js';
export { forum, forumEntry, type ForumOptions, type ForumState } from './forum.js';
export { createModelOracle, type ModelOracleOptions } from './model-oracle.js';
