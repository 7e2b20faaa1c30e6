import { describe, expect, it } from 'vitest';
import { solveIneqQp } from './ineq-qp.js';
import { minNormSimplex } from './simplex.js';

describe('solveIneqQp', () => {
  it('matches the active-set min-norm solver on the simplex (bounds + sum)', () => {
    const g = [18, -22, -22, 38];
    const r = solveIneqQp(g, 2, [0, 0], { a: [-1, 0, 0, -1], b: [0, 0], e: [1, 1], f: [1] });
    expect(r.status.converged).toBe(true);
    const ref = minNormSimplex(g, 2).weights;
    expect(r.x[0]).toBeCloseTo(ref[0]!, 8);
    expect(r.x[0]).toBeCloseTo(0.6, 8);
  });

  it('satisfies the KKT conditions with a general inequality (FORUM-shaped problem)', () => {
    // Variables (u₁, u₂, u₃, ν): min wᵀMw − c·ν, Σu = 1, u ≥ 0, ν ≥ 0, ν ≥ πᵀu.
    const mm = [
      [3, 1, -1, 0.5],
      [1, 2, 0.3, -0.2],
      [-1, 0.3, 2.5, 0.1],
      [0.5, -0.2, 0.1, 1.5],
    ];
    const h = mm.flat().map((v) => 2 * v);
    const q = [0, 0, 0, -0.8];
    const pi = [0.4, -0.3, 0.9];
    const a = [
      [-1, 0, 0, 0],
      [0, -1, 0, 0],
      [0, 0, -1, 0],
      [0, 0, 0, -1],
      [pi[0]!, pi[1]!, pi[2]!, -1],
    ];
    const r = solveIneqQp(h, 4, q, { a: a.flat(), b: [0, 0, 0, 0, 0], e: [1, 1, 1, 0], f: [1] });
    expect(r.status.converged).toBe(true);
    const x = r.x;
    // Primal feasibility.
    expect(x[0]! + x[1]! + x[2]!).toBeCloseTo(1, 9);
    a.forEach((row) => expect(row.reduce((s, v, i) => s + v * x[i]!, 0)).toBeLessThan(1e-9));
    // Stationarity Hx + q + Aᵀz + Eᵀy = 0, dual feasibility and complementarity.
    for (let i = 0; i < 4; i++) {
      let v = q[i]!;
      for (let j = 0; j < 4; j++) v += h[i * 4 + j]! * x[j]!;
      a.forEach((row, k) => (v += row[i]! * r.z[k]!));
      if (i < 3) v += r.y[0]!;
      expect(Math.abs(v)).toBeLessThan(1e-8);
    }
    a.forEach((row, k) => {
      expect(r.z[k]).toBeGreaterThanOrEqual(0);
      expect(Math.abs(r.z[k]! * row.reduce((s, v, i) => s + v * x[i]!, 0))).toBeLessThan(1e-9);
    });
  });
});
