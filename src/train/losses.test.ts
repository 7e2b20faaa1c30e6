import { fc, test as propTest } from '@fast-check/vitest';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { TaskSpec } from '../core/model.js';
import { maskedTaskLoss, resolveLoss, rowLosses, taskLosses, validateTasks } from './losses.js';

const bin: TaskSpec = { id: 'ctr', kind: 'binary' };
const reg: TaskSpec = { id: 'y', kind: 'regression' };
const mc: TaskSpec = { id: 'c', kind: 'multiclass', numClasses: 3 };

function values(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

const softplus64 = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe('rowLosses', () => {
  it('logloss matches the float64 formula, stably for large logits', () => {
    const z = [0, 2, -3, 50, -50, 30];
    const y = [1, 0, 1, 1, 0, 0];
    const got = values(rowLosses(bin, tf.tensor1d(z), tf.tensor1d(y)));
    z.forEach((zi, i) => {
      const want = y[i]! * softplus64(-zi) + (1 - y[i]!) * softplus64(zi);
      expect(got[i]).toBeCloseTo(want, 5);
    });
    expect(got[5]).toBeCloseTo(30, 4);
    expect(got.every(Number.isFinite)).toBe(true);
  });

  it('logloss gradient is σ(z) − y and its second derivative σ(1 − σ) (second-order safe)', () => {
    const z = tf.tensor1d([-1.5, 0.3, 2]);
    const y = tf.tensor1d([1, 0, 1]);
    const f = (t: tf.Tensor): tf.Tensor => tf.sum(rowLosses(bin, t, y));
    const g = values(tf.grad(f)(z));
    const h = values(tf.grad((t: tf.Tensor) => tf.sum(tf.grad(f)(t)))(z));
    [-1.5, 0.3, 2].forEach((zi, i) => {
      const s = 1 / (1 + Math.exp(-zi));
      expect(g[i]).toBeCloseTo(s - [1, 0, 1][i]!, 5);
      expect(h[i]).toBeCloseTo(s * (1 - s), 5);
    });
    tf.dispose([z, y]);
  });

  it('cross-entropy from logits with integer targets', () => {
    const logits = tf.tensor2d([
      [1, 2, 3],
      [0, 0, 0],
      [10, -10, 0],
    ]);
    const got = values(rowLosses(mc, logits, tf.tensor1d([2, 0, 1], 'int32')));
    expect(got[0]).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3, 5);
    expect(got[1]).toBeCloseTo(Math.log(3), 5);
    expect(got[2]).toBeCloseTo(20 + Math.log1p(Math.exp(-10) + Math.exp(-20)), 3);
  });

  it('mse and mae', () => {
    const p = tf.tensor1d([1, -2, 0.5]);
    const t = tf.tensor1d([0, 1, 0.5]);
    expect(values(rowLosses(reg, p, t))).toEqual([1, 9, 0]);
    expect(values(rowLosses({ ...reg, loss: 'mae' }, p, t))).toEqual([1, 3, 0]);
  });

  it('rejects mis-shaped outputs naming the task', () => {
    expect(() => rowLosses(mc, tf.zeros([2, 4]), tf.tensor1d([0, 1], 'int32'))).toThrow(ShapeError);
    expect(() => rowLosses(reg, tf.zeros([2, 1]), tf.tensor1d([0, 1]))).toThrow(/task 'y'/);
  });
});

describe('validation', () => {
  it('defaults losses by kind and rejects impossible pairs', () => {
    expect(resolveLoss(bin)).toBe('logloss');
    expect(resolveLoss(reg)).toBe('mse');
    expect(resolveLoss(mc)).toBe('cross-entropy');
    expect(() => resolveLoss({ id: 'a', kind: 'regression', loss: 'logloss' })).toThrow(
      ConfigError,
    );
    expect(() => resolveLoss({ id: 'a', kind: 'multiclass' })).toThrow(/numClasses/);
    expect(() => validateTasks([bin, { ...bin }])).toThrow(/duplicate task id 'ctr'/);
    expect(() => validateTasks([])).toThrow(ConfigError);
  });
});

