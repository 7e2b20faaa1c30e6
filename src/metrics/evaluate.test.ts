import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../core/errors.js';
import type { MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { DataSplit } from '../data/types.js';
import { auc } from './auc.js';
import { evaluate } from './evaluate.js';
import {
  binaryLogloss,
  meanSquaredError,
  multiclassAccuracy,
  multiclassLogloss,
} from './task-metrics.js';

const tasks: TaskSpec[] = [
  { id: 'b', kind: 'binary' },
  { id: 'm', kind: 'multiclass', numClasses: 3 },
  { id: 'r', kind: 'regression' },
];

// Linear heads on 2 numeric inputs: b = x·wb, m = x·Wm (2×3), r = x·wr (as [B, 1]).
const wb = [1.5, -2];
const Wm = [1, 0, -1, 0, 1, 2];
const wr = [0.5, 0.25];

function linearModel(badHead = false): MtlModel {
  const shared = tf.variable(tf.tensor2d([1, 0, 0, 1], [2, 2]));
  const vb = tf.variable(tf.tensor2d(wb, [2, 1]));
  const vm = tf.variable(tf.tensor2d(Wm, [2, 3]));
  const vr = tf.variable(tf.tensor2d(wr, [2, 1]));
  return {
    architecture: 'test-linear',
    tasks,
    inputSpec: { numeric: 2, categorical: [] },
    shared: [shared],
    perTask: { b: [vb], m: [vm], r: [vr] },
    trunk: (inputs) => ({ features: [tf.matMul(inputs.numeric!, shared)] }),
    heads: ([h]) => ({
      outputs: {
        b: badHead ? tf.matMul(h!, vm) : tf.reshape(tf.matMul(h!, vb), [-1]),
        m: tf.matMul(h!, vm),
        r: tf.matMul(h!, vr),
      },
    }),
    config: {},
    dispose: () => tf.dispose([shared, vb, vm, vr]),
  };
}

const X = [0.2, 0.1, -1, 0.5, 0.3, -0.4, 2, 1, -0.5, -0.5, 1, -1, 0, 0.7];
const split: DataSplit = {
  n: 7,
  numeric: Float32Array.from(X),
  labels: {
    b: Float32Array.from([1, 0, 1, 1, 0, 1, 0]),
    m: Int32Array.from([0, 2, 0, 1, 2, 0, 2]),
    r: Float32Array.from([0.1, 0, 0.2, 1.2, -0.4, 0.2, 0.3]),
  },
  masks: {
    b: Uint8Array.from([1, 1, 1, 1, 1, 1, 0]),
    m: Uint8Array.from([1, 1, 1, 1, 1, 1, 1]),
    r: Uint8Array.from([1, 1, 1, 1, 1, 1, 1]),
  },
};

// Host reference outputs with float32 rounding of the inputs.
const xs = Array.from(Float32Array.from(X));
const row = (i: number): [number, number] => [xs[2 * i]!, xs[2 * i + 1]!];
const outB = Array.from({ length: 7 }, (_, i) => row(i)[0] * wb[0]! + row(i)[1] * wb[1]!);
const outM = Array.from({ length: 7 }, (_, i) =>
  [0, 1, 2].map((c) => row(i)[0] * Wm[c]! + row(i)[1] * Wm[3 + c]!),
).flat();
const outR = Array.from({ length: 7 }, (_, i) => row(i)[0] * wr[0]! + row(i)[1] * wr[1]!);

const models: MtlModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

describe('evaluate', () => {
  it('matches host metrics of the same linear model, for any batch size, without leaks', async () => {
    const model = linearModel();
    models.push(model);
    const before = tf.memory().numTensors;
    const r3 = await evaluate(model, split, { batchSize: 3, rng: createRng(1) });
    expect(tf.memory().numTensors).toBe(before);
    const r7 = await evaluate(model, split, { batchSize: 7, rng: createRng(1) });
    const mb = split.masks!['b']!;
    expect(r3.perTask['b']).toEqual({
      auc: expect.closeTo(auc(outB, split.labels['b']!, mb), 12),
      logloss: expect.closeTo(
        binaryLogloss(outB, split.labels['b']!, { from: 'logits', mask: mb }),
        5,
      ),
      accuracy: expect.closeTo(5 / 6, 12), // only row 5 (logit 0.25, label 0) is wrong
    });
    expect(r3.counts).toEqual({ b: 6, m: 7, r: 7 });
    expect(r3.perTask['m']).toEqual({
      accuracy: expect.closeTo(multiclassAccuracy(outM, split.labels['m']!, 3), 12),
      logloss: expect.closeTo(
        multiclassLogloss(outM, split.labels['m']!, 3, { from: 'logits' }),
        5,
      ),
    });
    expect(r3.perTask['r']!['mse']).toBeCloseTo(meanSquaredError(outR, split.labels['r']!), 5);
    for (const t of ['b', 'm', 'r']) {
      for (const [k, v] of Object.entries(r7.perTask[t]!))
        expect(r3.perTask[t]![k]).toBeCloseTo(v, 6);
    }
    expect(r3.average['logloss']).toBeCloseTo(
      (r3.perTask['b']!['logloss']! + r3.perTask['m']!['logloss']!) / 2,
      12,
    );
    expect(r3.average['accuracy']).toBeCloseTo((5 / 6 + r3.perTask['m']!['accuracy']!) / 2, 12);
    expect(r3.warnings).toEqual([]);
  });

  it('reports a head with the wrong output shape, and still frees every tensor', async () => {
    const model = linearModel(true);
    models.push(model);
    const before = tf.memory().numTensors;
    await expect(evaluate(model, split, { batchSize: 4, rng: createRng(1) })).rejects.toThrow(
      new ShapeError("evaluate: head output of task 'b' has shape [4, 3], expected [4]"),
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('flags an undefined AUC on a one-class split', async () => {
    const model = linearModel();
    models.push(model);
    const oneClass: DataSplit = {
      ...split,
      labels: { ...split.labels, b: new Float32Array(7).fill(1) },
    };
    const r = await evaluate(model, oneClass, { batchSize: 8, rng: createRng(1) });
    expect(r.perTask['b']!['auc']).toBeNaN();
    expect(r.warnings).toContain(
      "task 'b': AUC is undefined (NaN) because the 6 labelled rows are all positive",
    );
    expect(r.warnings).toContain("average auc: task 'b' skipped (its auc is NaN)");
  });
});
