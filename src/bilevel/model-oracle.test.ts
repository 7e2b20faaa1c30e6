import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { ParamTree } from '../core/types.js';
import { disposeBatch, splitToBatch } from '../data/batches.js';
import type { DataSplit } from '../data/types.js';
import { stepContext } from '../../test/helpers/step-context.js';
import { autoLambda } from './auto-lambda.js';
import { forum } from './forum.js';
import { createModelOracle } from './model-oracle.js';
import { moml } from './moml.js';

const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'regression' },
];

function tinyModel(): MtlModel {
  const rng = createRng(5);
  const mk = (r: number, c: number, n: string): tf.Variable =>
    tf.variable(
      tf.tensor2d(
        Float32Array.from({ length: r * c }, () => 0.5 * rng.normal()),
        [r, c],
      ),
      true,
      `oracle_${n}`,
    );
  const w = mk(3, 2, 'w');
  const ha = mk(2, 1, 'ha');
  const hb = mk(2, 1, 'hb');
  return {
    architecture: 'oracle-test',
    tasks,
    inputSpec: { numeric: 3, categorical: [] },
    shared: [w],
    perTask: { a: [ha], b: [hb] },
    trunk: (i) => ({ features: [tf.tanh(tf.matMul(i.numeric!, w))] }),
    heads: (f) => ({
      outputs: {
        a: tf.reshape(tf.matMul(f[0]!, ha), [-1]),
        b: tf.reshape(tf.matMul(f[0]!, hb), [-1]),
      },
    }),
    config: {},
    dispose: () => [w, ha, hb].forEach((v) => v.dispose()),
  };
}

function split(seed: number): DataSplit {
  const rng = createRng(seed);
  const n = 8;
  const numeric = new Float32Array(n * 3).map(() => rng.normal());
  return {
    n,
    numeric,
    labels: {
      a: new Float32Array(n).map(() => rng.normal()),
      b: new Float32Array(n).map(() => rng.normal()),
    },
  };
}

describe('createModelOracle', () => {
  const model = tinyModel();
  const rows = Int32Array.from({ length: 8 }, (_, i) => i);
  const batches = {
    inner: splitToBatch(split(1), model.inputSpec, tasks, rows),
    outer: splitToBatch(split(2), model.inputSpec, tasks, rows),
  };
  const forward = { training: true, rng: createRng(0), step: 0 };

  it('gradients match central differences of its own losses; θ is restored; nothing leaks', () => {
    const before = tf.memory().numTensors;
    const o = createModelOracle({ model, batches, learningRate: 0.1, forward });
    const w = Float64Array.of(0.3, 1.7);
    const g = o.gradient('inner', w);
    const j = o.jacobian('inner');
    const h = 1e-2;
    for (const name of Object.keys(o.params)) {
      const theta = o.params[name]!.dataSync();
      const gv = g[name]!.dataSync();
      const jv = j.blocks[name]!.dataSync();
      for (let i = 0; i < theta.length; i++) {
        const shift = (s: number): ParamTree =>
          Object.fromEntries(
            Object.entries(o.params).map(([n, t]) => {
              if (n !== name) return [n, t];
              const v = Float32Array.from(t.dataSync());
              v[i] = v[i]! + s;
              return [n, tf.tensor(v, t.shape)];
            }),
          );
        const p = shift(h);
        const m = shift(-h);
        const lp = o.losses('inner', p);
        const lm = o.losses('inner', m);
        tf.dispose([p[name]!, m[name]!]);
        const fd = (0.3 * (lp[0]! - lm[0]!) + 1.7 * (lp[1]! - lm[1]!)) / (2 * h);
        expect(gv[i]).toBeCloseTo(fd, 2);
        // Jacobian rows combine to the weighted gradient.
        expect(0.3 * jv[i]! + 1.7 * jv[theta.length + i]!).toBeCloseTo(gv[i]!, 4);
      }
      // The variables are back at θ after every evaluation elsewhere.
      const live = model.shared
        .concat(model.perTask['a']!, model.perTask['b']!)
        .find((v) => v.name === name)!;
      expect(Array.from(live.dataSync())).toEqual(Array.from(theta));
    }
    tf.dispose([...Object.values(g), ...Object.values(j.blocks)]);
    o.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('drives auto-lambda, moml and forum on a real model without leaking', () => {
    const before = tf.memory().numTensors;
    for (const m of [autoLambda(), moml(), forum()] as const) {
      const o = createModelOracle({ model, batches, learningRate: 0.1, forward });
      const r = (m as ReturnType<typeof autoLambda>).step(
        o,
        m.init(2) as never,
        stepContext([1, 1]),
      );
      expect(r.weights.every(Number.isFinite)).toBe(true);
      if (r.direction !== undefined) {
        expect(Object.keys(r.direction).sort()).toEqual(Object.keys(o.params).sort());
        tf.dispose(Object.values(r.direction));
      }
      o.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batches.inner);
    disposeBatch(batches.outer);
    model.dispose();
  });
});
