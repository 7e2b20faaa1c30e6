import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matrixArb, psdArb } from '../testing/arbitraries.js';
import { matTVec, matVec, maxAbs, normalizeTrace, regularize, vecSum } from './matrix.js';
import { nnls, solveQp } from './qp.js';
import { SolverError } from '../core/errors.js';

/** KKT of min ½xᵀHx + qᵀx, x ≥ l (and 1ᵀx = s): g = Hx + q = ν·1 + μ, μ ≥ 0, μ ⊥ (x − l). */
function kkt(
  h: ArrayLike<number>,
  q: ArrayLike<number>,
  l: ArrayLike<number>,
  x: Float64Array,
  nu: number,
): number {
  const n = x.length;
  const g = matVec(h, x, n);
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const mu = g[i]! + q[i]! - nu;
    worst = Math.max(worst, l[i]! - x[i]!, -mu);
    if (x[i]! - l[i]! > 1e-9) worst = Math.max(worst, Math.abs(mu));
  }
  return worst;
}

const lowerArb = (n: number) =>
  fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n });

describe('solveQp', () => {
  test('UPGrad and DualProj projections of the golden Gramian (REFERENCES §5)', () => {
    const g = regularize(normalizeTrace([18, -22, -22, 38], 2, 1e-4), 2, 1e-4);
    const v1 = solveQp(g, 2, [0, 0], [0.5, 0]).x;
    const v2 = solveQp(g, 2, [0, 0], [0, 0.5]).x;
    expect(v1[0]! + v2[0]!).toBeCloseTo(1.11092, 5);
    expect(v1[1]! + v2[1]!).toBeCloseTo(0.78943, 5);
    const dp = solveQp(g, 2, [0, 0], [0.5, 0.5]).x;
    expect(dp[0]).toBeCloseTo(0.61092, 5);
    expect(dp[1]).toBe(0.5);
  });

  test.prop(
    [
      fc.integer({ min: 1, max: 5 }).chain((rank) => psdArb({ n: 5, rank })),
      lowerArb(5),
      fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 5, maxLength: 5 }),
    ],
    { numRuns: 60 },
  )('KKT with lower bounds (regularised H)', (g, l, q) => {
    const h = regularize(g.data, 5, 1e-3);
    const r = solveQp(h, 5, q, l);
    expect(r.status.converged).toBe(true);
    expect(kkt(h, q, l, r.x, 0)).toBeLessThan(1e-9);
  });

  test.prop(
    [psdArb({ n: { min: 2, max: 7 }, rank: 2 }), fc.double({ min: 0.5, max: 3, noNaN: true })],
    { numRuns: 60 },
  )('KKT with a sum constraint on singular H', (g, s) => {
    const n = g.rows;
    const l = new Float64Array(n);
    const q = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
    const r = solveQp(g.data, n, q, l, { sumTo: s });
    expect(r.status.converged).toBe(true);
    expect(vecSum(r.x)).toBeCloseTo(s, 10);
    expect(kkt(g.data, q, l, r.x, r.nu)).toBeLessThan(1e-8 * Math.max(1, maxAbs(g.data)));
  });

  test('warm start gives the same answer', () => {
    const h = [2, 1, 0, 1, 2, 1, 0, 1, 2];
    const q = [-1, 1, -2];
    const a = solveQp(h, 3, q, [0, 0, 0], { sumTo: 1 });
    const b = solveQp(h, 3, q, [0, 0, 0], { sumTo: 1, initial: [0.2, 0.5, 0.3] });
    expect(maxAbs(a.x.map((v, i) => v - b.x[i]!))).toBeLessThan(1e-12);
  });

  test('infeasible and unbounded problems throw SolverError', () => {
    expect(() => solveQp([1, 0, 0, 1], 2, [0, 0], [1, 1], { sumTo: 1 })).toThrow(
      /solveQp: infeasible/,
    );
    expect(() => solveQp([0], 1, [-1], [0])).toThrow(SolverError);
    expect(() => solveQp([0], 1, [-1], [0])).toThrow(/unbounded/);
  });

  test('reports a non-converged status when the cap is hit', () => {
    const r = solveQp([2, 1, 0, 1, 2, 1, 0, 1, 2], 3, [-5, -5, -5], [0, 0, 0], { maxIter: 1 });
    expect(r.status.converged).toBe(false);
  });
});

describe('nnls', () => {
  test('hand case: A = I, b = (1, −1) → x = (1, 0)', () => {
    const r = nnls([1, 0, 0, 1], 2, 2, [1, -1]);
    expect(Array.from(r.x)).toEqual([1, 0]);
  });

  test.prop(
    [
      matrixArb({ rows: { min: 2, max: 7 }, cols: { min: 1, max: 5 } }),
      fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 7, maxLength: 7 }),
    ],
    { numRuns: 60 },
  )('KKT: x ≥ 0, Aᵀ(Ax − b) ≥ 0, complementary', (a, bAll) => {
    const b = bAll.slice(0, a.rows);
    const r = nnls(a.data, a.rows, a.cols, b);
    expect(r.status.converged).toBe(true);
    const res = matVec(a.data, r.x, a.rows, a.cols).map((v, i) => v - b[i]!);
    const grad = matTVec(a.data, res, a.rows, a.cols);
    for (let j = 0; j < a.cols; j++) {
      expect(r.x[j]!).toBeGreaterThanOrEqual(0);
      expect(grad[j]!).toBeGreaterThanOrEqual(-1e-9);
      if (r.x[j]! > 1e-9) expect(Math.abs(grad[j]!)).toBeLessThan(1e-9);
    }
  });
});
