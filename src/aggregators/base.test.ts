import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { createRng } from '../core/rng.js';
import type { StepContext, TaskJacobian } from '../core/types.js';
import { stateless } from '../weightings/base.js';
import { fromWeighting, LINEAR_TRAITS } from './base.js';

const ctx: StepContext = {
  step: 0,
  epoch: 0,
  tasks: ['a', 'b'],
  losses: new Float64Array([1, 1]),
  rng: createRng(0),
};

describe('fromWeighting', () => {
  test('computes G once, weighs on the host and combines; no leaks; passes warnings through', () => {
    let seen: Float64Array | null = null;
    const w = stateless('probe', (g) => {
      seen = g.data;
      return {
        weights: new Float64Array([0.6, 0.4]),
        warnings: ['probe: note'],
        diagnostics: { x: 1 },
      };
    });
    const agg = fromWeighting(w, LINEAR_TRAITS, { a: 1 });
    expect(agg.weighting).toBe(w);
    expect(agg.id).toBe('probe');
    const j: TaskJacobian = {
      tasks: ['a', 'b'],
      blocks: {
        p: tf.tensor2d([
          [-4, 1, 1],
          [6, 1, 1],
        ]),
      },
    };
    const s0 = agg.init({ tasks: ['a', 'b'], blocks: { p: [3] } });
    const before = tf.memory().numTensors;
    const r = agg.update(j, s0, ctx);
    expect(Array.from(seen!)).toEqual([18, -22, -22, 38]);
    expect(Array.from(r.gramian!.data)).toEqual([18, -22, -22, 38]);
    expect(Array.from(r.weights!)).toEqual([0.6, 0.4]);
    expect(r.warnings).toEqual(['probe: note']);
    expect(r.diagnostics).toEqual({ x: 1 });
    const d = r.direction['p']!.dataSync();
    expect(d[0]).toBeCloseTo(0, 5);
    expect(d[1]).toBeCloseTo(1, 6);
    r.direction['p']!.dispose();
    expect(tf.memory().numTensors).toBe(before);
    j.blocks['p']!.dispose();
  });

  test('a weighting returning the wrong number of weights is reported', () => {
    const bad = fromWeighting(
      stateless('bad', () => ({ weights: new Float64Array(3) })),
      LINEAR_TRAITS,
      {},
    );
    const j: TaskJacobian = { tasks: ['a', 'b'], blocks: { p: tf.ones([2, 2]) } };
    const before = tf.memory().numTensors;
    expect(() => bad.update(j, {}, ctx)).toThrow(/bad: produced 3 weights for 2 tasks/);
    expect(tf.memory().numTensors).toBe(before);
    j.blocks['p']!.dispose();
  });
});
