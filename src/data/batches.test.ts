import * as tf from '@tensorflow/tfjs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../core/errors.js';
import type { InputSpec, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { batchIndices, disposeBatch, splitToBatch } from './batches.js';
import type { DataSplit } from './types.js';

const spec: InputSpec = {
  numeric: 2,
  categorical: [{ name: 'c', vocabSize: 5 }],
  image: { height: 1, width: 2, channels: 1 },
};
const tasks: TaskSpec[] = [
  { id: 'b', kind: 'binary' },
  { id: 'm', kind: 'multiclass', numClasses: 3 },
  { id: 'r', kind: 'regression' },
];
const split: DataSplit = {
  n: 4,
  numeric: Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]),
  categorical: Int32Array.from([0, 1, 2, 3]),
  image: Float32Array.from([0.1, 0.2, 1.1, 1.2, 2.1, 2.2, 3.1, 3.2]),
  labels: {
    b: Float32Array.from([1, 0, 1, 0]),
    m: Int32Array.from([2, 1, 0, 2]),
    r: Float32Array.from([0.5, 1.5, 2.5, 3.5]),
  },
  masks: { b: Uint8Array.from([1, 1, 0, 1]) },
  rowWeights: Float32Array.from([1, 2, 3, 4]),
};

describe('splitToBatch', () => {
  it('gathers the rows into tensors of the contract shapes and dtypes', () => {
    const before = tf.memory().numTensors;
    const batch = splitToBatch(split, spec, tasks, [2, 0]);
    expect(batch.size).toBe(2);
    expect(batch.inputs.numeric!.shape).toEqual([2, 2]);
    expect(Array.from(batch.inputs.numeric!.dataSync())).toEqual([20, 21, 0, 1]);
    expect(batch.inputs.categorical!.dtype).toBe('int32');
    expect(Array.from(batch.inputs.categorical!.dataSync())).toEqual([2, 0]);
    expect(batch.inputs.image!.shape).toEqual([2, 1, 2, 1]);
    expect(Array.from(batch.inputs.image!.dataSync())).toEqual([
      expect.closeTo(2.1, 6),
      expect.closeTo(2.2, 6),
      expect.closeTo(0.1, 6),
      expect.closeTo(0.2, 6),
    ]);
    expect(Array.from(batch.targets['b']!.dataSync())).toEqual([1, 1]);
    expect(batch.targets['m']!.dtype).toBe('int32');
    expect(Array.from(batch.targets['m']!.dataSync())).toEqual([0, 2]);
    expect(batch.targets['r']!.dtype).toBe('float32');
    expect(Array.from(batch.masks!['b']!.dataSync())).toEqual([0, 1]);
    expect(Array.from(batch.masks!['m']!.dataSync())).toEqual([1, 1]); // absent = labelled
    expect(Array.from(batch.rowWeights!.dataSync())).toEqual([3, 1]);
    disposeBatch(batch);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('omits absent parts and reports mismatches', () => {
    const numOnly: InputSpec = { numeric: 2, categorical: [] };
    const { n, numeric, labels } = split;
    const s: DataSplit = { n, numeric: numeric!, labels };
    const batch = splitToBatch(s, numOnly, [tasks[0]!], [1]);
    expect(Object.keys(batch.inputs)).toEqual(['numeric']);
    expect(batch.masks).toBeUndefined();
    expect(batch.rowWeights).toBeUndefined();
    disposeBatch(batch);
    expect(() => splitToBatch(s, { numeric: 3, categorical: [] }, tasks, [0])).toThrow(
      new ShapeError(
        'splitToBatch: split.numeric has 8 values, expected n·3 = 12; the split does not match the input spec',
      ),
    );
    expect(() => splitToBatch(s, numOnly, [{ id: 'zz', kind: 'binary' }], [0])).toThrow(
      "splitToBatch: task 'zz' has no labels in the split",
    );
    expect(() => splitToBatch(s, numOnly, tasks, [4])).toThrow(
      'splitToBatch: row index 4 is outside the split (n = 4)',
    );
  });
});

describe('batchIndices', () => {
  test.prop([fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 64 }), fc.integer()])(
    'covers every row exactly once, in batches of batchSize (last one smaller)',
    (n, bs, seed) => {
      const batches = batchIndices(n, bs, createRng(seed));
      const all = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
      batches.slice(0, -1).forEach((b) => expect(b.length).toBe(bs));
      expect(batches).toHaveLength(Math.ceil(n / bs));
    },
  );

  it('is seeded, can keep order and drop the last partial batch', () => {
    const a = batchIndices(10, 4, createRng(1));
    const b = batchIndices(10, 4, createRng(1));
    expect(a).toEqual(b);
    expect(a.map((x) => Array.from(x))).not.toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const ordered = batchIndices(10, 4, createRng(1), { shuffle: false, dropLast: true });
    expect(ordered.map((x) => Array.from(x))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(() => batchIndices(10, 0, createRng(1))).toThrow(ConfigError);
  });
});
