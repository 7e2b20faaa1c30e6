// Host-level certificates of the catalogue weightings: fairgrad, krum, modo, sdmgrad, cr-mogm.
import { describe, expect, it } from 'vitest';
import type { EmptyState, Gramian, Weighting } from '../core/types.js';
import { stepContext } from '../../test/helpers/step-context.js';
import { crMogmWeighting } from './cr-mogm.js';
import { fairgradWeighting } from './fairgrad.js';
import { krumWeighting } from './krum.js';
import { modoWeighting } from './modo.js';
import { sdmgradWeighting } from './sdmgrad.js';

/** G = J·Jᵀ for a row-major K×D matrix. */
function gram(rows: number[][]): Gramian {
  const k = rows.length;
  const data = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      data[i * k + j] = rows[i]!.reduce((s, v, t) => s + v * rows[j]![t]!, 0);
  return { k, data };
}
const J_BASE = [
  [-4, 1, 1],
  [6, 1, 1],
];
const ctx = stepContext([1, 1]);

describe('fairgrad weighting', () => {
  it('torchjd golden: G = [[18, −22], [−22, 38]] (α = 1) → w ≈ [0.5915, 0.4071]', () => {
    const r = fairgradWeighting().weigh(gram(J_BASE), {}, ctx);
    expect(r.weights[0]).toBeCloseTo(0.5915, 4);
    expect(r.weights[1]).toBeCloseTo(0.4071, 4);
    expect(r.warnings).toBeUndefined();
  });
  it.each([0.5, 1, 2, 5])(
    'certificate: G·w = w^(−1/α) and every ⟨g_k, d⟩ > 0 (α = %f)',
    (alpha) => {
      const j = [
        [1, -2, 0.5, 3],
        [-2, 1, 1, 0],
        [0.3, 0.2, -1, 2],
      ];
      const g = gram(j);
      const w = fairgradWeighting({ alpha }).weigh(g, {}, ctx).weights;
      for (let i = 0; i < 3; i++) {
        const gw = [0, 1, 2].reduce((s, t) => s + g.data[i * 3 + t]! * w[t]!, 0);
        expect(gw / w[i]! ** (-1 / alpha)).toBeCloseTo(1, 9);
        expect(gw).toBeGreaterThan(0);
      }
    },
  );
  it('α = 1: scaling J by λ scales w by 1/λ (d unchanged); zero J gives uniform weights', () => {
    const g = gram(J_BASE);
    const w1 = fairgradWeighting().weigh(g, {}, ctx).weights;
    const w2 = fairgradWeighting().weigh(
      { k: 2, data: g.data.map((v) => v * 1e6) },
      {},
      ctx,
    ).weights;
    expect(w2[0]! * 1e3).toBeCloseTo(w1[0]!, 9);
    expect(
      Array.from(fairgradWeighting().weigh({ k: 2, data: new Float64Array(4) }, {}, ctx).weights),
    ).toEqual([0.5, 0.5]);
  });
  it('reports (never hides) the no-root case g₂ = −g₁', () => {
    const r = fairgradWeighting({ maxIter: 30 }).weigh(
      gram([
        [1, 2],
        [-1, -2],
      ]),
      {},
      ctx,
    );
    expect(r.warnings?.[0]).toMatch(/fairgrad: no positive solution/);
    expect(r.weights.every(Number.isFinite)).toBe(true);
  });
});

describe('krum weighting', () => {
  const J_KRUM = [
    [1, 1, 1],
    [1, 0, 1],
    [75, -666, 23],
    [1, 2, 3],
    [2, 0, 1],
  ];
  it('torchjd golden: Krum(f = 1, m = 4) on J_Krum drops the adversarial row', () => {
    const w = krumWeighting({ nByzantine: 1, nSelected: 4 }).weigh(gram(J_KRUM), {}, ctx).weights;
    expect(Array.from(w)).toEqual([0.25, 0.25, 0, 0.25, 0.25]);
  });
  it('plain Krum picks the single most central row; too few rows is a ShapeError', () => {
    const w = krumWeighting({ nByzantine: 1 }).weigh(gram(J_KRUM), {}, ctx).weights;
    expect(w.filter((v) => v === 1)).toHaveLength(1);
    expect(w[2]).toBe(0);
    expect(() => krumWeighting().weigh(gram(J_BASE), {}, ctx)).toThrow(
      /krum: needs at least nByzantine \+ 3 = 3 tasks/,
    );
  });
});

