import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matrixArb, psdArb } from '../testing/arbitraries.js';
import { eigh, numericalRank, rankTolerance, spectralFunction } from './eigen.js';
import { identityMatrix, matMul, maxAbs, symmetrize, transpose } from './matrix.js';
import { ShapeError, SolverError } from '../core/errors.js';

const symArb = matrixArb({ rows: { min: 1, max: 7 }, cols: { min: 1, max: 7 } }).map((m) => {
  const n = Math.min(m.rows, m.cols);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = m.data[i * m.cols + j]!;
  return { n, a: symmetrize(a, n) };
});

describe('eigh', () => {
  test('hand-derived 2×2: G = [[18,−22],[−22,38]] has λ = 28 ± √584', () => {
    const e = eigh([18, -22, -22, 38], 2);
    expect(e.values[0]).toBeCloseTo(28 + Math.sqrt(584), 12);
    expect(e.values[1]).toBeCloseTo(28 - Math.sqrt(584), 12);
    expect(e.status.converged).toBe(true);
  });

  test('diagonal and repeated eigenvalues', () => {
    const e = eigh([2, 0, 0, 0, 5, 0, 0, 0, 2], 3);
    expect(Array.from(e.values)).toEqual([5, 2, 2]);
    const i = eigh(identityMatrix(4), 4);
    expect(Array.from(i.values)).toEqual([1, 1, 1, 1]);
    expect(eigh(new Float64Array(9), 3).values.every((v) => v === 0)).toBe(true);
  });

  test.prop([symArb], { numRuns: 60 })(
    'reconstructs A = VΛVᵀ with V orthonormal, sorted',
    ({ n, a }) => {
      const e = eigh(a, n);
      const lv = new Float64Array(n * n);
      for (let i = 0; i < n; i++)
        for (let k = 0; k < n; k++) lv[i * n + k] = e.vectors[i * n + k]! * e.values[k]!;
      const rec = matMul(lv, transpose(e.vectors, n, n), n, n, n);
      expect(maxAbs(rec.map((v, i) => v - a[i]!))).toBeLessThan(1e-12);
      const vtv = matMul(transpose(e.vectors, n, n), e.vectors, n, n, n);
      expect(maxAbs(vtv.map((v, i) => v - identityMatrix(n)[i]!))).toBeLessThan(1e-12);
      for (let k = 1; k < n; k++) expect(e.values[k]!).toBeLessThanOrEqual(e.values[k - 1]!);
    },
  );

  test.prop([psdArb({ n: { min: 2, max: 6 }, rank: 1 })], { numRuns: 40 })(
    'numericalRank finds the rank of a rank-1 Gramian',
    (g) => {
      const e = eigh(g.data, g.rows);
      expect(numericalRank(e.values)).toBe(1);
      expect(rankTolerance(e.values)).toBeCloseTo(e.values[0]! * g.rows * 1.1920929e-7, 18);
    },
  );

  test('spectralFunction with sqrt squares back to A', () => {
    const a = [4, 1, 1, 3];
    const s = spectralFunction(eigh(a, 2), Math.sqrt);
    const back = matMul(s, s, 2, 2, 2);
    expect(maxAbs(back.map((v, i) => v - a[i]!))).toBeLessThan(1e-13);
  });

  test('errors: wrong size is a ShapeError, NaN a SolverError', () => {
    expect(() => eigh([1, 2, 3], 2)).toThrow(ShapeError);
    expect(() => eigh([1, Number.NaN, Number.NaN, 1], 2)).toThrow(SolverError);
    expect(() => eigh([1, 2, 3], 2)).toThrow(/eigh: expected a 2×2 matrix/);
  });
});
