import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { GradientTransformation, ParamTree } from '../core/types.js';
import { defaultRegistry } from '../registry/index.js';
import { deserializeState, disposeReplaced, disposeState, serializeState } from '../train/state.js';
import { adagrad } from './adagrad.js';
import { adam } from './adam.js';
import { chain, clipByGlobalNorm } from './chain.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';

// A small non-quadratic regression problem: W [3, 2], b [2].
const X = [0.5, -1, 2, 1.5, 0.3, -0.7, -1.2, 0.8, 0.1, 0.9, -0.4, 1.1];
const Y = [1, -1, 0.5, 2, -0.5, 0.25, 0.75, -1.5];
const W0 = [0.1, -0.2, 0.3, 0.05, -0.15, 0.2];

function problem(tag: string) {
  const w = tf.tidy(() => tf.variable(tf.tensor2d(W0, [3, 2]), true, `W_${tag}`));
  const b = tf.tidy(() => tf.variable(tf.tensor1d([0.1, -0.1]), true, `b_${tag}`));
  const loss = (): tf.Scalar =>
    tf.tidy(() => {
      const x = tf.tensor2d(X, [4, 3]);
      const y = tf.tensor2d(Y, [4, 2]);
      const err = tf.sub(tf.add(tf.matMul(x, w), b), y);
      return tf.add(tf.mean(tf.square(err)), tf.mul(0.1, tf.sum(tf.tanh(w)))) as tf.Scalar;
    });
  return { w, b, loss };
}

/** Runs `steps` of our transform; returns the final parameter values. */
function runOurs(t: GradientTransformation, steps: number, tag: string): number[] {
  const p = problem(tag);
  const params: ParamTree = { w: p.w, b: p.b };
  let state = t.init(params);
  for (let i = 0; i < steps; i++) {
    const { value, grads } = tf.variableGrads(p.loss, [p.w, p.b]);
    const g = { w: grads[p.w.name]!, b: grads[p.b.name]! };
    const r = t.update(g, state, params);
    disposeReplaced(state, r.state);
    state = r.state;
    tf.tidy(() => {
      p.w.assign(tf.add(p.w, r.updates['w']!));
      p.b.assign(tf.add(p.b, r.updates['b']!));
    });
    tf.dispose([value, ...Object.values(g), ...Object.values(r.updates)]);
  }
  disposeState(state);
  const out = [...p.w.dataSync(), ...p.b.dataSync()];
  tf.dispose([p.w, p.b]);
  return out;
}

function runTfjs(opt: tf.Optimizer, steps: number, tag: string): number[] {
  const p = problem(tag);
  for (let i = 0; i < steps; i++) tf.dispose(opt.minimize(p.loss, false, [p.w, p.b]) ?? []);
  const out = [...p.w.dataSync(), ...p.b.dataSync()];
  tf.dispose([p.w, p.b]);
  opt.dispose();
  return out;
}

function maxRelDiff(a: number[], b: number[]): number {
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(1e-3, Math.abs(b[i]!))));
}

let tag = 0;
const cases: [string, () => GradientTransformation, () => tf.Optimizer][] = [
  ['sgd', () => sgd({ learningRate: 0.1 }), () => tf.train.sgd(0.1)],
  [
    'sgd + momentum',
    () => sgd({ learningRate: 0.05, momentum: 0.9 }),
    () => tf.train.momentum(0.05, 0.9),
  ],
  [
    'sgd + nesterov',
    () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true }),
    () => tf.train.momentum(0.05, 0.8, true),
  ],
  [
    'adam',
    () => adam({ learningRate: 0.05, epsilon: 1e-7 }),
    () => tf.train.adam(0.05, 0.9, 0.999, 1e-7),
  ],
  [
    'adam (β 0.8/0.95, ε 1e-4)',
    () => adam({ learningRate: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 1e-4 }),
    () => tf.train.adam(0.02, 0.8, 0.95, 1e-4),
  ],
  ['rmsprop', () => rmsprop({ learningRate: 0.01 }), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
  [
    'rmsprop + momentum',
    () => rmsprop({ learningRate: 0.005, decay: 0.8, momentum: 0.5, epsilon: 1e-6 }),
    () => tf.train.rmsprop(0.005, 0.8, 0.5, 1e-6),
  ],
  ['adagrad', () => adagrad({ learningRate: 0.1 }), () => tf.train.adagrad(0.1, 0.1)],
];

describe('optimisers equal their tf.train counterparts', () => {
  it.each(cases)('%s (25 steps)', (_, ours, theirs) => {
    tag++;
    const before = tf.memory().numTensors;
    const a = runOurs(ours(), 25, `o${tag}`);
    expect(tf.memory().numTensors).toBe(before);
    const b = runTfjs(theirs(), 25, `t${tag}`);
    expect(maxRelDiff(a, b)).toBeLessThan(1e-4);
    // Moved away from the start (the comparison is not vacuous).
    expect(Math.abs(a[0]! - W0[0]!)).toBeGreaterThan(1e-3);
  });
});