describe('modo weighting', () => {
  it('one projected step from λ = 1/K (hand-derived)', () => {
    const m = modoWeighting();
    const r = m.weigh(gram(J_BASE), m.init(2), ctx);
    // Gλ = (−2, 8); y = λ − 1e-3·(Gλ + 0.1λ) = (0.50195, 0.49195); projection shifts both by 0.00305.
    expect(r.weights[0]).toBeCloseTo(0.505, 12);
    expect(r.weights[1]).toBeCloseTo(0.495, 12);
    const soft = modoWeighting({ projection: 'softmax' }).weigh(
      gram(J_BASE),
      m.init(2),
      ctx,
    ).weights;
    const e = [Math.exp(0.50195), Math.exp(0.49195)];
    expect(soft[0]).toBeCloseTo(e[0]! / (e[0]! + e[1]!), 12);
  });
  it('repeated steps on a fixed G approach the regularised MGDA point', () => {
    const m = modoWeighting({ gamma: 0.01, rho: 0 });
    let s = m.init(2);
    for (let t = 0; t < 5000; t++) s = m.weigh(gram(J_BASE), s, ctx).state;
    expect(s.lambda[0]).toBeCloseTo(0.6, 6);
  });
});

describe('sdmgrad weighting', () => {
  it('λ = 0 converges to the MGDA weights [0.6, 0.4]; outputs stay on the simplex', () => {
    const m = sdmgradWeighting({ lambda: 0, innerIterations: 200, innerLr: 0.5 });
    const r = m.weigh(gram(J_BASE), m.init(2), ctx);
    expect(r.weights[0]).toBeCloseTo(0.6, 6);
    const d = sdmgradWeighting();
    const rd = d.weigh(gram(J_BASE), d.init(2), ctx);
    expect(rd.weights.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 12);
    expect(Math.min(...rd.weights)).toBeGreaterThanOrEqual(0.3 / 2 / 1.3 - 1e-12);
  });
  it('scale-invariant weights and K = 1 gives w = 1', () => {
    const d = sdmgradWeighting();
    const a = d.weigh(gram(J_BASE), d.init(2), ctx).weights;
    const b = d.weigh(
      { k: 2, data: gram(J_BASE).data.map((v) => v * 1e4) },
      d.init(2),
      ctx,
    ).weights;
    expect(b[0]).toBeCloseTo(a[0]!, 6);
    expect(Array.from(d.weigh({ k: 1, data: Float64Array.of(4) }, d.init(1), ctx).weights)).toEqual(
      [1],
    );
  });
});

describe('cr-mogm weighting', () => {
  const fixed: Weighting<EmptyState> = {
    id: 'fixed',
    init: () => ({}),
    weigh: (_g, s) => ({ weights: Float64Array.of(1, 0), state: s }),
  };
  it('is the EMA λ_t = αλ_{t−1} + (1 − α)λ̂_t from 1/K; α = 0 returns the inner weights', () => {
    const m = crMogmWeighting(fixed, { alpha: 0.9 });
    let s = m.init(2);
    s = m.weigh(gram(J_BASE), s, ctx).state;
    expect(s.lambda[0]).toBeCloseTo(0.9 * 0.5 + 0.1, 14);
    s = m.weigh(gram(J_BASE), s, ctx).state;
    expect(s.lambda[0]).toBeCloseTo(0.9 * 0.55 + 0.1, 14);
    const z = crMogmWeighting(fixed, { alpha: 0 });
    expect(Array.from(z.weigh(gram(J_BASE), z.init(2), ctx).weights)).toEqual([1, 0]);
  });
});
