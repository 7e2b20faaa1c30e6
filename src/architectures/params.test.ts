import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import {
  constantInit,
  createParamStore,
  fans,
  glorotUniform,
  heNormal,
  relativeName,
  taskGroup,
  uniformInit,
  valuesInit,
} from './params.js';

describe('createParamStore', () => {
  it('names variables <scope>/<path>/<name> and groups them', () => {
    const store = createParamStore('demo', ['a', 'b'], createRng(1));
    try {
      const root = store.root;
      const w = root.child('encoder').variable('w', [2, 3], glorotUniform());
      const ha = root
        .child('head')
        .child('a', taskGroup('a'))
        .child('out')
        .variable('k', [3], constantInit(0));
      const hb = root.child('head').child('b', taskGroup('b')).variable('k', [3], constantInit(0));
      expect(store.scope).toBe('demo');
      expect([w.name, ha.name, hb.name]).toEqual([
        'demo/encoder/w',
        'demo/head/a/out/k',
        'demo/head/b/k',
      ]);
      const g = store.groups();
      expect(g.shared).toEqual([w]);
      expect(g.perTask['a']).toEqual([ha]);
      expect(g.perTask['b']).toEqual([hb]);
      expect(g.extra).toEqual([]);
    } finally {
      store.dispose();
    }
  });

  it('gives a second live model of the same id its own scope, and frees names on dispose', () => {
    const s1 = createParamStore('demo', [], createRng(1));
    s1.root.variable('w', [1], constantInit(1));
    const s2 = createParamStore('demo', [], createRng(1));
    s2.root.variable('w', [1], constantInit(1));
    expect(s2.scope).toBe('demo_1');
    expect(relativeName(s2.variables[0]!.name)).toBe(relativeName(s1.variables[0]!.name));
    s1.dispose();
    s2.dispose();
    const s3 = createParamStore('demo', [], createRng(1));
    expect(s3.scope).toBe('demo');
    s3.dispose();
  });

  it('is deterministic given the seed, and each variable draws from its own stream', () => {
    const values = (seed: number, withExtra: boolean): number[] => {
      const s = createParamStore('det', [], createRng(seed));
      if (withExtra) s.root.variable('first', [5], glorotUniform());
      const v = s.root.variable('second', [4], glorotUniform());
      const out = Array.from(v.dataSync());
      s.dispose();
      return out;
    };
    expect(values(3, false)).toEqual(values(3, false));
    expect(values(3, false)).not.toEqual(values(4, false));
  });

  it('rejects duplicate names, bad segments and unknown tasks', () => {
    const s = createParamStore('bad', ['a'], createRng(1));
    try {
      s.root.variable('w', [1], constantInit(0));
      expect(() => s.root.variable('w', [1], constantInit(0))).toThrow(/created twice/);
      expect(() => s.root.child('has space')).toThrow(ConfigError);
      expect(() => s.root.child('x', taskGroup('zzz')).variable('w', [1], constantInit(0))).toThrow(
        /unknown task 'zzz'/,
      );
    } finally {
      s.dispose();
    }
  });

  it('leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const s = createParamStore('leak', [], createRng(1));
    s.root.variable('a', [3, 3], heNormal());
    s.root.variable('b', [3], valuesInit([1, 2, 3]));
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('initialisers', () => {
  it('computes Keras fans for dense and conv kernels', () => {
    expect(fans([4, 6])).toEqual({ fanIn: 4, fanOut: 6 });
    expect(fans([3, 3, 2, 5])).toEqual({ fanIn: 18, fanOut: 45 });
    expect(fans([7])).toEqual({ fanIn: 7, fanOut: 7 });
  });

  it('glorotUniform stays within ±√(6/(fanIn+fanOut)) with variance limit²/3', () => {
    const v = glorotUniform()([40, 60], createRng(2));
    const limit = Math.sqrt(6 / 100);
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(limit);
    const variance = v.reduce((a, x) => a + x * x, 0) / v.length;
    expect(Math.abs(variance / (limit ** 2 / 3) - 1)).toBeLessThan(0.06);
  });

  it('heNormal has variance 2/fanIn', () => {
    const v = heNormal()([50, 80], createRng(3));
    const variance = v.reduce((a, x) => a + x * x, 0) / v.length;
    expect(variance).toBeGreaterThan(0.9 * (2 / 50));
    expect(variance).toBeLessThan(1.1 * (2 / 50));
  });

  it('uniformInit, constantInit and valuesInit produce what they say', () => {
    const u = uniformInit(-0.05, 0.05)([1000], createRng(4));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...u)).toBeLessThan(0.05);
    expect(Array.from(constantInit(2)([2, 2], createRng(0)))).toEqual([2, 2, 2, 2]);
    expect(() => valuesInit([1, 2])([3], createRng(0))).toThrow(/2 values given for shape \[3\]/);
  });
});
