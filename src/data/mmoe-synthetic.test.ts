import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import {
  generateMmoeSynthetic,
  mmoeSynthetic,
  type MmoeSyntheticParams,
} from './mmoe-synthetic.js';

/** The documented defaults (golden: the loader's config must equal them). */
const DEFAULTS: MmoeSyntheticParams = {
  dim: 100,
  scale: 1,
  numSines: 10,
  shape: 'google',
  noiseStd: 0.01,
  correlation: 0.5,
  numPairs: 1,
  nTrain: 10000,
  nValid: 1000,
  nTest: 1000,
};
const base: MmoeSyntheticParams = { ...DEFAULTS, nTrain: 5000, nValid: 0, nTest: 0 };

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const labelCorr = (p: number, shape: 'google' | 'gaussian'): number => {
  const g = generateMmoeSynthetic({ ...base, correlation: p, shape }, 1);
  return pearson(g.train.labels['y1']!, g.train.labels['y2']!);
};

describe('mmoe-synthetic', () => {
  it('names its shape parameters in the API with the documented defaults', () => {
    const loader = mmoeSynthetic();
    expect(loader.config).toEqual(DEFAULTS);
    expect(() => mmoeSynthetic({ shape: 'uniform' })).toThrow(ConfigError);
    expect(() => mmoeSynthetic({ dim: 3, numPairs: 2 })).toThrow(
      'mmoe-synthetic: numPairs 2 needs 4 orthogonal directions but dim is 3; raise dim or lower numPairs',
    );
  });

  it('golden: first 3 labels of each task for seed 1, both shapes', async () => {
    const google = await mmoeSynthetic({ nTrain: 3, nValid: 0, nTest: 0 }).load(1);
    expect(Array.from(google.train.labels['y1']!)).toEqual([
      expect.closeTo(1.0927775, 6),
      expect.closeTo(-1.9355836, 6),
      expect.closeTo(-0.7955568, 6),
    ]);
    expect(Array.from(google.train.labels['y2']!)).toEqual([
      expect.closeTo(1.0253122, 6),
      expect.closeTo(0.2387622, 6),
      expect.closeTo(-2.0395639, 6),
    ]);
    const gaussian = await mmoeSynthetic({
      shape: 'gaussian',
      nTrain: 3,
      nValid: 0,
      nTest: 0,
    }).load(1);
    expect(Array.from(gaussian.train.labels['y1']!)).toEqual([
      expect.closeTo(0.1721591, 6),
      expect.closeTo(0.2518407, 6),
      expect.closeTo(3.4176347, 6),
    ]);
    expect(Array.from(gaussian.train.labels['y2']!)).toEqual([
      expect.closeTo(0.0656849, 6),
      expect.closeTo(0.2146609, 6),
      expect.closeTo(1.7847879, 6),
    ]);
    // The first rows do not depend on how many rows follow (rows are drawn in order).
    const long = await mmoeSynthetic({ nTrain: 50 }).load(1);
    expect(Array.from(long.train.labels['y1']!.slice(0, 3))).toEqual(
      Array.from(google.train.labels['y1']!),
    );
  });

  it('builds weight vectors with cos = p and norm c; google α_i = i, β_i = (i−1)²', () => {
    const g = generateMmoeSynthetic(
      { ...base, nTrain: 1, correlation: -0.3, scale: 2, numPairs: 2 },
      5,
    );
    const w = (k: number): Float64Array => g.truth.weights.subarray(k * 100, (k + 1) * 100);
    const dot = (a: Float64Array, b: Float64Array): number =>
      a.reduce((s, x, i) => s + x * b[i]!, 0);
    expect(Math.sqrt(dot(w(0), w(0)))).toBeCloseTo(2, 12);
    expect(Math.sqrt(dot(w(1), w(1)))).toBeCloseTo(2, 12);
    expect(dot(w(0), w(1)) / 4).toBeCloseTo(-0.3, 12);
    expect(dot(w(2), w(3)) / 4).toBeCloseTo(-0.3, 12);
    expect(dot(w(0), w(2))).toBeCloseTo(0, 12); // pairs are orthogonal to each other
    expect(Array.from(g.truth.alpha)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Array.from(g.truth.beta)).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
  });

  it("'google' reproduces the DATASETS §3.3 label correlations within ±0.05 (n = 5000)", () => {
    const table: [number, number][] = [
      [1, 1.0],
      [0.9, 0.439],
      [0.8, 0.341],
      [0.5, 0.194],
      [0, -0.001],
    ];
    for (const [p, want] of table)
      expect(Math.abs(labelCorr(p, 'google') - want)).toBeLessThan(0.05);
  });

  it('label correlation increases with p for both shapes, > 0.99 at p = 1', () => {
    for (const shape of ['google', 'gaussian'] as const) {
      const cs = [-0.5, 0, 0.5, 0.8, 0.9, 1].map((p) => labelCorr(p, shape));
      for (let i = 1; i < cs.length; i++) expect(cs[i]!).toBeGreaterThan(cs[i - 1]!);
      expect(cs[5]!).toBeGreaterThan(0.99);
    }
  });

  it('is deterministic per seed and K = 2P regression tasks', async () => {
    const a = await mmoeSynthetic({ numPairs: 2, dim: 8, nTrain: 20, nValid: 5, nTest: 5 }).load(7);
    const b = await mmoeSynthetic({ numPairs: 2, dim: 8, nTrain: 20, nValid: 5, nTest: 5 }).load(7);
    const c = await mmoeSynthetic({ numPairs: 2, dim: 8, nTrain: 20, nValid: 5, nTest: 5 }).load(8);
    expect(a.tasks.map((t) => t.id)).toEqual(['y1', 'y2', 'y3', 'y4']);
    expect(a.inputSpec).toEqual({ numeric: 8, categorical: [] });
    expect(a.test).toEqual(b.test);
    expect(a.train.numeric).toEqual(b.train.numeric);
    expect(c.train.numeric).not.toEqual(a.train.numeric);
    expect([a.train.n, a.valid.n, a.test.n]).toEqual([20, 5, 5]);
  });
});
