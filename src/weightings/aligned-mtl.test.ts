import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { eigh } from '../linalg/eigen.js';
import { matMul } from '../linalg/matrix.js';
import { matrixArb } from '../testing/arbitraries.js';
import { gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { alignedMtlWeighting, balanceTransformation } from './aligned-mtl.js';

describe('aligned-mtl', () => {
  test.prop([matrixArb({ rows: { min: 1, max: 6 }, cols: { min: 1, max: 6 } })], { numRuns: 60 })(
    'the aligned system BJ has all non-zero singular values equal to √λ_R (B·G·B = λ_R·P)',
    (m) => {
      const g = gramianOf(rowsOf(m.data, m.rows, m.cols));
      const k = g.k;
      const t = balanceTransformation(g.data, k, 'min');
      const bgb = matMul(matMul(t.b, g.data, k, k, k), t.b, k, k, k);
      const ev = eigh(bgb, k).values;
      expect(t.rank).toBe(Math.min(m.rows, m.cols));
      for (let i = 0; i < k; i++) {
        expect(ev[i]).toBeCloseTo(i < t.rank ? t.lambdaR : 0, 8);
      }
    },
  );

  test('scale modes pick the min, lower median or mean kept eigenvalue', () => {
    const g = gramianOf([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 3],
    ]);
    expect(balanceTransformation(g.data, 3, 'min').lambdaR).toBeCloseTo(1, 12);
    expect(balanceTransformation(g.data, 3, 'median').lambdaR).toBeCloseTo(4, 12);
    expect(balanceTransformation(g.data, 3, 'rmse').lambdaR).toBeCloseTo(14 / 3, 12);
    // Orthogonal gradients: B = √λ_min·diag(1/‖g_i‖), w = B·(1/K).
    const w = alignedMtlWeighting().weigh(g, {}, stepContext({ numTasks: 3 })).weights;
    expect(w[2]).toBeCloseTo(1 / 9, 12);
  });

  test('a zero Gramian gives zero weights', () => {
    const w = alignedMtlWeighting().weigh(
      { k: 2, data: new Float64Array(4) },
      {},
      stepContext({ numTasks: 2 }),
    );
    expect(Array.from(w.weights)).toEqual([0, 0]);
  });
});
