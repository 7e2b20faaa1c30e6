import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import { dwa } from './dwa.js';

describe('dwa', () => {
  it('uses weights 1 until two epoch means exist, then K·softmax(r/T) (hand-derived)', () => {
    const m = dwa();
    const l = Float64Array.from([0.7, 0.9]);
    let s = m.init(2);
    expect(Array.from(m.weigh(l, s, stepContext(l)).weights)).toEqual([1, 1]);
    s = m.endEpoch!(Float64Array.from([1, 1]), s);
    expect(Array.from(m.weigh(l, s, stepContext(l, { epoch: 1 })).weights)).toEqual([1, 1]);
    s = m.endEpoch!(Float64Array.from([0.5, 1]), s);
    // r = [0.5, 1], r/T = [0.25, 0.5]: w = 2·e^{r/T}/Σe^{r/T}.
    const e1 = Math.exp(0.25);
    const e2 = Math.exp(0.5);
    const w = m.weigh(l, s, stepContext(l, { epoch: 2 })).weights;
    expect(w[0]).toBeCloseTo((2 * e1) / (e1 + e2), 14);
    expect(w[1]).toBeCloseTo((2 * e2) / (e1 + e2), 14);
    expect(w[0]).toBeCloseTo(0.8756, 4);
    // Only the last two epochs count: a third epoch [0.5, 0.25] gives r = [1, 0.25].
    s = m.endEpoch!(Float64Array.from([0.5, 0.25]), s);
    const w3 = m.weigh(l, s, stepContext(l, { epoch: 3 })).weights;
    const f1 = Math.exp(0.5);
    const f2 = Math.exp(0.125);
    expect(w3[0]).toBeCloseTo((2 * f1) / (f1 + f2), 14);
  });
  it('a larger temperature gives more uniform weights; does not mutate the history', () => {
    const hot = dwa({ temperature: 100 });
    let s = hot.init(2);
    const first = Float64Array.from([1, 1]);
    s = hot.endEpoch!(first, s);
    s = hot.endEpoch!(Float64Array.from([0.1, 1]), s);
    const w = hot.weigh(Float64Array.from([1, 1]), s, stepContext([1, 1])).weights;
    expect(Math.abs(w[0]! - 1)).toBeLessThan(0.01);
    first[0] = 99;
    expect(s.history[0]![0]).toBe(1);
    expect(() => dwa({ temperature: 0 })).toThrow(/dwa: option `temperature` must be > 0/);
  });
});
