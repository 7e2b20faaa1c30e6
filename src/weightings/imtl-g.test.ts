import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matVec } from '../linalg/matrix.js';
import { matrixArb } from '../testing/arbitraries.js';
import { gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { imtlGWeighting } from './imtl-g.js';
import { configWeighting } from './config.js';

/** ⟨g_i, d⟩/‖g_i‖ for d = Jᵀw. */
function projections(g: { k: number; data: Float64Array }, w: Float64Array): number[] {
  const gw = matVec(g.data, w, g.k);
  return Array.from(gw, (v, i) => v / Math.sqrt(g.data[i * g.k + i]!));
}

describe('impartial weightings: equal projections onto the unit task gradients', () => {
  test.prop([matrixArb({ rows: { min: 1, max: 5 }, cols: 6 })], { numRuns: 60 })(
    'IMTL-G (full row rank): Σw = 1 and equal projections',
    (m) => {
      const g = gramianOf(rowsOf(m.data, m.rows, m.cols));
      const w = imtlGWeighting().weigh(g, {}, stepContext({ numTasks: g.k })).weights;
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      const p = projections(g, w);
      for (const v of p) expect(v).toBeCloseTo(p[0]!, 7);
    },
  );

  test.prop([matrixArb({ rows: { min: 1, max: 5 }, cols: 6 })], { numRuns: 60 })(
    'ConFIG (full row rank): equal positive cosines, length = Σ⟨g_i, b̂⟩',
    (m) => {
      const g = gramianOf(rowsOf(m.data, m.rows, m.cols));
      const w = configWeighting().weigh(g, {}, stepContext({ numTasks: g.k })).weights;
      const p = projections(g, w);
      for (const v of p) {
        expect(v).toBeGreaterThan(0);
        expect(v).toBeCloseTo(p[0]!, 6);
      }
    },
  );

  test('K = 1 gives w = 1 for both; zero rows contribute nothing to ConFIG', () => {
    expect(
      Array.from(
        imtlGWeighting().weigh(gramianOf([[3, 4]]), {}, stepContext({ numTasks: 1 })).weights,
      ),
    ).toEqual([1]);
    const c1 = configWeighting().weigh(
      gramianOf([[3, 4]]),
      {},
      stepContext({ numTasks: 1 }),
    ).weights;
    expect(c1[0]).toBeCloseTo(1, 12);
    const c2 = configWeighting().weigh(
      gramianOf([
        [3, 4],
        [0, 0],
      ]),
      {},
      stepContext({ numTasks: 2 }),
    ).weights;
    expect(c2[0]).toBeCloseTo(1, 12);
    expect(c2[1]).toBe(0);
  });
});
