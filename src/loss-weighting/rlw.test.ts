import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import { rlw, type RlwDistribution } from './rlw.js';

const l = [1, 2, 3, 4];

describe('rlw', () => {
  it.each(['normal', 'uniform', 'dirichlet'] as RlwDistribution[])(
    '%s: softmax weights lie in the open simplex and depend only on the seed',
    (distribution) => {
      const m = rlw({ distribution });
      const a = m.weigh(Float64Array.from(l), {}, stepContext(l, { seed: 3 })).weights;
      const b = m.weigh(Float64Array.from(l), {}, stepContext(l, { seed: 3 })).weights;
      const c = m.weigh(Float64Array.from(l), {}, stepContext(l, { seed: 4 })).weights;
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(a)).not.toEqual(Array.from(c));
      expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
      for (const v of a) expect(v).toBeGreaterThan(0);
    },
  );
  it('normal: the mean weight over many draws is 1/K', () => {
    const m = rlw();
    const ctx = stepContext(l, { seed: 11 });
    const mean = new Float64Array(4);
    const n = 4000;
    for (let s = 0; s < n; s++) {
      const w = m.weigh(Float64Array.from(l), {}, ctx).weights;
      w.forEach((v, i) => (mean[i] = mean[i]! + v / n));
    }
    for (const v of mean) expect(v).toBeCloseTo(0.25, 2);
  });
  it('bernoulli gives 0/1 weights, never all zero; one-hot gives exactly one 1', () => {
    const ctx = stepContext([1, 1], { seed: 5 });
    for (let s = 0; s < 200; s++) {
      const b = rlw({ distribution: 'bernoulli' }).weigh(
        Float64Array.from([1, 1]),
        {},
        ctx,
      ).weights;
      expect(b.every((v) => v === 0 || v === 1)).toBe(true);
      expect(b.some((v) => v === 1)).toBe(true);
      const o = rlw({ distribution: 'one-hot' }).weigh(Float64Array.from([1, 1]), {}, ctx).weights;
      expect(o.reduce((x, v) => x + v, 0)).toBe(1);
    }
  });
});
