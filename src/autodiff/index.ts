/** Public API of `autodiff`. */
export {};
export { assertJacobian, combine, gramian, jacobianSpec } from './gramian.js';
export * as safeOps from './safe-ops.js';
export { assertGradientsRegistered } from './ensure.js';
export { gradKeepGraph, gradOfGradFunction, hessianVectorProduct } from './higher-order.js';
export type { GradOfGradResult } from './higher-order.js';
export { recordTape, type RecordedTape, type Seed } from './tape.js';
export {
  FEATURE_KEY_PREFIX,
  modelVariables,
  recordForward,
  taskGradients,
  type Cotangents,
  type EnginePath,
  type GradientSession,
  type JacobianMode,
  type ModelVariables,
  type SessionOptions,
  type TaskGradients,
  type TaskGradientsResult,
  type VariableGroup,
} from './jacobian.js';
