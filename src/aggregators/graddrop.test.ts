import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { TaskJacobian } from '../core/types.js';
import { stepContext } from '../testing/host.js';
import { graddrop } from './graddrop.js';

function run(rows: number[][], seed: number, options = {}): number[] {
  const agg = graddrop(options);
  const j: TaskJacobian = {
    tasks: rows.map((_, i) => `t${i}`),
    blocks: { p: tf.tensor2d(rows) },
  };
  const before = tf.memory().numTensors;
  const r = agg.update(
    j,
    agg.init({ tasks: j.tasks, blocks: { p: [rows[0]!.length] } }),
    stepContext({ numTasks: rows.length, seed }),
  );
  const d = Array.from(r.direction['p']!.dataSync());
  r.direction['p']!.dispose();
  expect(tf.memory().numTensors).toBe(before);
  j.blocks['p']!.dispose();
  return d;
}

describe('graddrop', () => {
  test('K = 1 and sign-pure coordinates keep every gradient (d = Σ g)', () => {
    expect(run([[1, -2, 0, 3]], 1)).toEqual([1, -2, 0, 3]);
    expect(
      run(
        [
          [1, -2, 3],
          [2, -1, 1],
        ],
        4,
      ),
    ).toEqual([3, -3, 4]);
  });

  test('leak = 1 is the sum; every coordinate keeps exactly one sign otherwise', () => {
    const rows = [
      [1, -1, 2, -3, 0.5, -0.5, 4, -4],
      [-1, 1, -2, 3, -0.5, 0.5, 1, 2],
    ];
    expect(run(rows, 7, { leak: 1 })).toEqual(rows[0]!.map((v, i) => v + rows[1]![i]!));
    const d = run(rows, 7);
    d.forEach((v, i) => {
      const pos = rows.reduce((s, r) => s + Math.max(r[i]!, 0), 0);
      const neg = rows.reduce((s, r) => s + Math.min(r[i]!, 0), 0);
      expect(v === pos || v === neg).toBe(true);
    });
  });

  test('masks are reproducible per seed and change with the seed', () => {
    const rows = [
      Array.from({ length: 32 }, (_, i) => Math.sin(i + 1)),
      Array.from({ length: 32 }, (_, i) => Math.cos(3 * i)),
    ];
    expect(run(rows, 11)).toEqual(run(rows, 11));
    expect(run(rows, 11)).not.toEqual(run(rows, 12));
  });

  test('the sign-purity probability: P = 0.9 keeps the positive part about 90 % of the time', () => {
    // g₁ = +0.9, g₂ = −0.1 on every coordinate: P = ½(1 + 0.8/1) = 0.9.
    const n = 4000;
    const d = run([new Array(n).fill(0.9), new Array(n).fill(-0.1)], 3);
    const keptPositive = d.filter((v) => Math.abs(v - 0.9) < 1e-6).length / n;
    expect(keptPositive).toBeGreaterThan(0.87);
    expect(keptPositive).toBeLessThan(0.93);
  });

  test('options: leak must lie in [0, 1] and match K', () => {
    expect(() => graddrop({ leak: 2 })).toThrow(ConfigError);
    expect(() => graddrop({ leak: 2 })).toThrow(
      'graddrop: option `leak` must lie in [0, 1], got 2',
    );
    expect(() => graddrop({ leak: [0, 1] }).init({ tasks: ['a'], blocks: {} })).toThrow(ShapeError);
    expect(() => graddrop({ leak: [0, 1] }).init({ tasks: ['a'], blocks: {} })).toThrow(
      'graddrop: option `leak` has 2 entries but there are 1 tasks; pass one leak per task or a single number',
    );
  });
});
