/** Public API of `report`. */
export type {
  EpochRecord,
  FinalRecord,
  HistoryRecord,
  MethodSummary,
  ReportInput,
  ReportRun,
  Stat,
  StepRecord,
  TaskMetrics,
} from './types.js';
export {
  baselineMeans,
  bestIndices,
  deltaMPercent,
  higherIsBetter,
  stat,
  statMetrics,
  summarizeMethod,
} from './summary.js';
export {
  buildCharts,
  downsample,
  primaryMetric,
  renderSvg,
  MAX_POINTS,
  type ChartSpec,
  type Point,
} from './charts.js';
export {
  escapeHtml,
  formatNumber,
  formatStat,
  renderReport,
  resultsTable,
  type RenderReportOptions,
} from './html.js';