describe('centered rmsprop', () => {
  // tf.train.rmsprop's centered variant returns NaN on this problem (it subtracts ε), so the
  // reference is a float64 host implementation of the TensorFlow/Keras formula.
  it('matches a float64 reference on a fixed gradient sequence', () => {
    const [lr, rho, mu, eps] = [0.01, 0.8, 0.5, 1e-6];
    const t = rmsprop({ learningRate: lr, decay: rho, momentum: mu, epsilon: eps, centered: true });
    const grads = [
      [0.5, -1, 2],
      [0.4, -1.2, 0.1],
      [0.6, 0.3, -2],
      [0.5, -0.9, 1.5],
      [0.45, -1.1, 0.2],
    ];
    let state = t.init({ p: tf.zeros([3]) });
    const s = [0, 0, 0];
    const m = [0, 0, 0];
    const a = [0, 0, 0];
    for (const g of grads) {
      const r = t.update({ p: tf.tensor1d(g) }, state);
      state = r.state;
      const got = Array.from(r.updates['p']!.dataSync());
      for (let i = 0; i < 3; i++) {
        s[i] = rho * s[i]! + (1 - rho) * g[i]! ** 2;
        m[i] = rho * m[i]! + (1 - rho) * g[i]!;
        a[i] = mu * a[i]! + (lr * g[i]!) / Math.sqrt(s[i]! - m[i]! ** 2 + eps);
        expect(got[i]).toBeCloseTo(-a[i]!, 5);
      }
    }
  });
});

describe('transforms', () => {
  it('clipByGlobalNorm rescales to maxNorm only when above it', () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([4]) };
    const clipped = clipByGlobalNorm({ maxNorm: 1 }).update(g, null).updates;
    expect(Array.from(clipped['a']!.dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
    expect(clipped['b']!.dataSync()[0]).toBeCloseTo(0.8, 6);
    const same = clipByGlobalNorm({ maxNorm: 10 }).update(g, null).updates;
    expect(Array.from(same['a']!.dataSync())).toEqual([3, 0]);
    tf.dispose([g, clipped, same] as unknown as tf.Tensor[]);
  });

  it('chain(clip, sgd) equals sgd on the clipped gradient, without leaks', () => {
    const before = tf.memory().numTensors;
    const g = { a: tf.tensor1d([30, 40]) };
    const t = chain(clipByGlobalNorm({ maxNorm: 5 }), sgd({ learningRate: 0.1 }));
    const s = t.init(g);
    const r = t.update(g, s);
    expect(Array.from(r.updates['a']!.dataSync())).toEqual([
      expect.closeTo(-0.3, 6),
      expect.closeTo(-0.4, 6),
    ]);
    tf.dispose([g['a'], r.updates['a']!]);
    disposeState(r.state);
    disposeState(s);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => chain()).toThrow(ConfigError);
  });

  it('keeps the state of parameters without a gradient and rejects unknown ones', () => {
    const params = { a: tf.zeros([2]), b: tf.zeros([3]) };
    const t = adam();
    const s = t.init(params);
    const r = t.update({ a: tf.ones([2]) }, s);
    expect(r.state.m['b']).toBe(s.m['b']);
    expect(r.state.m['a']).not.toBe(s.m['a']);
    expect(() => t.update({ c: tf.ones([1]) }, s)).toThrow(ShapeError);
    expect(() => t.update({ a: tf.ones([3]) }, s)).toThrow(/shape \[3\]/);
    expect(() => adam({ beta1: 1.5 })).toThrow(ConfigError);
    expect(() => sgd({ learningRat: 1 } as never)).toThrow(/unknown option `learningRat`/);
  });

  it('states serialise and restore exactly; a restored run continues identically', () => {
    const t = adam({ learningRate: 0.1 });
    const params = { a: tf.tensor1d([1, 2]) };
    let s = t.init(params);
    const step = (st: typeof s): { u: number[]; s: typeof s } => {
      const r = t.update({ a: tf.tensor1d([0.5, -2]) }, st);
      return { u: Array.from(r.updates['a']!.dataSync()), s: r.state };
    };
    s = step(s).s;
    const saved = serializeState(s);
    const restored = deserializeState(
      JSON.parse(JSON.stringify(saved.json)),
      saved.buffers,
    ) as typeof s;
    expect(restored.count).toBe(1);
    expect(step(s).u).toEqual(step(restored).u);
  });
});

describe('registry entries', () => {
  it.each(['sgd', 'adam', 'rmsprop', 'adagrad'])('%s is registered as an optimizer', (id) => {
    const e = defaultRegistry.get(id);
    expect(e.kind).toBe('optimizer');
    const t = defaultRegistry.create<GradientTransformation>(
      id,
      { learningRate: 0.5 },
      'optimizer',
    );
    expect(t.id).toBe(id);
    expect(t.config['learningRate']).toBe(0.5);
  });
});
