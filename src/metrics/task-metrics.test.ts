import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../core/model.js';
import { auc } from './auc.js';
import {
  averageMetrics,
  binaryAccuracy,
  binaryLogloss,
  createTaskMeter,
  meanAbsoluteError,
  meanSquaredError,
  multiclassAccuracy,
  multiclassLogloss,
  taskMetricDirections,
} from './task-metrics.js';

const logit = (p: number): number => Math.log(p / (1 - p));

describe('metric functions', () => {
  it('binary log-loss from probabilities (clipped) and logits (exact)', () => {
    expect(binaryLogloss([0.8], [1])).toBeCloseTo(-Math.log(0.8), 14);
    expect(binaryLogloss([0.8, 0.3], [1, 0])).toBeCloseTo((-Math.log(0.8) - Math.log(0.7)) / 2, 14);
    expect(binaryLogloss([logit(0.8), logit(0.3)], [1, 0], { from: 'logits' })).toBeCloseTo(
      (-Math.log(0.8) - Math.log(0.7)) / 2,
      12,
    );
    expect(binaryLogloss([0], [1])).toBeCloseTo(-Math.log(1e-15), 10); // clipped, ≈ 34.54
    expect(binaryLogloss([0], [1], { eps: 1e-7 })).toBeCloseTo(-Math.log(1e-7), 10);
    expect(binaryLogloss([-1000], [1], { from: 'logits' })).toBeCloseTo(1000, 10); // no overflow
    expect(binaryLogloss([1000], [1], { from: 'logits' })).toBe(0);
    expect(binaryLogloss([0.9, 0.1], [1, 1], { mask: [1, 0] })).toBeCloseTo(-Math.log(0.9), 14);
  });

  it('binary accuracy thresholds at 0.5 (logit 0)', () => {
    expect(binaryAccuracy([0.5, 0.49, 0.9, 0.1], [1, 0, 0, 0])).toBe(0.75);
    expect(binaryAccuracy([0, -0.01, 2.2, -2], [1, 0, 0, 0], { from: 'logits' })).toBe(0.75);
  });

  it('multiclass cross-entropy (log-softmax) and argmax accuracy', () => {
    const z = [1, 2, 3, 0, 0, 0];
    const ce0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3; // 0.40761
    expect(ce0).toBeCloseTo(0.407606, 6);
    expect(multiclassLogloss(z, [2, 1], 3, { from: 'logits' })).toBeCloseTo(
      (ce0 + Math.log(3)) / 2,
      12,
    );
    expect(multiclassLogloss([0.2, 0.5, 0.3], [1], 3)).toBeCloseTo(-Math.log(0.5), 14);
    // first maximum wins a tie
    expect(multiclassAccuracy(z, [2, 0], 3)).toBe(1);
    expect(multiclassAccuracy(z, [2, 1], 3)).toBe(0.5);
  });

  it('MSE and MAE', () => {
    expect(meanSquaredError([1, 2, 3], [1, 0, 6])).toBeCloseTo(13 / 3, 14);
    expect(meanAbsoluteError([1, 2, 3], [1, 0, 6])).toBeCloseTo(5 / 3, 14);
    expect(meanAbsoluteError([1, 2, 3], [1, 0, 6], [1, 0, 1])).toBe(1.5);
    expect(meanSquaredError([], [])).toBeNaN();
  });
});

describe('createTaskMeter', () => {
  const bin: TaskSpec = { id: 'click', kind: 'binary' };
  it('streams to the same values as one pass, skipping masked rows', () => {
    const z = [2, -1, 0.5, -3, 1, 0.2, -0.7];
    const y = [1, 0, 0, 0, 1, 1, 1];
    const m = [1, 1, 1, 0, 1, 1, 1];
    const meter = createTaskMeter(bin);
    meter.update(z.slice(0, 3), y.slice(0, 3), m.slice(0, 3));
    meter.update(z.slice(3), y.slice(3), m.slice(3));
    const r = meter.result();
    expect(r.n).toBe(6);
    expect(r.metrics['auc']).toBeCloseTo(auc(z, y, m), 14);
    expect(r.metrics['logloss']).toBeCloseTo(binaryLogloss(z, y, { from: 'logits', mask: m }), 14);
    expect(r.metrics['accuracy']).toBeCloseTo(
      binaryAccuracy(z, y, { from: 'logits', mask: m }),
      14,
    );
    expect(r.warnings).toEqual([]);
    const binned = createTaskMeter(bin, { auc: 'binned', bins: 100000 });
    binned.update(z, y, m);
    expect(binned.result().metrics['auc']).toBeCloseTo(r.metrics['auc']!, 4);
  });

  it('flags an undefined AUC (one class) instead of hiding it', () => {
    const meter = createTaskMeter(bin);
    meter.update([0.3, 1.2], [1, 1]);
    const r = meter.result();
    expect(r.metrics['auc']).toBeNaN();
    expect(r.warnings).toEqual([
      "task 'click': AUC is undefined (NaN) because the 2 labelled rows are all positive",
    ]);
  });

  it('multiclass and regression meters; output width is checked', () => {
    const mc = createTaskMeter({ id: 'd', kind: 'multiclass', numClasses: 3 });
    mc.update([1, 2, 3, 0, 0, 5], [2, 1]);
    expect(mc.result().metrics).toEqual({
      accuracy: 0.5,
      logloss: expect.closeTo(
        multiclassLogloss([1, 2, 3, 0, 0, 5], [2, 1], 3, { from: 'logits' }),
        12,
      ),
    });
    expect(() => mc.update([1, 2], [0])).toThrow(
      'TaskMeter(d): got 2 outputs for 1 labels; expected 3 per row',
    );
    const rg = createTaskMeter({ id: 'r', kind: 'regression' });
    rg.update([1, 2], [1, 0]);
    rg.update([3], [6]);
    expect(rg.result().metrics).toEqual({
      mse: expect.closeTo(13 / 3, 12),
      mae: expect.closeTo(5 / 3, 12),
    });
  });
});

describe('directions and averages', () => {
  it('gives each task the metrics of its kind with higher-is-better flags', () => {
    expect(
      taskMetricDirections([
        { id: 'a', kind: 'binary' },
        { id: 'b', kind: 'multiclass', numClasses: 3 },
        { id: 'c', kind: 'regression' },
      ]),
    ).toEqual({
      a: { auc: true, logloss: false, accuracy: true },
      b: { accuracy: true, logloss: false },
      c: { mse: false, mae: false },
    });
  });

  it('averages per metric over tasks and reports skipped NaNs', () => {
    const r = averageMetrics({
      a: { auc: 0.8, logloss: 0.5 },
      b: { auc: Number.NaN, logloss: 0.3 },
      c: { auc: 0.6 },
    });
    expect(r.average).toEqual({ auc: expect.closeTo(0.7, 14), logloss: expect.closeTo(0.4, 14) });
    expect(r.warnings).toEqual(["average auc: task 'b' skipped (its auc is NaN)"]);
  });
});
