import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matVec, quadForm } from '../linalg/matrix.js';
import { matrixArb } from '../testing/arbitraries.js';
import { gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { nashMtlWeighting } from './nash-mtl.js';

describe('nash-mtl weighting', () => {
  test.prop([matrixArb({ rows: { min: 1, max: 5 }, cols: 6 })], { numRuns: 60 })(
    'certificate without clipping: Gw = 1/w, w > 0',
    (m) => {
      const g = gramianOf(rowsOf(m.data, m.rows, m.cols));
      const nw = nashMtlWeighting({ maxNorm: 0 });
      const r = nw.weigh(g, nw.init(g.k), stepContext({ numTasks: g.k }));
      const gw = matVec(g.data, r.weights, g.k);
      r.weights.forEach((w, i) => {
        expect(w).toBeGreaterThan(0);
        expect(gw[i]! * w).toBeCloseTo(1, 8);
      });
      expect(r.warnings).toEqual([]);
    },
  );

  test('default clip: ‖d‖ = min(√K, maxNorm); K = 1 gives d = g/‖g‖', () => {
    const g = gramianOf([
      [-4, 1, 1],
      [6, 1, 1],
    ]);
    const nw = nashMtlWeighting();
    const r = nw.weigh(g, nw.init(2), stepContext({ numTasks: 2 }));
    expect(quadForm(g.data, r.weights, 2)).toBeCloseTo(1, 10);
    const unclipped = r.state.weights;
    expect(quadForm(g.data, unclipped, 2)).toBeCloseTo(2, 10);
    const one = nw.weigh(gramianOf([[3, 4]]), nw.init(1), stepContext({ numTasks: 1 }));
    expect(one.weights[0]).toBeCloseTo(0.2, 10);
  });

  test('updateWeightsEvery reuses the last weights in between; the state counts steps', () => {
    const nw = nashMtlWeighting({ updateWeightsEvery: 3, maxNorm: 0 });
    const g1 = gramianOf([
      [1, 0],
      [0, 1],
    ]);
    const g2 = gramianOf([
      [2, 0],
      [0, 1],
    ]);
    let s = nw.init(2);
    const r0 = nw.weigh(g1, s, stepContext({ numTasks: 2 }));
    s = r0.state;
    const r1 = nw.weigh(g2, s, stepContext({ numTasks: 2, step: 1 }));
    expect(Array.from(r1.weights)).toEqual(Array.from(r0.weights));
    const r2 = nw.weigh(g2, r1.state, stepContext({ numTasks: 2, step: 2 }));
    const r3 = nw.weigh(g2, r2.state, stepContext({ numTasks: 2, step: 3 }));
    expect(r3.state.step).toBe(4);
    expect(r3.weights[0]).toBeCloseTo(0.5, 10);
  });

  test('no solution (opposite gradients): reports a warning and reuses the previous weights', () => {
    const nw = nashMtlWeighting({ maxNorm: 0 });
    const ok = nw.weigh(
      gramianOf([
        [1, 0],
        [0, 2],
      ]),
      nw.init(2),
      stepContext({ numTasks: 2 }),
    );
    const bad = nw.weigh(
      gramianOf([
        [1, 0],
        [-1, 0],
      ]),
      ok.state,
      stepContext({ numTasks: 2 }),
    );
    expect(bad.warnings?.[0]).toMatch(
      /nash-mtl: no positive solution of Gw = 1\/w.*reusing the previous weights/,
    );
    expect(Array.from(bad.weights)).toEqual(Array.from(ok.weights));
    expect(() => nashMtlWeighting({ updateWeightsEvery: 0 })).toThrow(
      'nash-mtl: option `updateWeightsEvery` must be ≥ 1, got 0',
    );
  });
});
