/**
 * A synthetic but realistic {@link ReportInput} (seeded), used by the report's tests, the
 * headless-browser test and the docs. It is not a result of any training.
 */
import { createRng } from '../core/rng.js';
import { summarizeMethod, statMetrics } from './summary.js';
import type { HistoryRecord, ReportInput, ReportRun, TaskMetrics } from './types.js';

/** Options of {@link sampleReportInput}. */
export interface SampleOptions {
  readonly methods?: readonly string[];
  readonly seeds?: number;
  readonly steps?: number;
  readonly epochs?: number;
  readonly seed?: number;
}

/**
 * Builds a two-task (binary) bench-shaped input: decaying noisy losses, drifting weights,
 * cosines around a method-specific level, AUC/logloss test metrics and baselines.
 */
export function sampleReportInput(options: SampleOptions = {}): ReportInput {
  const methods = options.methods ?? ['ew', 'pcgrad', 'upgrad'];
  const seeds = options.seeds ?? 2;
  const steps = options.steps ?? 60;
  const epochs = options.epochs ?? 3;
  const rng = createRng(options.seed ?? 7);
  const tasks = [
    { id: 'income_high', kind: 'binary' as const },
    { id: 'never_married', kind: 'binary' as const },
  ];
  const testOf = (quality: number): TaskMetrics => ({
    income_high: { auc: 0.78 + quality + 0.01 * rng.normal(), logloss: 0.45 - quality },
    never_married: { auc: 0.9 + quality + 0.01 * rng.normal(), logloss: 0.33 - quality },
  });
  const runs: ReportRun[] = [];
  methods.forEach((method, mi) => {
    for (let s = 0; s < seeds; s++) {
      const history: HistoryRecord[] = [];
      const perEpoch = Math.max(1, Math.floor(steps / epochs));
      for (let step = 0; step < steps; step++) {
        const decay = Math.exp(-step / (steps / 2));
        const w = 0.5 + 0.3 * Math.sin((step / steps) * Math.PI * (mi + 1));
        history.push({
          kind: 'step',
          step,
          epoch: Math.floor(step / perEpoch),
          losses: {
            income_high: 0.4 + 0.3 * decay + 0.03 * rng.normal(),
            never_married: 0.3 + 0.35 * decay + 0.03 * rng.normal(),
          },
          ...(method !== 'ew'
            ? {
                weights: { income_high: w, never_married: 1 - w },
                cosines: {
                  'income_high|never_married': Math.max(
                    -1,
                    Math.min(1, -0.2 + 0.1 * mi + 0.15 * rng.normal()),
                  ),
                },
              }
            : { weights: { income_high: 0.5, never_married: 0.5 } }),
        });
        if ((step + 1) % perEpoch === 0) {
          const e = Math.floor(step / perEpoch);
          history.push({
            kind: 'epoch',
            epoch: e,
            step: step + 1,
            trainLoss: { income_high: 0.5 - 0.03 * e, never_married: 0.4 - 0.04 * e },
            valid: {
              income_high: { auc: 0.7 + 0.03 * e + 0.005 * mi, logloss: 0.5 - 0.02 * e },
              never_married: { auc: 0.85 + 0.02 * e, logloss: 0.4 - 0.02 * e },
            },
          });
        }
      }
      const test = testOf(0.004 * mi);
      history.push({ kind: 'final', step: steps, valid: test, test });
      runs.push({ method, seed: s, history, test });
    }
  });
  const baseline = statMetrics(Array.from({ length: seeds }, () => testOf(0.002)));
  return {
    title: 'manytask bench: marketing-income (sample)',
    kind: 'bench',
    dataset: 'marketing-income',
    architecture: 'shared-bottom',
    tasks,
    methods: methods.map((m) => summarizeMethod(m, m.toUpperCase(), runs, baseline, 1.5)),
    baseline,
    runs,
    config: { dataset: { id: 'marketing-income' }, methods, seeds },
    versions: { manytask: '0.0.0-sample', tfjs: '4.22.0', backend: 'cpu', node: 'v20' },
    notes: ['Sample data for tests; not a training result.'],
  };
}
