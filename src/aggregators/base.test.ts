import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { createRng } from '../core/rng.js';
import type { StepContext, TaskJacobian } from '../core/types.js';
import { stateless } from '../weightings/base.js';
import { blockGroups, fromWeighting, LINEAR_TRAITS } from './base.js';
import { gradvac } from './gradvac.js';

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

describe('fromWeightingPerGroup (GradVac grouping)', () => {
  test('groups blocks by layer (name up to the last /) or by variable, in block order', () => {
    const keys = ['m/dense0/kernel', 'm/dense0/bias', 'm/dense1/kernel', 'm/dense1/bias', 'gain'];
    expect(blockGroups(keys, 'whole')).toEqual([keys]);
    expect(blockGroups(keys, 'layer')).toEqual([
      ['m/dense0/kernel', 'm/dense0/bias'],
      ['m/dense1/kernel', 'm/dense1/bias'],
      ['gain'],
    ]);
    expect(blockGroups(keys, 'variable')).toEqual(keys.map((k) => [k]));
  });

  test('each group gets its own weights and state: equal to GradVac run on each block alone', () => {
    // Block p conflicts (cos < 0), block q does not: per-variable GradVac corrects only p.
    const p = [
      [-4, 1, 1],
      [6, 1, 1],
    ];
    const q = [
      [1, 2],
      [2, 1],
    ];
    const j = (): TaskJacobian => ({
      tasks: ['a', 'b'],
      blocks: { 'm/l0/p': tf.tensor2d(p), 'm/l1/q': tf.tensor2d(q) },
    });
    const spec = { tasks: ['a', 'b'], blocks: { 'm/l0/p': [3], 'm/l1/q': [2] } };
    const ctxOf = (): StepContext => ({ ...ctx, rng: createRng(5) });
    const grouped = gradvac({ grouping: 'variable' });
    expect(grouped.weighting).toBeUndefined();
    expect(grouped.config).toEqual({
      beta: 0.5,
      eps: 1e-8,
      emaUpdate: 'on-conflict',
      grouping: 'variable',
    });
    const jac = j();
    const before = tf.memory().numTensors;
    const r = grouped.update(jac, grouped.init(spec) as never, ctxOf());
    const dp = Array.from(r.direction['m/l0/p']!.dataSync());
    const dq = Array.from(r.direction['m/l1/q']!.dataSync());
    tf.dispose(Object.values(r.direction));
    expect(tf.memory().numTensors).toBe(before);
    // Block alone through the whole-model GradVac (the same rng stream, in group order).
    const single = gradvac();
    const rng = createRng(5);
    const alone = (blk: number[][]): number[] => {
      const one: TaskJacobian = { tasks: ['a', 'b'], blocks: { x: tf.tensor2d(blk) } };
      const s = single.init({ tasks: ['a', 'b'], blocks: { x: [blk[0]!.length] } });
      const out = single.update(one, s as never, { ...ctx, rng });
      const d = Array.from(out.direction['x']!.dataSync());
      tf.dispose([...Object.values(out.direction), one.blocks['x']!]);
      return d;
    };
    const ap = alone(p);
    const aq = alone(q);
    dp.forEach((x, i) => expect(x).toBeCloseTo(ap[i]!, 4));
    dq.forEach((x, i) => expect(x).toBeCloseTo(aq[i]!, 4));
    // p is corrected (the PCGrad golden row), q is the plain sum; the whole-model GradVac differs.
    expect(dp).toEqual([0.5848, 3.8012, 3.8012].map((v) => expect.closeTo(v, 3)));
    expect(dq).toEqual([3, 3].map((v) => expect.closeTo(v, 5)));
    const w = single.update(jac, single.init(spec) as never, ctxOf());
    expect(Math.abs(w.direction['m/l1/q']!.dataSync()[0]! - 3)).toBeGreaterThan(1e-3);
    tf.dispose([...Object.values(w.direction), ...Object.values(jac.blocks)]);
    // The reported Gramian is the whole model's: G_p + G_q.
    expect(Array.from(r.gramian!.data)).toEqual([
      16 + 1 + 1 + 1 + 4,
      -24 + 1 + 1 + 2 + 2,
      -24 + 1 + 1 + 2 + 2,
      36 + 1 + 1 + 4 + 1,
    ]);
  });
});
