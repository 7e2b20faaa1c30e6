import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { psdArb } from '../testing/arbitraries.js';
import { matVec, quadForm, vecSum } from './matrix.js';
import { minNormFrankWolfe, minNormSimplex, minNormTwoPoint, projectSimplex } from './simplex.js';

const vecArb = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
  minLength: 1,
  maxLength: 9,
});

describe('projectSimplex', () => {
  test('hand cases', () => {
    expect(Array.from(projectSimplex([0.5, 0.5]))).toEqual([0.5, 0.5]);
    expect(Array.from(projectSimplex([2, 0]))).toEqual([1, 0]);
    expect(Array.from(projectSimplex([1, 1, 1], 3))).toEqual([1, 1, 1]);
    const p = projectSimplex([0.3, -0.5, 0.2]);
    expect(p[0]).toBeCloseTo(0.55, 15);
    expect(p[1]).toBe(0);
    expect(p[2]).toBeCloseTo(0.45, 15);
  });

  test.prop([vecArb, fc.double({ min: 0.1, max: 3, noNaN: true })])(
    'lands on the simplex, is idempotent and satisfies the projection inequality',
    (xs, s) => {
      const p = projectSimplex(xs, s);
      expect(p.every((v) => v >= 0)).toBe(true);
      expect(vecSum(p)).toBeCloseTo(s, 10);
      const pp = projectSimplex(p, s);
      for (let i = 0; i < p.length; i++) expect(pp[i]).toBeCloseTo(p[i]!, 12);
      // ⟨x − p, y − p⟩ ≤ 0 for every vertex y = s·e_j of the set.
      for (let j = 0; j < p.length; j++) {
        let ip = 0;
        for (let i = 0; i < p.length; i++) ip += (xs[i]! - p[i]!) * ((i === j ? s : 0) - p[i]!);
        expect(ip).toBeLessThanOrEqual(1e-9);
      }
    },
  );
});

/** MGDA certificate: (Gw)_i ≥ wᵀGw for all i, with equality where w_i > 0. */
function kktViolation(g: ArrayLike<number>, w: Float64Array, k: number): number {
  const gw = matVec(g, w, k);
  const q = quadForm(g, w, k);
  let worst = 0;
  for (let i = 0; i < k; i++) {
    worst = Math.max(worst, q - gw[i]!);
    if (w[i]! > 1e-9) worst = Math.max(worst, Math.abs(gw[i]! - q));
  }
  return worst;
}

describe('minNormSimplex (exact active set)', () => {
  test('golden Gramian [[18,−22],[−22,38]] → w = [0.6, 0.4], ‖d‖² = 2', () => {
    const r = minNormSimplex([18, -22, -22, 38], 2);
    expect(r.weights[0]).toBeCloseTo(0.6, 14);
    expect(r.weights[1]).toBeCloseTo(0.4, 14);
    expect(r.normSquared).toBeCloseTo(2, 12);
    expect(r.status.converged).toBe(true);
  });

  test('opposite gradients give the zero point; a dominated one is dropped', () => {
    // g1 = (1, 0), g2 = (−2, 0): min-norm point 0 at w = (2/3, 1/3).
    const r = minNormSimplex([1, -2, -2, 4], 2);
    expect(r.normSquared).toBeCloseTo(0, 12);
    expect(r.weights[0]).toBeCloseTo(2 / 3, 12);
    // g1 = (1, 0), g2 = (1, 1), g3 = (2, 2): w = e1.
    const s = minNormSimplex([1, 1, 2, 1, 2, 4, 2, 4, 8], 3);
    expect(Array.from(s.weights).map((v) => Math.round(v * 1e12) / 1e12)).toEqual([1, 0, 0]);
  });

  test.prop([psdArb({ n: { min: 1, max: 8 }, rank: 'full' })], { numRuns: 60 })(
    'KKT on full-rank Gramians',
    (g) => {
      const r = minNormSimplex(g.data, g.rows);
      expect(r.status.converged).toBe(true);
      expect(vecSum(r.weights)).toBeCloseTo(1, 12);
      expect(r.weights.every((v) => v >= 0)).toBe(true);
      expect(kktViolation(g.data, r.weights, g.rows)).toBeLessThan(1e-10);
    },
  );

  test.prop([psdArb({ n: { min: 2, max: 8 }, rank: 2 })], { numRuns: 60 })(
    'KKT on rank-2 (singular) Gramians',
    (g) => {
      const r = minNormSimplex(g.data, g.rows);
      expect(r.status.converged).toBe(true);
      expect(kktViolation(g.data, r.weights, g.rows)).toBeLessThan(1e-10);
    },
  );
});

describe('minNormFrankWolfe (LibMTL MinNormSolver)', () => {
  test('two-point rule with LibMTL clamps', () => {
    expect(minNormTwoPoint(18, -22, 38).gamma).toBeCloseTo(0.6, 15);
    expect(minNormTwoPoint(1, 2, 5)).toEqual({ gamma: 0.999, cost: 1 });
    expect(minNormTwoPoint(5, 2, 1)).toEqual({ gamma: 0.001, cost: 1 });
  });

  test.prop([psdArb({ n: { min: 3, max: 6 }, rank: 'full' })], { numRuns: 40 })(
    'reaches the exact min norm to LibMTL accuracy',
    (g) => {
      const fw = minNormFrankWolfe(g.data, g.rows, { maxIter: 2000, tol: 1e-9 });
      const ex = minNormSimplex(g.data, g.rows);
      expect(vecSum(fw.weights)).toBeCloseTo(1, 10);
      expect(fw.normSquared - ex.normSquared).toBeLessThan(1e-4 * Math.max(1, ex.normSquared));
      expect(fw.normSquared).toBeGreaterThanOrEqual(ex.normSquared - 1e-10);
    },
  );

  test('flags the iteration cap instead of returning nothing', () => {
    const g = [3, 1, 0.5, 1, 2, 0.2, 0.5, 0.2, 1];
    const r = minNormFrankWolfe(g, 3, { maxIter: 1, tol: 1e-15 });
    expect(r.status.converged).toBe(false);
    expect(r.status.iterations).toBe(1);
    expect(Number.isFinite(r.status.residual)).toBe(true);
  });
});
