import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { seededSplit } from './split.js';

describe('seededSplit', () => {
  test.prop([
    fc.integer({ min: 1, max: 500 }),
    fc.double({ min: 0, max: 0.45, noNaN: true }),
    fc.double({ min: 0, max: 0.45, noNaN: true }),
    fc.integer(),
  ])('partitions the rows with the documented sizes, each split sorted', (n, v, t, seed) => {
    fc.pre(n - Math.round(n * v) - Math.round(n * t) >= 1);
    const s = seededSplit(n, { validFraction: v, testFraction: t }, createRng(seed));
    expect(s.test.length).toBe(Math.round(n * t));
    expect(s.valid.length).toBe(Math.round(n * v));
    const all = [...s.train, ...s.valid, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const part of [s.train, s.valid, s.test]) {
      for (let i = 1; i < part.length; i++) expect(part[i]!).toBeGreaterThan(part[i - 1]!);
    }
    expect(seededSplit(n, { validFraction: v, testFraction: t }, createRng(seed))).toEqual(s);
  });

  it('rejects fractions that leave no training rows', () => {
    expect(() => seededSplit(4, { validFraction: 0.5, testFraction: 0.5 }, createRng(1))).toThrow(
      new ConfigError(
        'seededSplit: validFraction 0.5 + testFraction 0.5 leave no training rows out of 4; lower the fractions',
      ),
    );
    expect(() => seededSplit(4, { validFraction: -0.1, testFraction: 0 }, createRng(1))).toThrow(
      'seededSplit: option `validFraction` must be in [0, 1), got -0.1',
    );
  });
});
