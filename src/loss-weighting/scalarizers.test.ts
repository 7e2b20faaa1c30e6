import { describe, expect, it } from 'vitest';
import { fdGradient, stepContext } from '../../test/helpers/step-context.js';
import { cosmos } from './cosmos.js';
import { pbi } from './pbi.js';
import { stch } from './stch.js';

describe('pbi', () => {
  it('θ = 0 reduces to the unit preference direction', () => {
    const w = pbi({ theta: 0 }).weigh(Float64Array.from([1, 3]), {}, stepContext([1, 3])).weights;
    expect(w[0]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(w[1]).toBeCloseTo(Math.SQRT1_2, 14);
  });
  it('weights equal the finite-difference gradient of d₁ + θ·d₂', () => {
    const p = [1, 2, 0.5];
    const z = [-1, 0, 0.2];
    const theta = 5;
    const f = (l: Float64Array): number => {
      const n = Math.hypot(...p);
      const ph = p.map((v) => v / n);
      const s = Array.from(l, (v, i) => v - z[i]!);
      const d1 = s.reduce((a, v, i) => a + v * ph[i]!, 0);
      const r = s.map((v, i) => v - d1 * ph[i]!);
      return d1 + theta * Math.sqrt(r.reduce((a, v) => a + v * v, 0) + 1e-12);
    };
    const l = [0.7, 2.2, 1.1];
    const w = pbi({ theta, preference: p, reference: z }).weigh(
      Float64Array.from(l),
      {},
      stepContext(l),
    ).weights;
    fdGradient(f, l).forEach((g, i) => expect(w[i]).toBeCloseTo(g, 6));
  });
  it('validates the preference', () => {
    expect(() => pbi({ preference: [0, 0] })).toThrow(/pbi: option `preference`/);
    expect(() =>
      pbi({ preference: [1] }).weigh(Float64Array.from([1, 2]), {}, stepContext([1, 2])),
    ).toThrow(/1 entries but there are 2 tasks/);
  });
});

describe('cosmos', () => {
  it('λ = 0 is linear scalarisation with the preference', () => {
    const w = cosmos({ lambda: 0 }).weigh(
      Float64Array.from([1, 2]),
      {},
      stepContext([1, 2]),
    ).weights;
    expect(Array.from(w)).toEqual([0.5, 0.5]);
  });
  it('weights equal the finite-difference gradient of Σ r L − λ cos(r, L)', () => {
    const r = [0.2, 0.5, 0.3];
    const lambda = 3;
    const f = (l: Float64Array): number => {
      const rl = l.reduce((a, v, i) => a + v * r[i]!, 0);
      return rl - (lambda * rl) / (Math.hypot(...r) * Math.hypot(...l));
    };
    const l = [0.4, 1.3, 2.0];
    const w = cosmos({ lambda, preference: r }).weigh(
      Float64Array.from(l),
      {},
      stepContext(l),
    ).weights;
    fdGradient(f, l).forEach((g, i) => expect(w[i]).toBeCloseTo(g, 6));
  });
});

describe('stch', () => {
  it('warm-up: weights 1/L; the last warm-up epoch sets the nadir; then w = ∇ of K·μ·logΣexp(log(L/n)/μ)', () => {
    const m = stch({ warmupEpochs: 1, mu: 0.5 });
    let s = m.init(2);
    const e0 = m.weigh(Float64Array.from([2, 4]), s, stepContext([2, 4], { epoch: 0 }));
    expect(e0.weights[0]).toBeCloseTo(0.5, 14);
    expect(e0.state.sum).toBeNull();
    s = e0.state;
    for (const l of [
      [1, 3],
      [3, 5],
    ]) {
      s = m.weigh(Float64Array.from(l), s, stepContext(l, { epoch: 1 })).state;
    }
    const l = [1.5, 2];
    const r = m.weigh(Float64Array.from(l), s, stepContext(l, { epoch: 2 }));
    expect(Array.from(r.state.nadir!)).toEqual([2, 4]);
    const f = (x: Float64Array): number =>
      2 * 0.5 * Math.log(Math.exp(Math.log(x[0]! / 2) / 0.5) + Math.exp(Math.log(x[1]! / 4) / 0.5));
    fdGradient(f, l).forEach((g, i) => expect(r.weights[i]).toBeCloseTo(g, 6));
    // Task 0 is further above its nadir (1.5/2 > 2/4), so it gets more weight per unit loss.
    expect(r.weights[0]! * l[0]!).toBeGreaterThan(r.weights[1]! * l[1]!);
  });
  it('warns (never silently) when no warm-up losses were collected', () => {
    const m = stch({ warmupEpochs: 0 });
    const r = m.weigh(Float64Array.from([1, 2]), m.init(2), stepContext([1, 2], { epoch: 3 }));
    expect(r.warnings?.[0]).toMatch(/no losses were collected/);
    expect(r.weights[0]).toBeCloseTo(1, 12);
  });
});
