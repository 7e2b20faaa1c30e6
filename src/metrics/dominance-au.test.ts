// AU / rAU (ALGORITHMS §4.3): the EMA, rAU normalisation (sums to 1, 1/K when all zero), the
// per-layer summary, and the SGD / Adam trackers against hand computations and the library's Adam.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { TaskJacobian } from '../core/types.js';
import { adam } from '../optim/adam.js';
import { disposeReplaced, disposeState } from '../train/state.js';
import {
  auInit,
  auUpdate,
  dominanceScalars,
  dominanceSummary,
  dominanceTracker,
  layerOf,
  relativeAu,
} from './dominance-au.js';

const read = (t: tf.Tensor): number[] => {
  const out = Array.from(t.dataSync());
  t.dispose();
  return out;
};

describe('AU accumulators and rAU', () => {
  it('AU ← βAU + (1−β)Δ² per task and parameter; rAU sums to 1 and is 1/K where all AU are 0', () => {
    const before = tf.memory().numTensors;
    const s0 = auInit({ tasks: ['a', 'b', 'c'], blocks: { w: [2] } });
    const d1 = {
      w: tf.tensor2d([
        [1, 0],
        [2, 0],
        [0, 0],
      ]),
    };
    const d2 = {
      w: tf.tensor2d([
        [3, 0],
        [0, 0],
        [1, 0],
      ]),
    };
    const s1 = auUpdate(s0, d1, 0.5);
    const s2 = auUpdate(s1, d2, 0.5);
    // column 0: a = 0.5·(0.5·1) + 0.5·9 = 4.75, b = 0.5·(0.5·4) = 1, c = 0.5·1 = 0.5
    expect(read(tf.clone(s2.au['w']!))).toEqual([4.75, 0, 1, 0, 0.5, 0]);
    expect(s2.count).toBe(2);
    const r = read(relativeAu(s2.au['w']!));
    expect(r[0]! + r[2]! + r[4]!).toBeCloseTo(1, 6);
    expect(r[0]).toBeCloseTo(4.75 / 6.25, 6);
    // column 1 never moved: every task gets 1/3.
    [r[1], r[3], r[5]].forEach((x) => expect(x).toBeCloseTo(1 / 3, 6));
    tf.dispose([...Object.values(d1), ...Object.values(d2)]);
    disposeState([s0, s1, s2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects per-task updates with the wrong shape', () => {
    const s = auInit({ tasks: ['a', 'b'], blocks: { w: [3] } });
    const bad = { w: tf.zeros([2, 4]) };
    expect(() => auUpdate(s, bad, 0.9)).toThrow(ShapeError);
    expect(() => auUpdate(s, {}, 0.9)).toThrow(/no per-task update/);
    tf.dispose(bad.w);
    disposeState(s);
  });
});

describe('dominanceSummary', () => {
  it('groups kernel and bias into one layer and reports shares, mean max, dominant fractions and a histogram', () => {
    expect(layerOf('mmoe/expert0/dense0/kernel')).toBe('mmoe/expert0/dense0');
    const au = {
      'net/l0/kernel': tf.tensor2d([
        [3, 1],
        [1, 1],
      ]), // rAU columns: (0.75, 0.25), (0.5, 0.5)
      'net/l0/bias': tf.tensor2d([[0], [2]]), // (0, 1)
      'net/l1/kernel': tf.tensor2d([[0], [0]]), // (0.5, 0.5)
    };
    const summary = dominanceSummary({ count: 1, au }, { bins: 2 });
    expect(summary.map((l) => l.layer)).toEqual(['net/l0', 'net/l1']);
    const l0 = summary[0]!;
    expect(l0.size).toBe(3);
    expect(l0.share[0]).toBeCloseTo((0.75 + 0.5 + 0) / 3, 6);
    expect(l0.share[1]).toBeCloseTo((0.25 + 0.5 + 1) / 3, 6);
    expect(l0.meanMax).toBeCloseTo((0.75 + 0.5 + 1) / 3, 6);
    // argmax: column 0 → task 0, column 1 tie → first (task 0), bias → task 1
    expect(Array.from(l0.dominantFraction)).toEqual([2 / 3, 1 / 3]);
    // bins over [0.5, 1]: [0.5, 0.75) ∋ 0.5; [0.75, 1] ∋ 0.75, 1
    expect(Array.from(l0.histogram)).toEqual([1 / 3, 2 / 3]);
    expect(summary[1]!.meanMax).toBeCloseTo(0.5, 6);
    const flat = dominanceScalars(summary, ['a', 'b']);
    expect(flat['rAU/net/l0/a']).toBeCloseTo(l0.share[0]!, 9);
    expect(flat['rAUmax']).toBeCloseTo((l0.meanMax * 3 + 0.5) / 4, 6);
    expect(dominanceSummary({ count: 1, au }, { groupBy: 'block' })).toHaveLength(3);
    expect(() => dominanceSummary({ count: 1, au }, { bins: 0 })).toThrow(ConfigError);
    tf.dispose(Object.values(au));
  });
});

describe('dominanceTracker', () => {
  const jac = (rows: number[][]): TaskJacobian => ({
    tasks: rows.map((_, i) => `t${i}`),
    blocks: { p: tf.tensor2d(rows) },
  });

  it('SGD: constant gradients give rAU_k = g_k²/Σ_j g_j²', () => {
    const tr = dominanceTracker({ optimizer: 'sgd', learningRate: 0.1, beta: 0.9 });
    let s = tr.init({ tasks: ['t0', 't1'], blocks: { p: [2] } });
    for (let i = 0; i < 3; i++) {
      const j = jac([
        [1, -2],
        [3, 1],
      ]);
      const next = tr.update(j, s);
      disposeReplaced(s, next);
      s = next;
      tf.dispose(Object.values(j.blocks));
    }
    const r = read(relativeAu(s.au['p']!));
    expect(r[0]).toBeCloseTo(1 / 10, 5);
    expect(r[1]).toBeCloseTo(4 / 5, 5);
    disposeState(s);
  });

  it('Adam with one task: Δ is exactly the library Adam update, so AU after one step is (1−β)·u²', () => {
    const tr = dominanceTracker({ optimizer: 'adam', learningRate: 0.01, beta: 0.5 });
    const s = tr.init({ tasks: ['t0'], blocks: { p: [3] } });
    const j = jac([[0.5, -2, 4]]);
    const s1 = tr.update(j, s);
    const opt = adam({ learningRate: 0.01 });
    const st = opt.init({ p: tf.zeros([3]) });
    const g = { p: tf.tensor1d([0.5, -2, 4]) };
    const r = opt.update(g, st);
    const u = read(tf.clone(r.updates['p']!));
    const au = read(tf.clone(s1.au['p']!));
    au.forEach((a, i) => expect(a).toBeCloseTo(0.5 * u[i]! ** 2, 9));
    tf.dispose([g.p, ...Object.values(r.updates), ...Object.values(j.blocks)]);
    disposeState([s, s1, st, r.state]);
  });

  it('Adam: the shared denominator follows the given direction; the big task dominates an EW sum', () => {
    const tr = dominanceTracker({ optimizer: 'adam' });
    let s = tr.init({ tasks: ['t0', 't1'], blocks: { p: [1] } });
    for (let i = 0; i < 20; i++) {
      const j = jac([[10 * (i % 2 === 0 ? 1 : -1)], [0.1]]);
      const next = tr.update(j, s);
      disposeReplaced(s, next);
      s = next;
      tf.dispose(Object.values(j.blocks));
    }
    const [share] = dominanceSummary(s).map((l) => l.share);
    expect(share![0]!).toBeGreaterThan(0.99);
    disposeState(s);
    expect(() => dominanceTracker({ optimizer: 'rmsprop' as never })).toThrow(ConfigError);
    expect(() => dominanceTracker({ beta: 1 })).toThrow(/beta/);
  });
});
