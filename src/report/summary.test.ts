import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  bestIndices,
  deltaMPercent,
  higherIsBetter,
  stat,
  statMetrics,
  summarizeMethod,
} from './summary.js';
import type { ReportRun } from './types.js';

describe('stat', () => {
  it('gives the mean and the sample standard deviation', () => {
    const s = stat([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    // Σ(x − 2.5)² = 5, divided by n − 1 = 3.
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.n).toBe(4);
  });
  it('has zero std for one value and NaN for none', () => {
    expect(stat([0.7])).toEqual({ mean: 0.7, std: 0, n: 1 });
    const e = stat([]);
    expect(e.n).toBe(0);
    expect(Number.isNaN(e.mean)).toBe(true);
  });
  fcTest.prop([fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1 })])(
    'mean lies within [min, max] and std ≥ 0',
    (xs) => {
      const s = stat(xs);
      expect(s.mean).toBeGreaterThanOrEqual(Math.min(...xs) - 1e-9);
      expect(s.mean).toBeLessThanOrEqual(Math.max(...xs) + 1e-9);
      expect(s.std).toBeGreaterThanOrEqual(0);
    },
  );
});

describe('higherIsBetter', () => {
  it('knows the directions of the metrics manytask reports', () => {
    expect(higherIsBetter('auc')).toBe(true);
    expect(higherIsBetter('accuracy')).toBe(true);
    expect(higherIsBetter('logloss')).toBe(false);
    expect(higherIsBetter('MSE')).toBe(false);
    expect(higherIsBetter('mae')).toBe(false);
    expect(higherIsBetter('gini-something')).toBeUndefined();
  });
});

describe('deltaMPercent', () => {
  it('matches a hand-computed value (flat average over task metrics, signed by direction)', () => {
    // auc 0.8 vs 0.75: higher is better, contribution −(0.05/0.75) = −6.667 %
    // logloss 0.4 vs 0.5: lower is better, contribution (−0.1/0.5) = −20 %
    // mse 1.1 vs 1.0: contribution +10 %
    // mean = (−6.6667 − 20 + 10) / 3 = −5.5556
    const d = deltaMPercent(
      { a: { auc: 0.8, logloss: 0.4 }, b: { mse: 1.1, unknownMetric: 3 } },
      { a: { auc: 0.75, logloss: 0.5 }, b: { mse: 1.0, unknownMetric: 1 } },
    );
    expect(d).toBeCloseTo((-100 * 0.05) / 0.75 / 3 - 20 / 3 + 10 / 3, 9);
  });
  it('is 0 when the metrics equal the baseline', () => {
    const m = { a: { auc: 0.8, logloss: 0.4 } };
    expect(deltaMPercent(m, m)).toBe(0);
  });
  it('is NaN when nothing is comparable', () => {
    expect(deltaMPercent({ a: { auc: 0.8 } }, { b: { auc: 0.8 } })).toBeNaN();
  });
});

describe('bestIndices', () => {
  it('picks the max or min and keeps ties', () => {
    expect(bestIndices([0.7, 0.8, 0.8, 0.6], true)).toEqual([1, 2]);
    expect(bestIndices([0.7, 0.8, 0.6], false)).toEqual([2]);
  });
  it('ignores NaN and marks nothing for unknown directions or a single entry', () => {
    expect(bestIndices([NaN, 0.5, 0.4], true)).toEqual([1]);
    expect(bestIndices([0.5, 0.4], undefined)).toEqual([]);
    expect(bestIndices([0.5, NaN], true)).toEqual([]);
    expect(bestIndices([0.749, 0.749, NaN], true)).toEqual([]);
  });
});

describe('summarizeMethod', () => {
  const run = (method: string, seed: number, auc: number): ReportRun => ({
    method,
    seed,
    history: [],
    test: { t: { auc, logloss: 1 - auc } },
  });
  const runs = [run('a', 0, 0.8), run('a', 1, 0.9), run('b', 0, 0.5)];
  it('aggregates only its own runs over seeds', () => {
    const s = summarizeMethod('a', 'A', runs);
    expect(s.test['t']?.['auc']?.mean).toBeCloseTo(0.85, 12);
    expect(s.test['t']?.['auc']?.n).toBe(2);
    expect(s.deltaM).toBeUndefined();
  });
  it('computes Δm per run against the baseline means, then mean ± std', () => {
    const baseline = statMetrics([{ t: { auc: 0.8, logloss: 0.2 } }]);
    const s = summarizeMethod('a', 'A', runs, baseline);
    const d0 = deltaMPercent(runs[0]!.test, { t: { auc: 0.8, logloss: 0.2 } });
    const d1 = deltaMPercent(runs[1]!.test, { t: { auc: 0.8, logloss: 0.2 } });
    expect(s.deltaM?.mean).toBeCloseTo((d0 + d1) / 2, 9);
    expect(s.deltaM?.n).toBe(2);
  });
});
