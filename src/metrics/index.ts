/** Public API of `metrics`. */
export { auc, createBinnedAuc } from './auc.js';
export type { BinnedAuc } from './auc.js';
export {
  METRIC_DIRECTIONS,
  METRICS_BY_KIND,
  LOGLOSS_EPS,
  taskMetricDirections,
  binaryLogloss,
  binaryAccuracy,
  multiclassLogloss,
  multiclassAccuracy,
  meanSquaredError,
  meanAbsoluteError,
  createTaskMeter,
  averageMetrics,
} from './task-metrics.js';
export type {
  MetricName,
  ScoreKind,
  TaskMeter,
  TaskMeterOptions,
  TaskMetricResult,
} from './task-metrics.js';
export { deltaM } from './delta-m.js';
export type { DeltaReport, DeltaTerm, TaskMetricTable } from './delta-m.js';
export { conflictDiagnostics, conflictScalars } from './conflict.js';
export type { ConflictDiagnostics } from './conflict.js';
export { evaluate } from './evaluate.js';
export type { EvaluateOptions, EvaluationResult } from './evaluate.js';
export {
  auInit,
  auUpdate,
  relativeAu,
  dominanceSummary,
  dominanceScalars,
  dominanceTracker,
  layerOf,
} from './dominance-au.js';
export type {
  AuState,
  LayerDominance,
  DominanceSummaryOptions,
  DominanceTracker,
  DominanceTrackerOptions,
  DominanceTrackerState,
  DominanceOptimizer,
} from './dominance-au.js';
