import { describe, expect, it } from 'vitest';
import { stepContext } from '../../test/helpers/step-context.js';
import { imtlGWeighting } from './imtl-g.js';
import { imtlWeighting } from './imtl.js';

const G = { k: 2, data: Float64Array.of(18, -22, -22, 38) };

describe('imtl weighting', () => {
  it('first step (s = 0) equals IMTL-G; s then moves along e^s·L − 1', () => {
    const m = imtlWeighting({ lr: 0.1, optimizer: 'sgd' });
    const r = m.weigh(G, m.init(2), stepContext([3, 0.5]));
    const g = imtlGWeighting().weigh(G, {}, stepContext([3, 0.5])).weights;
    expect(r.weights[0]).toBeCloseTo(g[0]!, 12);
    expect(r.weights[0]).toBeCloseTo(0.5923, 4); // torchjd IMTL-G golden
    expect(r.state.s[0]).toBeCloseTo(-0.1 * (3 - 1), 12);
    expect(r.state.s[1]).toBeCloseTo(-0.1 * (0.5 - 1), 12);
  });
  it('with scales s, d has equal projections onto the unit scaled gradients (IMTL-G on SGS)', () => {
    const m = imtlWeighting();
    const s = Float64Array.of(0.7, -0.4);
    const r = m.weigh(G, { ...m.init(2), s }, stepContext([1, 1]));
    // ⟨d, e^{s_i}g_i⟩/‖e^{s_i}g_i‖ = (Gw)_i/√G_ii with w the reported weights.
    const proj = [0, 1].map(
      (i) =>
        (G.data[2 * i]! * r.weights[0]! + G.data[2 * i + 1]! * r.weights[1]!) /
        Math.sqrt(G.data[3 * i]!),
    );
    expect(proj[0]).toBeCloseTo(proj[1]!, 10);
  });
  it('on constant losses s converges to −log L (every scaled loss → 1)', () => {
    const m = imtlWeighting({ lr: 0.05 });
    let st = m.init(2);
    for (let t = 0; t < 3000; t++) st = m.weigh(G, st, stepContext([4, 0.25])).state;
    expect(st.s[0]).toBeCloseTo(-Math.log(4), 2);
    expect(st.s[1]).toBeCloseTo(-Math.log(0.25), 2);
  });
});
