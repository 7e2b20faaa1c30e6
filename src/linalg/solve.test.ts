import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matrixArb, psdArb } from '../testing/arbitraries.js';
import { cholesky, choleskySolve, pinv, pinvSymmetric, solve } from './solve.js';
import { matMul, matVec, maxAbs, regularize, transpose } from './matrix.js';
import { ShapeError, SolverError } from '../core/errors.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('cholesky / solve', () => {
  test('hand case: [[4,2],[2,3]] = LLᵀ with L = [[2,0],[1,√2]]', () => {
    const l = cholesky([4, 2, 2, 3], 2);
    expect(close(l, [2, 0, 1, Math.SQRT2])).toBeLessThan(1e-15);
    expect(close(choleskySolve(l, 2, [2, 1]), [0.5, 0])).toBeLessThan(1e-15);
  });

  test.prop([psdArb({ n: { min: 1, max: 6 } })], { numRuns: 50 })('solves SPD systems', (g) => {
    const n = g.rows;
    const a = regularize(g.data, n, 0.1);
    const x = Float64Array.from({ length: n }, (_, i) => i - 1.5);
    const b = matVec(a, x, n);
    expect(close(choleskySolve(cholesky(a, n), n, b), x)).toBeLessThan(1e-10);
    expect(close(solve(a, n, b), x)).toBeLessThan(1e-10);
  });

  test('LU needs pivoting: [[0,1],[1,0]]', () => {
    expect(Array.from(solve([0, 1, 1, 0], 2, [3, 4]))).toEqual([4, 3]);
  });

  test('errors name the function and the fix', () => {
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow(SolverError);
    expect(() => cholesky([1, 2, 2, 1], 2)).toThrow(
      /cholesky: matrix is not positive definite.*pinvSymmetric/,
    );
    expect(() => solve([1, 2, 2, 4], 2, [1, 1])).toThrow(/solve: matrix is singular.*pinv/);
    expect(() => solve([1, 2, 2, 4], 2, [1])).toThrow(ShapeError);
    expect(() => pinv([1, 2, 3], 2, 2)).toThrow(ShapeError);
  });
});

describe('pseudo-inverses satisfy the Moore–Penrose conditions', () => {
  const penrose = (a: Float64Array, p: Float64Array, m: number, n: number): number => {
    const ap = matMul(a, p, m, n, m);
    const pa = matMul(p, a, n, m, n);
    const c1 = close(matMul(ap, a, m, m, n), a);
    const c2 = close(matMul(pa, p, n, n, m), p);
    const c3 = close(ap, transpose(ap, m, m));
    const c4 = close(pa, transpose(pa, n, n));
    return Math.max(c1, c2 / Math.max(1, maxAbs(p)), c3, c4);
  };

  test.prop([matrixArb({ rows: { min: 1, max: 5 }, cols: { min: 1, max: 7 }, rank: 2 })], {
    numRuns: 60,
  })('pinv on rank-2 rectangular matrices', (a) => {
    expect(penrose(a.data, pinv(a.data, a.rows, a.cols), a.rows, a.cols)).toBeLessThan(1e-9);
  });

  test.prop([psdArb({ n: { min: 1, max: 6 }, rank: 2 })], { numRuns: 60 })(
    'pinvSymmetric on rank-2 Gramians',
    (g) => {
      expect(penrose(g.data, pinvSymmetric(g.data, g.rows), g.rows, g.rows)).toBeLessThan(1e-9);
    },
  );

  test('pinv of the golden Gramian is its inverse', () => {
    expect(close(pinvSymmetric([18, -22, -22, 38], 2), [0.19, 0.11, 0.11, 0.09])).toBeLessThan(
      1e-14,
    );
    expect(Array.from(pinvSymmetric([0, 0, 0, 0], 2))).toEqual([0, 0, 0, 0]);
  });
});
