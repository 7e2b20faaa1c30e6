// Every golden row of REFERENCES.md §5 through the real pipeline: registry → aggregator →
// device Gramian → host weighting → device combination.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import type { Aggregator, TaskJacobian } from '../../src/core/types.js';
import { defaultRegistry } from '../../src/registry/index.js';
import golden from './aggregators.json' with { type: 'json' };

interface GoldenRow {
  readonly id: string;
  readonly options: Record<string, unknown>;
  readonly direction: readonly number[];
  readonly weights?: readonly number[];
  readonly source: string;
}

const TOL = 1e-3;

describe('golden aggregator values (J = [[-4,1,1],[6,1,1]])', () => {
  test('every row names its source', () => {
    for (const row of golden.rows as readonly GoldenRow[])
      expect(row.source.length).toBeGreaterThan(10);
  });

  test.each((golden.rows as readonly GoldenRow[]).map((r) => [r.id, r] as const))(
    '%s',
    (_id, row) => {
      const agg = defaultRegistry.create<Aggregator>(row.id, row.options, 'aggregator');
      const j: TaskJacobian = { tasks: ['t1', 't2'], blocks: { p: tf.tensor2d(golden.jacobian) } };
      const before = tf.memory().numTensors;
      const r = agg.update(j, agg.init({ tasks: j.tasks, blocks: { p: [3] } }), {
        step: 0,
        epoch: 0,
        tasks: j.tasks,
        losses: new Float64Array([1, 1]),
        rng: createRng(0),
      });
      const d = Array.from(r.direction['p']!.dataSync());
      for (let i = 0; i < 3; i++) expect(Math.abs(d[i]! - row.direction[i]!)).toBeLessThan(TOL);
      if (row.weights !== undefined) {
        expect(r.weights).toBeDefined();
        for (let i = 0; i < 2; i++)
          expect(Math.abs(r.weights![i]! - row.weights[i]!)).toBeLessThan(TOL);
      }
      if (r.gramian !== undefined)
        expect(Array.from(r.gramian.data)).toEqual(golden.gramian.flat());
      r.direction['p']!.dispose();
      expect(tf.memory().numTensors).toBe(before);
      j.blocks['p']!.dispose();
    },
  );
});
