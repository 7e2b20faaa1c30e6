/** Public API of `testing`. */
export {};
export {
  describeAggregatorConformance,
  type AggregatorFactory,
  type ConformanceCheck,
  type ConformanceOptions,
} from './conformance.js';
export {
  matrixArb,
  psdArb,
  simplexPointArb,
  orthonormalColumns,
  type HostMatrix,
  type MatrixArbOptions,
  type SizeSpec,
} from './arbitraries.js';
export { gramianOf, combineRows, stepContext, rowsOf, type StepContextOptions } from './host.js';
