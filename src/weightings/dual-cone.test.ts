import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { matVec } from '../linalg/matrix.js';
import { matrixArb } from '../testing/arbitraries.js';
import { gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { dualprojWeighting } from './dualproj.js';
import { prepareGramian } from './dual-cone.js';
import { upgradWeighting } from './upgrad.js';

describe('dual-cone weightings (UPGrad, DualProj)', () => {
  test.prop([matrixArb({ rows: { min: 1, max: 6 }, cols: { min: 1, max: 5 } })], { numRuns: 60 })(
    'non-conflicting: (Gw)_k ≥ 0 for every task, and w ≥ the preference',
    (m) => {
      const g = gramianOf(rowsOf(m.data, m.rows, m.cols));
      for (const wf of [upgradWeighting(), dualprojWeighting()]) {
        const w = wf.weigh(g, {}, stepContext({ numTasks: g.k })).weights;
        const gp = matVec(prepareGramian(g.data, g.k, { normEps: 1e-4, regEps: 1e-4 }), w, g.k);
        for (let i = 0; i < g.k; i++) {
          expect(gp[i]!).toBeGreaterThanOrEqual(-1e-12);
          expect(w[i]!).toBeGreaterThanOrEqual(
            wf.id === 'dualproj' ? 1 / g.k - 1e-15 : 1 / g.k - 1e-15,
          );
        }
      }
    },
  );

  test('DualProj leaves a non-conflicting mean unchanged (w = 1/K exactly)', () => {
    const g = gramianOf([
      [1, 0.5, 0],
      [0.2, 1, 0.1],
      [0.3, 0.3, 1],
    ]);
    expect(
      Array.from(dualprojWeighting().weigh(g, {}, stepContext({ numTasks: 3 })).weights),
    ).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  test('a zero Jacobian gives the preference (torchjd normEps)', () => {
    const w = upgradWeighting().weigh(
      { k: 2, data: new Float64Array(4) },
      {},
      stepContext({ numTasks: 2 }),
    );
    expect(Array.from(w.weights)).toEqual([0.5, 0.5]);
  });
});
