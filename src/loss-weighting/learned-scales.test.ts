import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import { hostOptimizerInit, hostStep } from '../linalg/host-optimizer.js';
import { imtlL } from './imtl-l.js';
import { uw } from './uw.js';

describe('hostStep', () => {
  it('Adam matches a hand-computed two-step trace (PyTorch conventions, with L2 decay)', () => {
    const p0 = Float64Array.from([1, -2]);
    const g = Float64Array.from([0.5, -4]);
    const opts = { kind: 'adam' as const, lr: 0.1, weightDecay: 0.01 };
    const s1 = hostStep(p0, g, hostOptimizerInit(2), opts);
    // Step 1: m̂ = g', v̂ = g'², so the step is lr·g'/(|g'| + ε) ≈ lr·sign(g').
    expect(s1.params[0]).toBeCloseTo(1 - 0.1 * (0.51 / (0.51 + 1e-8)), 12);
    expect(s1.params[1]).toBeCloseTo(-2 + 0.1 * (4.02 / (4.02 + 1e-8)), 12);
    const s2 = hostStep(s1.params, g, s1.state, opts);
    const gp = 0.5 + 0.01 * s1.params[0]!;
    const m = 0.9 * 0.1 * 0.51 + 0.1 * gp;
    const v = 0.999 * 0.001 * 0.51 ** 2 + 0.001 * gp ** 2;
    const expected =
      s1.params[0]! - (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(s2.params[0]).toBeCloseTo(expected, 12);
    expect(p0[0]).toBe(1);
  });
  it('SGD is p − lr·(g + wd·p)', () => {
    const r = hostStep(Float64Array.from([2]), Float64Array.from([1]), hostOptimizerInit(1), {
      kind: 'sgd',
      lr: 0.5,
      weightDecay: 0.1,
    });
    expect(r.params[0]).toBeCloseTo(2 - 0.5 * 1.2, 15);
  });
});

function run<S>(
  m: {
    init(k: number): S;
    weigh(
      l: Float64Array,
      s: S,
      c: ReturnType<typeof stepContext>,
    ): { weights: Float64Array; state: S };
  },
  losses: number[],
  steps: number,
): { weights: Float64Array; state: S } {
  let s = m.init(losses.length);
  let r: { weights: Float64Array; state: S } = { weights: new Float64Array(0), state: s };
  const l = Float64Array.from(losses);
  for (let t = 0; t < steps; t++) {
    r = m.weigh(l, s, stepContext(losses, { step: t }));
    s = r.state;
  }
  return r;
}

describe('uw', () => {
  it('first step: weights 1/(2e^{−0.5}) with the LibMTL init', () => {
    const m = uw();
    const r = m.weigh(Float64Array.from([2, 0.1]), m.init(2), stepContext([2, 0.1]));
    for (const w of r.weights) expect(w).toBeCloseTo(0.5 * Math.exp(0.5), 14);
    // ∂/∂s = 1/2 − L/(2e^s): positive for L = 0.1, negative for L = 2, so Adam moves s by ∓lr.
    expect(r.state.s[0]).toBeCloseTo(-0.5 + 1e-3, 9);
    expect(r.state.s[1]).toBeCloseTo(-0.5 - 1e-3, 9);
  });
  it('learns s = log L on constant losses, so w → 1/(2L)', () => {
    const losses = [2, 0.1, 7];
    const r = run(uw({ lr: 0.05 }), losses, 3000);
    losses.forEach((l, i) => {
      expect(r.state.s[i]).toBeCloseTo(Math.log(l), 2);
      expect(r.weights[i]! * 2 * l).toBeCloseTo(1, 1);
    });
    const sgd = run(uw({ lr: 0.2, optimizer: 'sgd' }), losses, 3000);
    losses.forEach((l, i) => expect(sgd.state.s[i]).toBeCloseTo(Math.log(l), 4));
  });
});

describe('imtl-l', () => {
  it('starts as EW and learns s = −log L, so every scaled loss e^s·L → 1', () => {
    const losses = [4, 0.5, 0.02];
    const m = imtlL({ lr: 0.1, optimizer: 'sgd' });
    expect(
      Array.from(m.weigh(Float64Array.from(losses), m.init(3), stepContext(losses)).weights),
    ).toEqual([1, 1, 1]);
    const r = run(imtlL({ lr: 0.05 }), losses, 3000);
    losses.forEach((l, i) => {
      expect(r.state.s[i]).toBeCloseTo(-Math.log(l), 2);
      expect(r.weights[i]! * l).toBeCloseTo(1, 1);
    });
  });
});
