import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matrixArb } from '../testing/arbitraries.js';
import { combineRows, gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { cagradWeighting } from './cagrad.js';

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
const weigh = (o: Parameters<typeof cagradWeighting>[0], rows: number[][], seed = 0) =>
  cagradWeighting(o).weigh(gramianOf(rows), {}, stepContext({ numTasks: rows.length, seed }))
    .weights;

describe('cagrad weighting', () => {
  test.prop(
    [
      matrixArb({ rows: { min: 2, max: 4 }, cols: { min: 2, max: 5 } }),
      fc.double({ min: 0.1, max: 3, noNaN: true }),
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
    ],
    { numRuns: 60 },
  )(
    'primal certificate: no d in the ball ‖d − g₀‖ ≤ c‖g₀‖ has a larger worst-task improvement',
    (m, c, dir) => {
      const rows = rowsOf(m.data, m.rows, m.cols);
      const w = weigh({ c, normEps: 0 }, rows);
      // torchjd's convention: when the dual optimum has g_w = 0 (Pareto-stationary) d = 0.
      if (w.every((v) => v === 0)) return;
      const d = combineRows(rows, w);
      const g0 = combineRows(rows, new Array(m.rows).fill(1 / m.rows));
      const radius = c * Math.sqrt(dot(g0, g0));
      const worst = (x: number[]) => Math.min(...rows.map((r) => dot(r, x)));
      // d lies on the ball's boundary ...
      const off = d.map((v, i) => v - g0[i]!);
      expect(Math.sqrt(dot(off, off))).toBeLessThanOrEqual(radius * (1 + 1e-7) + 1e-12);
      // ... and beats a random boundary point of the ball.
      const u = dir.slice(0, m.cols);
      const nu = Math.sqrt(dot(u, u));
      if (nu > 1e-6) {
        const probe = g0.map((v, i) => v + (radius * u[i]!) / nu);
        const gMax = Math.max(...rows.map((r) => Math.sqrt(dot(r, r))));
        const tol = 1e-7 * gMax * (Math.sqrt(dot(g0, g0)) + radius);
        expect(worst(d)).toBeGreaterThanOrEqual(worst(probe) - tol);
      }
    },
  );

  test('K = 1 gives (1 + c)·g; c = 0 gives the mean; rescale divides by 1 + c² or 1 + c', () => {
    expect(weigh({ c: 0.5 }, [[3, 4]])[0]).toBeCloseTo(1.5, 12);
    expect(
      Array.from(
        weigh({ c: 0 }, [
          [-4, 1, 1],
          [6, 1, 1],
        ]),
      ),
    ).toEqual([0.5, 0.5]);
    const base = weigh({ c: 0.5 }, [
      [-4, 1, 1],
      [6, 1, 1],
    ]);
    const r1 = weigh({ c: 0.5, rescale: 1 }, [
      [-4, 1, 1],
      [6, 1, 1],
    ]);
    const r2 = weigh({ c: 0.5, rescale: 2 }, [
      [-4, 1, 1],
      [6, 1, 1],
    ]);
    expect(r1[0]).toBeCloseTo(base[0]! / 1.25, 12);
    expect(r2[1]).toBeCloseTo(base[1]! / 1.5, 12);
  });

  test.prop([matrixArb({ rows: { min: 2, max: 5 }, cols: { min: 1, max: 5 } })], { numRuns: 40 })(
    'c ≥ 1 never conflicts',
    (m) => {
      const rows = rowsOf(m.data, m.rows, m.cols);
      const d = combineRows(rows, weigh({ c: 1.2 }, rows));
      // Rounding of d = Σ w_k g_k is relative to max‖g‖ (d itself may cancel to ~0).
      const gMaxSq = Math.max(...rows.map((r) => dot(r, r)));
      for (const r of rows) expect(dot(r, d)).toBeGreaterThanOrEqual(-1e-9 * gMaxSq);
    },
  );

  test('CAGrad-Fast: unsampled tasks keep 1/K, draws are reproducible, m ≥ K is plain CAGrad', () => {
    const rows = [
      [1, 0, 0],
      [0, 1, 0],
      [-1, -0.5, 1],
      [0.3, -1, 0.2],
    ];
    const full = weigh({}, rows);
    expect(Array.from(weigh({ subsample: 4 }, rows))).toEqual(Array.from(full));
    const a = weigh({ subsample: 2 }, rows, 3);
    expect(Array.from(weigh({ subsample: 2 }, rows, 3))).toEqual(Array.from(a));
    expect(a.filter((v) => v === 0.25).length).toBe(2);
  });

  test('c ≥ 1 on a Pareto-stationary point: the optimum is g_w = 0 and d = 0, as torchjd', () => {
    const rows = [
      [1, 0],
      [-2, 0],
    ];
    expect(Array.from(weigh({ c: 2 }, rows))).toEqual([0, 0]);
    // c < 1 on the same point: the dual optimum is the vertex e₁ (F(e₁) < 0 = F(g_w = 0)).
    const w = weigh({ c: 0.5 }, rows);
    expect(w[0]).toBeCloseTo(0.5 + (0.5 * 0.5) / 1, 12);
    expect(w[1]).toBe(0.5);
    expect(() => cagradWeighting({ c: -1 })).toThrow('cagrad: option `c` must be ≥ 0, got -1');
  });
});
