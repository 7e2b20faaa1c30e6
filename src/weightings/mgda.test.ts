import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { NumericalError } from '../core/errors.js';
import { matVec, quadForm } from '../linalg/matrix.js';
import { matrixArb } from '../testing/arbitraries.js';
import { gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { mgdaWeighting } from './mgda.js';

const weigh = (o: Parameters<typeof mgdaWeighting>[0], rows: number[][], losses?: number[]) =>
  mgdaWeighting(o).weigh(
    gramianOf(rows),
    {},
    stepContext({ numTasks: rows.length, ...(losses ? { losses } : {}) }),
  );

describe('mgda weighting', () => {
  test.prop([matrixArb({ rows: { min: 1, max: 6 }, cols: { min: 1, max: 8 } })], { numRuns: 60 })(
    'KKT certificate: (Gw)_k ≥ wᵀGw with equality on the support, Σw = 1, w ≥ 0',
    (m) => {
      const g = gramianOf(rowsOf(m.data, m.rows, m.cols));
      const w = mgdaWeighting().weigh(g, {}, stepContext({ numTasks: g.k })).weights;
      const gw = matVec(g.data, w, g.k);
      const q = quadForm(g.data, w, g.k);
      const tol =
        1e-9 *
        Math.max(
          1,
          g.data.reduce((a, b) => Math.max(a, Math.abs(b)), 0),
        );
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let i = 0; i < g.k; i++) {
        expect(w[i]!).toBeGreaterThanOrEqual(0);
        expect(gw[i]!).toBeGreaterThanOrEqual(q - tol);
        if (w[i]! > 1e-9) expect(Math.abs(gw[i]! - q)).toBeLessThan(tol);
      }
    },
  );

  test('normalisations on orthogonal g₁ = (1, 0), g₂ = (0, 2) (hand-derived)', () => {
    const rows = [
      [1, 0],
      [0, 2],
    ];
    const close = (a: Float64Array, b: number[]) =>
      b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 12));
    close(weigh({}, rows).weights, [0.8, 0.2]);
    close(weigh({ normalization: 'l2' }, rows).weights, [0.5, 0.25]);
    close(weigh({ normalization: 'loss' }, rows, [2, 1]).weights, [8 / 17, 1 / 17]);
    close(weigh({ normalization: 'loss+' }, rows, [2, 1]).weights, [0.4, 0.1]);
  });

  test('exactly opposite gradients give d = 0; identical ones give d = g', () => {
    const w = weigh({}, [
      [1, 2],
      [-2, -4],
    ]).weights;
    expect(w[0]! * 1 + w[1]! * -2).toBeCloseTo(0, 12);
    expect(
      Array.from(
        weigh({}, [
          [1, 1],
          [1, 1],
        ]).weights,
      ).reduce((a, b) => a + b),
    ).toBeCloseTo(1, 14);
  });

  test('frank-wolfe (LibMTL) agrees with the exact solver', () => {
    const rows = [
      [1, 0.2, 0],
      [-0.3, 1, 0.1],
      [0.2, -0.4, 1],
    ];
    const a = weigh({}, rows);
    const b = weigh({ solver: 'frank-wolfe' }, rows);
    const g = gramianOf(rows);
    expect(quadForm(g.data, b.weights, 3)).toBeCloseTo(quadForm(g.data, a.weights, 3), 4);
  });

  test('loss normalisation needs positive losses', () => {
    expect(() => weigh({ normalization: 'loss' }, [[1], [2]], [1, 0])).toThrow(NumericalError);
    expect(() => weigh({ normalization: 'loss' }, [[1], [2]], [1, 0])).toThrow(
      /mgda: normalization 'loss' needs a finite positive loss.*task 't1'/,
    );
  });

  test('options are validated at factory time', () => {
    expect(() => mgdaWeighting({ normalization: 'max' as 'l2' })).toThrow(
      /mgda: option `normalization` must be one of/,
    );
  });
});
