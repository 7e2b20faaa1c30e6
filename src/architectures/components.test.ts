import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import {
  componentLayer,
  mixComponents,
  mlpExperts,
  softmaxGate,
  utilisation,
} from './components.js';
import { conv2d, dense, maxPool, sequential } from './layers.js';
import { nonlinearOps } from './ops.js';
import { createParamStore } from './params.js';

const ops = nonlinearOps(false);

describe('mixComponents', () => {
  const stacked = tf.tensor3d([
    [
      [1, 2],
      [10, 20],
    ],
    [
      [3, 4],
      [30, 40],
    ],
  ]); // [B=2, C=2, H=2]

  it('weights each row by its own gate (golden)', () => {
    const out = tf.tidy(() =>
      mixComponents(
        stacked,
        tf.tensor2d([
          [1, 0],
          [0.5, 0.5],
        ]),
      ),
    );
    expect(out.arraySync()).toEqual([
      [1, 2],
      [16.5, 22],
    ]);
    out.dispose();
  });

  it('broadcasts batch-wide weights [C] (golden), also over conv maps', () => {
    const out = tf.tidy(() => mixComponents(stacked, tf.tensor1d([0.25, 0.75])));
    expect(out.arraySync()).toEqual([
      [7.75, 15.5],
      [23.25, 31],
    ]);
    out.dispose();
    const maps = tf.ones([2, 3, 4, 4, 2]);
    const m = tf.tidy(() => mixComponents(maps, tf.tensor1d([0.2, 0.3, 0.5])));
    expect(m.shape).toEqual([2, 4, 4, 2]);
    expect(m.dataSync().every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    tf.dispose([maps, m]);
  });

  it('rejects weights for another number of components', () => {
    const w = tf.tensor1d([1, 0, 0]);
    expect(() => mixComponents(stacked, w)).toThrow(ShapeError);
    w.dispose();
  });
});

describe('component layers and gates', () => {
  it('stacks C components [B, C, H] and names them <prefix><i>', () => {
    const store = createParamStore('comp', [], createRng(0));
    try {
      const layer = mlpExperts(store.root, 3, 4, [5], ops, 'relu');
      expect(layer.outShape).toEqual([5]);
      expect(store.variables.map((v) => v.name)).toContain('comp/expert2/dense0/kernel');
      const y = tf.tidy(() => layer.applyAll(tf.ones([2, 4])));
      expect(y.shape).toEqual([2, 3, 5]);
      y.dispose();
      expect(() =>
        componentLayer(store.root.child('bad'), 2, (s, i) => dense(s, 4, i + 1, ops)),
      ).toThrow(/must share one shape/);
    } finally {
      store.dispose();
    }
  });

  it('serves routed layers: conv components mixed by per-task allocation weights', () => {
    // A Gumbel-Matrix-style routed layer: C conv blocks, task mask z ∈ {0,1}^C, mean of the
    // selected components a = z / max(Σz, 1).
    const store = createParamStore('routed', [], createRng(1));
    try {
      const layer = componentLayer(
        store.root.child('layer0'),
        3,
        (s) => {
          const conv = conv2d(s, [6, 6, 1], 2, 3, ops, { activation: 'relu' });
          return sequential([conv, maxPool([4, 4, 2])], [6, 6, 1]);
        },
        'component',
      );
      expect(layer.outShape).toEqual([2, 2, 2]);
      const rng = createRng(5);
      const x = tf.tensor4d(
        Array.from({ length: 72 }, () => rng.normal()),
        [2, 6, 6, 1],
      );
      const stacked = tf.tidy(() => layer.applyAll(x));
      const z = [1, 0, 1];
      const mixed = tf.tidy(() => mixComponents(stacked, tf.tensor1d(z.map((v) => v / 2))));
      const expected = tf.tidy(() =>
        tf.div(tf.add(layer.components[0]!.apply(x), layer.components[2]!.apply(x)), 2),
      );
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(mixed, expected))));
      expect(diff.dataSync()[0]).toBeLessThan(1e-6);
      tf.dispose([x, stacked, mixed, expected, diff]);
    } finally {
      store.dispose();
    }
  });

  it('softmax gates put every row on the simplex; utilisation averages them', () => {
    const store = createParamStore('gate', [], createRng(0));
    try {
      const gate = softmaxGate(store.root, 3, 4, ops);
      const rng = createRng(2);
      const x = tf.tensor2d(
        Array.from({ length: 15 }, () => rng.normal()),
        [5, 3],
      );
      const w = tf.tidy(() => gate.apply(x));
      const rows = w.arraySync() as number[][];
      for (const r of rows) expect(r.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      const fixed = tf.tensor1d([1, 0, 0, 0]);
      const u = utilisation([w, fixed]);
      const expected = [0, 1, 2, 3].map(
        (e) => (rows.reduce((s, r) => s + (r[e] as number), 0) / 5 + (e === 0 ? 1 : 0)) / 2,
      );
      Array.from(u.dataSync()).forEach((v, e) => expect(v).toBeCloseTo(expected[e] as number, 5));
      tf.dispose([x, w, u, fixed]);
    } finally {
      store.dispose();
    }
  });
});