describe('maskedTaskLoss', () => {
  it('is the mean over labelled rows; NaN targets of unlabelled rows never reach the gradient', () => {
    const out = tf.tensor1d([1, 2, 3, 4]);
    const y = tf.tensor1d([0, NaN, 1, NaN]);
    const m = tf.tensor1d([1, 0, 1, 0]);
    const { loss, labelled } = maskedTaskLoss(reg, out, y, m);
    expect(values(loss)[0]).toBeCloseTo((1 + 4) / 2, 6);
    expect(values(labelled)[0]).toBe(2);
    const g = values(tf.grad((o: tf.Tensor) => maskedTaskLoss(reg, o, y, m).loss)(out));
    expect(g).toEqual([1, 0, 2, 0]);
    tf.dispose([out, y, m]);
  });

  it('a task with no labelled row has loss 0 and a zero (finite) gradient', () => {
    const out = tf.tensor1d([1, 2]);
    const y = tf.tensor1d([NaN, NaN]);
    const m = tf.tensor1d([0, 0]);
    const r = maskedTaskLoss(bin, out, y, m);
    expect(values(r.loss)).toEqual([0]);
    expect(values(r.labelled)).toEqual([0]);
    expect(values(tf.grad((o: tf.Tensor) => maskedTaskLoss(bin, o, y, m).loss)(out))).toEqual([
      0, 0,
    ]);
    tf.dispose([out, y, m]);
  });

  it('row weights give a weighted mean', () => {
    const out = tf.tensor1d([1, 2, 3]);
    const y = tf.tensor1d([0, 0, 0]);
    const w = tf.tensor1d([1, 0, 3]);
    expect(values(maskedTaskLoss(reg, out, y, undefined, w).loss)[0]).toBeCloseTo((1 + 27) / 4, 5);
    tf.dispose([out, y, w]);
  });

  propTest.prop([
    fc.array(
      fc.record({
        o: fc.double({ min: -5, max: 5, noNaN: true }),
        t: fc.double({ min: -5, max: 5, noNaN: true }),
        m: fc.boolean(),
      }),
      { minLength: 1, maxLength: 12 },
    ),
  ])('equals the plain mean over the labelled subset', (rows) => {
    const before = tf.memory().numTensors;
    const r = maskedTaskLoss(
      reg,
      tf.tensor1d(rows.map((x) => x.o)),
      tf.tensor1d(rows.map((x) => (x.m ? x.t : NaN))),
      tf.tensor1d(rows.map((x) => (x.m ? 1 : 0))),
    );
    const got = values(r.loss)[0]!;
    r.labelled.dispose();
    const kept = rows.filter((x) => x.m);
    const want =
      kept.length === 0 ? 0 : kept.reduce((s, x) => s + (x.o - x.t) ** 2, 0) / kept.length;
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, want));
    // The three input tensors above are the only survivors of the call.
    expect(tf.memory().numTensors - before).toBe(3);
  });
});

describe('taskLosses', () => {
  it('computes every task, counts labelled rows and does not leak', () => {
    const before = tf.memory().numTensors;
    const outputs = { ctr: tf.tensor1d([0, 1]), y: tf.tensor1d([1, 1]) };
    const batch = {
      targets: { ctr: tf.tensor1d([1, 0]), y: tf.tensor1d([0, 3]) },
      masks: { y: tf.tensor1d([0, 1]) },
    };
    const r = taskLosses([bin, reg], outputs, batch);
    expect(values(r.perTask[0]!)[0]).toBeCloseTo((Math.log(2) + softplus64(1)) / 2, 5);
    expect(values(r.perTask[1]!)[0]).toBeCloseTo(4, 6);
    expect(values(r.labelled)).toEqual([2, 1]);
    tf.dispose([outputs, batch.targets, batch.masks]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names a task whose output or target is missing', () => {
    const o = { ctr: tf.tensor1d([0]) };
    expect(() => taskLosses([bin, reg], o, { targets: { ctr: tf.tensor1d([1]) } })).toThrow(
      /no output for task 'y'/,
    );
    expect(() => taskLosses([bin], o, { targets: {} })).toThrow(/no targets for task 'ctr'/);
  });
});
