import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../core/errors.js';
import { conflictDiagnostics, conflictScalars } from './conflict.js';

/** G = J·Jᵀ from rows of J. */
function gram(rows: number[][]): { k: number; data: Float64Array } {
  const k = rows.length;
  const data = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++)
      data[i * k + j] = rows[i]!.reduce((s, v, c) => s + v * rows[j]![c]!, 0);
  }
  return { k, data };
}

describe('conflictDiagnostics', () => {
  // g1 = (1, 0), g2 = (0, 2), g3 = (−1, 1): angles 90°, 135°, 45°
  const G = gram([
    [1, 0],
    [0, 2],
    [-1, 1],
  ]);

  it('computes cosines, angles, their mean/variance and the conflicting fraction', () => {
    const d = conflictDiagnostics(G);
    expect(d.cosines[1]).toBeCloseTo(0, 15);
    expect(d.cosines[2]).toBeCloseTo(-Math.SQRT1_2, 15);
    expect(d.cosines[5]).toBeCloseTo(Math.SQRT1_2, 15);
    expect([d.angles[1], d.angles[2], d.angles[5]]).toEqual([
      expect.closeTo(90, 10),
      expect.closeTo(135, 10),
      expect.closeTo(45, 10),
    ]);
    expect(d.meanAngle).toBeCloseTo(90, 10);
    expect(d.angleVariance).toBeCloseTo((0 + 45 ** 2 + 45 ** 2) / 3, 8);
    expect(d.conflictFraction).toBeCloseTo(1 / 3, 15);
    expect(d.minCosine).toBeCloseTo(-Math.SQRT1_2, 15);
    expect(Array.from(d.norms)).toEqual([1, 2, expect.closeTo(Math.SQRT2, 15)]);
    const total = 3 + Math.SQRT2;
    expect(Array.from(d.normShares)).toEqual(
      [1 / total, 2 / total, Math.SQRT2 / total].map((v) => expect.closeTo(v, 14)),
    );
    expect(d.contributionShares).toBeUndefined();
    expect(d.warnings).toEqual([]);
  });

  it('contribution shares w_k⟨g_k, d⟩/‖d‖² (d = g1 + g2 + g3 = (0, 3))', () => {
    const d = conflictDiagnostics(G, [1, 1, 1]);
    // ⟨g_k, d⟩ = 0, 6, 3 and ‖d‖² = 9
    expect(Array.from(d.contributionShares!)).toEqual(
      [0, 6 / 9, 3 / 9].map((v) => expect.closeTo(v, 14)),
    );
    expect(conflictScalars(d, ['a', 'b', 'c'])).toMatchObject({
      meanAngle: expect.closeTo(90, 10),
      conflictFraction: expect.closeTo(1 / 3, 14),
      'normShare/b': expect.closeTo(2 / (3 + Math.SQRT2), 14),
      'contributionShare/c': expect.closeTo(1 / 3, 14),
    });
  });

  it('leaves a zero gradient out, with a warning', () => {
    const d = conflictDiagnostics(
      gram([
        [1, 0],
        [0, 0],
        [1, 1],
      ]),
    );
    expect(d.cosines[1]).toBeNaN();
    expect(d.meanAngle).toBeCloseTo(45, 10);
    expect(d.conflictFraction).toBe(0);
    expect(d.warnings).toEqual([
      'task 1 has a zero gradient: its cosines are undefined and left out',
    ]);
  });

  it('checks shapes', () => {
    expect(() => conflictDiagnostics({ k: 2, data: new Float64Array(3) })).toThrow(ShapeError);
    expect(() => conflictDiagnostics(G, [1, 2])).toThrow(
      'conflictDiagnostics: weights has 2 entries, expected 3',
    );
  });

  const jac = fc
    .integer({ min: 2, max: 5 })
    .chain((k) =>
      fc.tuple(
        fc.array(
          fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 4, maxLength: 4 }),
          { minLength: k, maxLength: k },
        ),
        fc.array(fc.double({ min: 0.01, max: 2, noNaN: true }), { minLength: k, maxLength: k }),
      ),
    );
  test.prop([jac])(
    'cosines lie in [−1, 1], shares sum to 1, and match the explicit vectors',
    ([rows, w]) => {
      fc.pre(rows.every((r) => r.some((v) => Math.abs(v) > 1e-3)));
      const d = conflictDiagnostics(gram(rows), w);
      for (const c of d.cosines) expect(Math.abs(c)).toBeLessThanOrEqual(1);
      expect(d.normShares.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      const dir = [0, 1, 2, 3].map((c) => rows.reduce((s, r, k) => s + w[k]! * r[c]!, 0));
      const dd = dir.reduce((s, v) => s + v * v, 0);
      fc.pre(dd > 1e-6);
      expect(d.contributionShares!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 9);
      rows.forEach((r, k) => {
        const share = (w[k]! * r.reduce((s, v, c) => s + v * dir[c]!, 0)) / dd;
        expect(d.contributionShares![k]).toBeCloseTo(share, 8);
      });
    },
  );
});
