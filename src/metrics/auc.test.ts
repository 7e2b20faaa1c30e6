import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { auc, createBinnedAuc } from './auc.js';

/** P(s⁺ > s⁻) + ½ P(s⁺ = s⁻) by counting every pair. */
function bruteForce(scores: number[], labels: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < scores.length; i++) {
    for (let j = 0; j < scores.length; j++) {
      if (labels[i] === 1 && labels[j] === 0) {
        den++;
        if (scores[i]! > scores[j]!) num += 1;
        else if (scores[i] === scores[j]) num += 0.5;
      }
    }
  }
  return den > 0 ? num / den : Number.NaN;
}

const rows = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.constantFrom(0, 1)), {
    minLength: 1,
    maxLength: 60,
  })
  .map((r) => ({ scores: r.map(([s]) => s / 6), labels: r.map(([, y]) => y) }));

describe('auc (exact, tie-aware)', () => {
  it('matches hand-computed values', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 15);
    // positives {0.5, 0.9}, negatives {0.2, 0.5}: 1 + ½ + 1 + 1 = 3.5 of 4 pairs
    expect(auc([0.2, 0.5, 0.5, 0.9], [0, 1, 0, 1])).toBe(0.875);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([3, 2, 1], [1, 1, 0])).toBe(1);
    expect(auc([3, 2, 1], [0, 0, 1])).toBe(0);
  });

  it('is NaN with one class only, or a NaN score; honours the mask', () => {
    expect(auc([0.1, 0.9], [1, 1])).toBeNaN();
    expect(auc([0.1, 0.9], [0, 0])).toBeNaN();
    expect(auc([0.1, Number.NaN], [0, 1])).toBeNaN();
    expect(auc([0.1, 0.9, 0.05], [0, 1, 1], [1, 1, 0])).toBe(1);
  });

  test.prop([rows])('equals the brute-force pair count (heavy ties)', ({ scores, labels }) => {
    const a = auc(scores, labels);
    const b = bruteForce(scores, labels);
    if (Number.isNaN(b)) expect(a).toBeNaN();
    else expect(a).toBeCloseTo(b, 12);
  });

  test.prop([rows])(
    'is invariant to strictly increasing transforms of the scores',
    ({ scores, labels }) => {
      const t = scores.map((s) => Math.exp(3 * s) - 7);
      const a = auc(scores, labels);
      if (!Number.isNaN(a)) expect(auc(t, labels)).toBeCloseTo(a, 12);
    },
  );
});

describe('createBinnedAuc (streaming)', () => {
  test.prop([rows, fc.integer({ min: 1, max: 5 })])(
    'is within maxError of the exact AUC, across any batching',
    ({ scores, labels }, parts) => {
      const probs = scores.map((s) => s * 0.999); // stay below 1 so bins are interior
      const b = createBinnedAuc(50);
      const step = Math.ceil(probs.length / parts);
      for (let s = 0; s < probs.length; s += step)
        b.update(probs.slice(s, s + step), labels.slice(s, s + step));
      const exact = auc(probs, labels);
      if (Number.isNaN(exact)) expect(b.value()).toBeNaN();
      else expect(Math.abs(b.value() - exact)).toBeLessThanOrEqual(b.maxError() + 1e-12);
    },
  );

  it('is exact when every tie group falls in its own bin', () => {
    const scores = [0.05, 0.15, 0.15, 0.55, 0.95, 0.95];
    const labels = [0, 1, 0, 1, 0, 1];
    const b = createBinnedAuc(10);
    b.update(scores, labels);
    expect(b.value()).toBeCloseTo(auc(scores, labels), 15);
    expect([b.positives, b.negatives]).toEqual([3, 3]);
  });
});
