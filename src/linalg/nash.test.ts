import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { psdArb } from '../testing/arbitraries.js';
import { matVec, regularize } from './matrix.js';
import { nashSolve } from './nash.js';

function maxRelResidual(g: ArrayLike<number>, w: Float64Array): number {
  const gw = matVec(g, w, w.length);
  let m = 0;
  for (let i = 0; i < w.length; i++) m = Math.max(m, Math.abs(gw[i]! * w[i]! - 1));
  return m;
}

describe('nashSolve', () => {
  test('golden Gramian: Gw = 1/w, and Jᵀw/‖Jᵀw‖ is torchjd NashMTL [0.0542, 0.7061, 0.7061]', () => {
    const r = nashSolve([18, -22, -22, 38], 2);
    expect(r.status.converged).toBe(true);
    expect(maxRelResidual([18, -22, -22, 38], r.weights)).toBeLessThan(1e-12);
    const [a, b] = [r.weights[0]!, r.weights[1]!];
    const d = [-4 * a + 6 * b, a + b, a + b];
    const n = Math.hypot(...d);
    expect(d[0]! / n).toBeCloseTo(0.0542, 4);
    expect(d[1]! / n).toBeCloseTo(0.7061, 4);
  });

  test('K = 1: w = 1/‖g‖', () => {
    const r = nashSolve([9], 1);
    expect(r.weights[0]).toBeCloseTo(1 / 3, 14);
  });

  test.prop([psdArb({ n: { min: 1, max: 8 } })], { numRuns: 60 })(
    'solves Gw = 1/w on full-rank Gramians',
    (g) => {
      const r = nashSolve(regularize(g.data, g.rows, 1e-3), g.rows);
      expect(r.status.converged).toBe(true);
      expect(r.weights.every((v) => v > 0)).toBe(true);
      expect(maxRelResidual(regularize(g.data, g.rows, 1e-3), r.weights)).toBeLessThan(1e-8);
    },
  );

  test.prop([psdArb({ n: { min: 2, max: 6 } }), fc.double({ min: 1e-6, max: 1e6, noNaN: true })], {
    numRuns: 40,
  })(
    'scale: the solution for λG is w/√λ; a warm start converges to the same point',
    (g, lambda) => {
      const base = nashSolve(g.data, g.rows);
      const scaled = nashSolve(
        g.data.map((v) => v * lambda),
        g.rows,
      );
      const warm = nashSolve(g.data, g.rows, { initial: base.weights.map((v) => v * 1.3) });
      for (let i = 0; i < g.rows; i++) {
        const w = base.weights[i]!;
        expect(Math.abs(scaled.weights[i]! * Math.sqrt(lambda) - w)).toBeLessThan(1e-8 * w);
        expect(Math.abs(warm.weights[i]! - w)).toBeLessThan(1e-9 * w);
      }
    },
  );

  test('no solution: opposite gradients and a zero gradient report non-convergence', () => {
    expect(nashSolve([1, -1, -1, 1], 2).status.converged).toBe(false);
    expect(nashSolve([1, 0, 0, 0], 2).status.converged).toBe(false);
    expect(nashSolve([0, 0, 0, 0], 2).status.converged).toBe(false);
  });
});
