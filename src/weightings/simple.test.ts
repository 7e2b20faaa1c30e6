import { describe, expect, test } from 'vitest';
import { ShapeError } from '../core/errors.js';
import { gramianOf, stepContext } from '../testing/host.js';
import { constantWeighting } from './constant.js';
import { meanWeighting } from './mean.js';
import { randomWeighting } from './random.js';
import { sumWeighting } from './sum.js';

const g3 = gramianOf([[1], [2], [3]]);
const ctx = (seed = 0) => stepContext({ numTasks: 3, seed });

describe('mean, sum, constant, random', () => {
  test('fixed weights', () => {
    expect(Array.from(meanWeighting().weigh(g3, {}, ctx()).weights)).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(Array.from(sumWeighting().weigh(g3, {}, ctx()).weights)).toEqual([1, 1, 1]);
    expect(Array.from(constantWeighting({ weights: 2 }).weigh(g3, {}, ctx()).weights)).toEqual([
      2, 2, 2,
    ]);
    expect(
      Array.from(constantWeighting({ weights: [1, 0, -1] }).weigh(g3, {}, ctx()).weights),
    ).toEqual([1, 0, -1]);
  });

  test('constant: wrong length is a ShapeError at init and at weigh; bad values a ConfigError', () => {
    const c = constantWeighting({ weights: [1, 2] });
    expect(() => c.init(3)).toThrow(ShapeError);
    expect(() => c.weigh(g3, {}, ctx())).toThrow(
      /constant: option `weights` has 2 entries but there are 3 tasks/,
    );
    expect(() => constantWeighting({ weights: ['a'] as unknown as number[] })).toThrow(
      /constant: option `weights` must be an array of finite numbers/,
    );
  });

  test('random: softmax of seeded normals — positive, sums to 1, reproducible, seed-dependent', () => {
    const r = randomWeighting();
    const a = r.weigh(g3, {}, ctx(1)).weights;
    expect(a.every((v) => v > 0)).toBe(true);
    expect(a.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 14);
    expect(Array.from(r.weigh(g3, {}, ctx(1)).weights)).toEqual(Array.from(a));
    expect(Array.from(r.weigh(g3, {}, ctx(2)).weights)).not.toEqual(Array.from(a));
    expect(() => randomWeighting({ x: 1 } as unknown as Record<string, never>)).toThrow(
      'random: unknown option `x`; this method takes no options',
    );
  });
});
