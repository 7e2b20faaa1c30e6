import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createRng } from '../core/rng.js';
import { matrixArb } from '../testing/arbitraries.js';
import { combineRows, gramianOf, rowsOf, stepContext } from '../testing/host.js';
import { pcgradWeighting } from './pcgrad.js';
import { upgradWeighting } from './upgrad.js';

/** PCGrad on explicit vectors (LibMTL's loop), drawing the same permutations. */
function pcgradVectors(rows: number[][], seed: number): number[] {
  const rng = createRng(seed);
  const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  const out = new Array<number>(rows[0]!.length).fill(0);
  const zero = 1e-16 * Math.max(...rows.map((r) => dot(r, r)));
  rows.forEach((gi, i) => {
    const pc = [...gi];
    for (const j of rng.permutation(rows.length)) {
      if (j === i) continue;
      const gj = rows[j]!;
      const nj = dot(gj, gj);
      if (!(nj > zero)) continue;
      const ip = dot(pc, gj);
      if (ip < 0) gj.forEach((v, p) => (pc[p]! -= (ip / nj) * v));
    }
    pc.forEach((v, p) => (out[p]! += v));
  });
  return out;
}

describe('pcgrad weighting (Gramian space)', () => {
  test.prop([matrixArb({ rows: { min: 1, max: 5 }, cols: { min: 1, max: 6 } })], { numRuns: 60 })(
    'equals PCGrad on the vectors with the same random order',
    (m) => {
      const rows = rowsOf(m.data, m.rows, m.cols);
      const w = pcgradWeighting().weigh(
        gramianOf(rows),
        {},
        stepContext({ numTasks: m.rows, seed: 5 }),
      ).weights;
      const d = combineRows(rows, w);
      pcgradVectors(rows, 5).forEach((v, i) => expect(d[i]).toBeCloseTo(v, 10));
    },
  );

  test.prop([matrixArb({ rows: 2, cols: { min: 2, max: 6 } })], { numRuns: 60 })(
    'K = 2: non-conflicting and equal to 2 × UPGrad without ridge (sum preference)',
    (m) => {
      const rows = rowsOf(m.data, 2, m.cols);
      const g = gramianOf(rows);
      const w = pcgradWeighting().weigh(g, {}, stepContext({ numTasks: 2 })).weights;
      const u = upgradWeighting({ regEps: 0, normEps: 0 }).weigh(
        g,
        {},
        stepContext({ numTasks: 2 }),
      ).weights;
      expect(w[0]).toBeCloseTo(2 * u[0]!, 8);
      expect(w[1]).toBeCloseTo(2 * u[1]!, 8);
      const d = combineRows(rows, w);
      for (const r of rows)
        expect(r.reduce((s, v, i) => s + v * d[i]!, 0)).toBeGreaterThanOrEqual(-1e-9);
    },
  );

  test('a zero gradient never triggers a projection', () => {
    const w = pcgradWeighting().weigh(
      gramianOf([
        [1, 0],
        [0, 0],
      ]),
      {},
      stepContext({ numTasks: 2 }),
    ).weights;
    expect(Array.from(w)).toEqual([1, 1]);
  });
});
