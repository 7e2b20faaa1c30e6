import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import { famo } from './famo.js';

const EPS = 1e-8;

describe('famo', () => {
  it('weights are z_k/(c·ℓ_k): with ξ = 0 and L = [1, 4], w = [0.8, 0.2]', () => {
    const m = famo();
    const r = m.weigh(Float64Array.from([1, 4]), m.init(2), stepContext([1, 4]));
    expect(r.weights[0]).toBeCloseTo(0.8, 7);
    expect(r.weights[1]).toBeCloseTo(0.2, 7);
  });

  it('golden logit update on two known loss sequences (hand-derived Adam steps)', () => {
    const m = famo({ weightDecay: 0 });
    const seq = [
      { before: [1, 4], after: [0.5, 3] },
      { before: [0.5, 3], after: [0.2, 2.9] },
    ];
    let s = m.init(2);
    // Independent re-derivation of the two steps.
    let xi = [0, 0];
    let mu = [0, 0];
    let nu = [0, 0];
    seq.forEach(({ before, after }, t) => {
      const r = m.weigh(Float64Array.from(before), s, stepContext(before, { step: t }));
      s = m.afterStep!(Float64Array.from(after), r.state, stepContext(after, { step: t }));
      const e = xi.map(Math.exp);
      const z = e.map((v) => v / (e[0]! + e[1]!));
      const d = before.map((b, i) => Math.log(b + EPS) - Math.log(after[i]! + EPS));
      const zd = z[0]! * d[0]! + z[1]! * d[1]!;
      const g = z.map((zi, i) => zi * (d[i]! - zd));
      mu = mu.map((v, i) => 0.9 * v + 0.1 * g[i]!);
      nu = nu.map((v, i) => 0.999 * v + 0.001 * g[i]! ** 2);
      xi = xi.map(
        (v, i) =>
          v -
          (0.025 * (mu[i]! / (1 - 0.9 ** (t + 1)))) /
            (Math.sqrt(nu[i]! / (1 - 0.999 ** (t + 1))) + EPS),
      );
      expect(s.logits[0]).toBeCloseTo(xi[0]!, 12);
      expect(s.logits[1]).toBeCloseTo(xi[1]!, 12);
    });
    // Task 0 fell faster both times, so its logit went down by about lr per step (Adam's
    // sign-like steps) and task 1's went up by as much.
    expect(s.logits[0]).toBeLessThan(-0.04);
    expect(s.logits[0]).toBeGreaterThan(-0.0501);
    expect(s.logits[1]).toBeCloseTo(-s.logits[0]!, 12);
    const w = m.weigh(Float64Array.from([1, 1]), s, stepContext([1, 1])).weights;
    expect(w[0]).toBeLessThan(w[1]!);
  });

  it('respects minLosses, refuses losses at or below the bound, and needs weigh before afterStep', () => {
    const m = famo({ minLosses: [-21, -21] });
    const r = m.weigh(Float64Array.from([-20, -11]), m.init(2), stepContext([-20, -11]));
    // ℓ = [1, 10]: c = 0.5 + 0.05, w = [0.5/0.55, 0.05/0.55].
    expect(r.weights[0]).toBeCloseTo(0.5 / 0.55, 6);
    expect(() =>
      famo().weigh(Float64Array.from([1, 0]), famo().init(2), stepContext([1, 0])),
    ).toThrow(/famo: loss of task t1 is 0, not above its lower bound 0/);
    expect(() => m.afterStep!(Float64Array.from([1, 1]), m.init(2), stepContext([1, 1]))).toThrow(
      /call weigh\(\) on the batch before afterStep/,
    );
    expect(() => famo({ minLosses: [0] }).init(2)).toThrow(
      /`minLosses` has 1 entries but there are 2 tasks/,
    );
  });
});
