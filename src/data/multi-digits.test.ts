import { describe, expect, it } from 'vitest';
import { createRng } from '../core/rng.js';
import { CANVAS, makeDigitPairs, multiDigits, readDigits, TRAIN_SOURCES } from './multi-digits.js';

const sums = (img: Float32Array, n: number): number[] =>
  Array.from({ length: n }, (_, j) => {
    let t = 0;
    for (let k = 0; k < 144; k++) t += img[j * 144 + k] as number;
    return t;
  });

describe('multi-digits', () => {
  it('reads the 1,797 source digits with the documented class counts', async () => {
    const src = await readDigits();
    expect(src.n).toBe(1797);
    const c = new Array(10).fill(0);
    for (const l of src.labels) c[l]++;
    expect(c).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Math.max(...src.pixels)).toBe(16);
  });

  it('places digit a at (dy, dx) and digit b at (4 − dy′, 4 − dx′) with pixel max', async () => {
    const src = await readDigits();
    const p = makeDigitPairs(src, 0, 50, 20, createRng(3), {
      overlap: 'max',
      distinctLabels: false,
    });
    for (let j = 0; j < p.n; j++) {
      const [dx, dy, dx2, dy2] = Array.from(p.offsets.slice(j * 4, j * 4 + 4)) as [
        number,
        number,
        number,
        number,
      ];
      for (let r = 0; r < CANVAS; r++) {
        for (let c = 0; c < CANVAS; c++) {
          const at = (s: number, r0: number, c0: number): number => {
            const rr = r - r0;
            const cc = c - c0;
            return rr >= 0 && rr < 8 && cc >= 0 && cc < 8
              ? (src.pixels[s * 64 + rr * 8 + cc] as number)
              : 0;
          };
          const want =
            Math.max(at(p.sourceA[j]!, dy, dx), at(p.sourceB[j]!, 4 - dy2, 4 - dx2)) / 16;
          expect(p.image![j * 144 + r * CANVAS + c]).toBe(want);
        }
      }
      expect(p.labels['top_left']![j]).toBe(src.labels[p.sourceA[j]!]);
      expect(p.labels['bottom_right']![j]).toBe(src.labels[p.sourceB[j]!]);
    }
  });

  it("'sum' overlap caps at 16 and distinctLabels never pairs equal labels", async () => {
    const src = await readDigits();
    const opts = { overlap: 'sum' as const, distinctLabels: true };
    const p = makeDigitPairs(src, 0, TRAIN_SOURCES, 300, createRng(9), opts);
    const m = makeDigitPairs(src, 0, TRAIN_SOURCES, 300, createRng(9), { ...opts, overlap: 'max' });
    let equalLabels = 0;
    for (let j = 0; j < p.n; j++)
      if (p.labels['top_left']![j] === p.labels['bottom_right']![j]) equalLabels++;
    expect(equalLabels).toBe(0);
    expect(Math.max(...p.image!)).toBe(1);
    // same draws, so the sum is ≥ the max pixel-wise, and strictly larger somewhere
    let below = 0;
    let above = 0;
    for (let k = 0; k < p.image!.length; k++) {
      if (p.image![k]! < m.image![k]!) below++;
      if (p.image![k]! > m.image![k]!) above++;
    }
    expect(below).toBe(0);
    expect(above).toBeGreaterThan(0);
  });

  it('golden seed 1: split sizes, labels and pixel sums of the first pairs; sources never cross', async () => {
    const ds = await multiDigits({ trainPairs: 5, validPairs: 2, testPairs: 3 }).load(1);
    expect(ds.inputSpec).toEqual({
      numeric: 0,
      categorical: [],
      image: { height: 12, width: 12, channels: 1 },
    });
    expect(ds.tasks).toEqual([
      { id: 'top_left', kind: 'multiclass', numClasses: 10 },
      { id: 'bottom_right', kind: 'multiclass', numClasses: 10 },
    ]);
    expect([ds.train.n, ds.valid.n, ds.test.n]).toEqual([5, 2, 3]);
    expect(Array.from(ds.train.labels['top_left']!)).toEqual([4, 8, 7, 4, 4]);
    expect(Array.from(ds.train.labels['bottom_right']!)).toEqual([8, 7, 6, 0, 8]);
    expect(sums(ds.train.image!, 5)).toEqual([33, 28.875, 38.0625, 36.3125, 36.0625]);
    expect(Array.from(ds.valid.labels['top_left']!)).toEqual([5, 3]);
    expect(sums(ds.valid.image!, 2)).toEqual([38.1875, 33.8125]);
    expect(Array.from(ds.test.labels['top_left']!)).toEqual([2, 0, 7]);
    expect(Array.from(ds.test.labels['bottom_right']!)).toEqual([3, 2, 6]);
    expect(sums(ds.test.image!, 3)).toEqual([32.875, 36.75, 29.5625]);
    // A larger training split leaves the test pairs unchanged (independent streams).
    const big = await multiDigits({ trainPairs: 50, validPairs: 2, testPairs: 3 }).load(1);
    expect(big.test).toEqual(ds.test);

    const src = await readDigits();
    const rng = createRng(1);
    const tr = makeDigitPairs(src, 0, TRAIN_SOURCES, 400, rng, {
      overlap: 'max',
      distinctLabels: false,
    });
    const te = makeDigitPairs(src, TRAIN_SOURCES, src.n, 400, rng, {
      overlap: 'max',
      distinctLabels: false,
    });
    expect(Math.max(...tr.sourceA, ...tr.sourceB)).toBeLessThan(TRAIN_SOURCES);
    expect(Math.min(...te.sourceA, ...te.sourceB)).toBeGreaterThanOrEqual(TRAIN_SOURCES);
  });
});
