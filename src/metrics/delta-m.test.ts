import { describe, expect, it } from 'vitest';
import { ConfigError, NumericalError } from '../core/errors.js';
import { deltaM } from './delta-m.js';

const baselines = { a: { auc: 0.75, logloss: 0.5 }, b: { mse: 1.0 } };
const directions = { a: { auc: true, logloss: false }, b: { mse: false } };

describe('deltaM', () => {
  it('matches the hand computation of both definitions', () => {
    const r = deltaM({ a: { auc: 0.8, logloss: 0.4 }, b: { mse: 1.2 } }, baselines, directions);
    // improvements: auc (0.8−0.75)/0.75 = +6.667 %, logloss (0.5−0.4)/0.5 = +20 %, mse (1−1.2)/1 = −20 %
    expect(r.terms.map((t) => t.improvement)).toEqual([
      expect.closeTo(100 / 15, 10),
      expect.closeTo(20, 10),
      expect.closeTo(-20, 10),
    ]);
    expect(r.deltaM).toBeCloseTo(-(100 / 15) / 3, 10); // flat mean, sign flipped: −2.222
    expect(r.perTask).toEqual({
      a: expect.closeTo((100 / 15 + 20) / 2, 10),
      b: expect.closeTo(-20, 10),
    });
    expect(r.deltaP).toBeCloseTo(((100 / 15 + 20) / 2 - 20) / 2, 10); // −3.333
  });

  it("equals Nash-MTL's delta_fn: mean((−1)^sign·(a − base)/base)·100", () => {
    const base = [0.383, 0.6376, 25.01, 0.278];
    const sign = [1, 1, 0, 0]; // 1 = higher is better
    const a = [0.4, 0.65, 24, 0.29];
    const want =
      (a.reduce((s, v, i) => s + ((-1) ** sign[i]! * (v - base[i]!)) / base[i]!, 0) / 4) * 100;
    const r = deltaM(
      { t: { m0: a[0]!, m1: a[1]!, m2: a[2]!, m3: a[3]! } },
      { t: { m0: base[0]!, m1: base[1]!, m2: base[2]!, m3: base[3]! } },
      { t: { m0: true, m1: true, m2: false, m3: false } },
    );
    expect(r.deltaM).toBeCloseTo(want, 12);
  });

  it('sign conventions: better than the baselines → Δm < 0 and Δp > 0; identical → 0', () => {
    const better = deltaM(
      { a: { auc: 0.9, logloss: 0.3 }, b: { mse: 0.5 } },
      baselines,
      directions,
    );
    expect(better.deltaM).toBeLessThan(0);
    expect(better.deltaP).toBeGreaterThan(0);
    const worse = deltaM({ a: { auc: 0.7, logloss: 0.6 }, b: { mse: 2 } }, baselines, directions);
    expect(worse.deltaM).toBeGreaterThan(0);
    expect(worse.deltaP).toBeLessThan(0);
    const same = deltaM(baselines, baselines, directions);
    expect([same.deltaM, same.deltaP]).toEqual([-0, 0].map((v) => expect.closeTo(v, 15)));
  });

  it('with one metric per task, Δm = −Δp', () => {
    const r = deltaM({ a: { auc: 0.8 }, b: { mse: 0.7 } }, baselines, {
      a: { auc: true },
      b: { mse: false },
    });
    expect(r.deltaM).toBeCloseTo(-r.deltaP, 12);
  });

  it('only the listed terms count; missing, zero and non-finite terms are errors', () => {
    const r = deltaM({ a: { auc: 0.8, logloss: 9 } }, baselines, { a: { auc: true } });
    expect(r.terms).toHaveLength(1);
    expect(() => deltaM({ a: { auc: 0.8 } }, baselines, directions)).toThrow(
      new ConfigError(
        "deltaM: results have no 'logloss' for task 'a'; give every (task, metric) listed in directions, or remove it from directions",
      ),
    );
    expect(() => deltaM({ b: { mse: 1 } }, { b: { mse: 0 } }, { b: { mse: false } })).toThrow(
      "deltaM: baseline 'mse' of task 'b' is 0, and Δm is relative to the baseline; remove this metric from directions",
    );
    expect(() => deltaM({ a: { auc: Number.NaN } }, baselines, { a: { auc: true } })).toThrow(
      NumericalError,
    );
    expect(() => deltaM({}, {}, {})).toThrow(ConfigError);
  });
});
