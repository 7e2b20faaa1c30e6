import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { psdArb, simplexPointArb } from '../testing/arbitraries.js';
import { cagradDual } from './cagrad.js';
import { matVec, quadForm, vecSum } from './matrix.js';

/** The CAGrad dual objective bᵀw + c‖g₀‖·√(wᵀGw). */
function objective(g: ArrayLike<number>, k: number, c: number, w: ArrayLike<number>): number {
  const ones = new Float64Array(k).fill(1 / k);
  const b = matVec(g, ones, k);
  let bw = 0;
  for (let i = 0; i < k; i++) bw += b[i]! * w[i]!;
  return (
    bw +
    c * Math.sqrt(Math.max(0, quadForm(g, ones, k))) * Math.sqrt(Math.max(0, quadForm(g, w, k)))
  );
}

describe('cagradDual', () => {
  test('golden Gramian, c = 0.5: w = e₁ (torchjd weights 1/K + c‖g₀‖/‖g_w‖·w = [0.7041, 0.5])', () => {
    const r = cagradDual([18, -22, -22, 38], 2, 0.5);
    expect(Array.from(r.weights)).toEqual([1, 0]);
    expect(r.g0Norm).toBeCloseTo(Math.sqrt(3), 14);
    expect(0.5 + (0.5 * r.g0Norm) / r.gwNorm).toBeCloseTo(0.70412, 5);
    expect(r.status.converged).toBe(true);
  });

  test('c = 0 picks the best vertex; a zero Gramian is returned as uniform weights', () => {
    expect(Array.from(cagradDual([1, 0, 0, 4], 2, 0).weights)).toEqual([1, 0]);
    expect(Array.from(cagradDual([0, 0, 0, 0], 2, 0.5).weights)).toEqual([0.5, 0.5]);
  });

  test('a dominated conflicting task: g₁ = (1,0), g₂ = (−2,0), c = 0.5 → w = e₁', () => {
    const r = cagradDual([1, -2, -2, 4], 2, 0.5);
    expect(r.weights[0]).toBeCloseTo(1, 10);
  });

  test.prop([psdArb({ n: { min: 2, max: 6 } }), simplexPointArb(6)], { numRuns: 60 })(
    'no simplex point has a lower objective (c = 0.5, full rank)',
    (g, p) => {
      const k = g.rows;
      const w = p.slice(0, k);
      const s = vecSum(w);
      const probe = s > 0 ? w.map((v) => v / s) : new Float64Array(k).fill(1 / k);
      const r = cagradDual(g.data, k, 0.5);
      expect(r.status.converged).toBe(true);
      expect(vecSum(r.weights)).toBeCloseTo(1, 10);
      expect(objective(g.data, k, 0.5, r.weights)).toBeLessThanOrEqual(
        objective(g.data, k, 0.5, probe) + 1e-9,
      );
    },
  );

  test.prop([psdArb({ n: 3, rank: 1 })], { numRuns: 40 })(
    'grid check on rank-1 Gramians (c = 2)',
    (g) => {
      const r = cagradDual(g.data, 3, 2);
      const best = objective(g.data, 3, 2, r.weights);
      for (let a = 0; a <= 20; a++) {
        for (let b = 0; a + b <= 20; b++) {
          const w = [a / 20, b / 20, (20 - a - b) / 20];
          expect(best).toBeLessThanOrEqual(objective(g.data, 3, 2, w) + 1e-9);
        }
      }
    },
  );
});
