import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { NumericalError, ShapeError } from '../core/errors.js';
import type { TaskJacobian } from '../core/types.js';
import { combine, gramian, jacobianSpec } from './gramian.js';

/** The golden J = [[-4,1,1],[6,1,1]] split into a [2,1] and a [2,2] block. */
function goldenJacobian(): TaskJacobian {
  return {
    tasks: ['a', 'b'],
    blocks: {
      w: tf.tensor2d([[-4], [6]]),
      v: tf.tensor2d([
        [1, 1],
        [1, 1],
      ]),
    },
  };
}

function dispose(j: TaskJacobian): void {
  for (const t of Object.values(j.blocks)) t.dispose();
}

describe('gramian', () => {
  test('golden J: G = [[18, −22], [−22, 38]], accumulated over blocks, no leaks', () => {
    const j = goldenJacobian();
    const before = tf.memory().numTensors;
    const g = gramian(j);
    expect(tf.memory().numTensors).toBe(before);
    expect(g.k).toBe(2);
    expect(Array.from(g.data)).toEqual([18, -22, -22, 38]);
    dispose(j);
  });

  test('matches the host product for multi-dimensional blocks', () => {
    const a = tf.randomNormal([3, 2, 4], 0, 1, 'float32', 7);
    const b = tf.randomNormal([3, 5], 0, 1, 'float32', 8);
    const j: TaskJacobian = { tasks: ['x', 'y', 'z'], blocks: { a, b } };
    const g = gramian(j);
    const flat = tf.concat([a.reshape([3, 8]), b], 1);
    const rows = flat.arraySync() as number[][];
    flat.dispose();
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        const exact = rows[r]!.reduce((s, v, i) => s + v * rows[c]![i]!, 0);
        expect(g.data[r * 3 + c]).toBeCloseTo(exact, 4);
      }
    }
    expect(g.data[1]).toBe(g.data[3]);
    dispose(j);
  });

  test('no blocks gives the zero Gramian; shapes are validated', () => {
    expect(Array.from(gramian({ tasks: ['a', 'b'], blocks: {} }).data)).toEqual([0, 0, 0, 0]);
    const bad: TaskJacobian = { tasks: ['a', 'b', 'c'], blocks: { w: tf.zeros([2, 3]) } };
    expect(() => gramian(bad)).toThrow(ShapeError);
    expect(() => gramian(bad)).toThrow(
      /gramian: block 'w' has shape \[2, 3\] but the Jacobian has 3 tasks/,
    );
    expect(() => gramian({ tasks: [], blocks: {} })).toThrow(/no tasks/);
    dispose(bad);
  });

  test('NaN in a row is a NumericalError naming the task', () => {
    const j: TaskJacobian = {
      tasks: ['ok', 'bad'],
      blocks: {
        w: tf.tensor2d([
          [1, 2],
          [Number.NaN, 1],
        ]),
      },
    };
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      gramian(j);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NumericalError);
    expect((err as NumericalError).task).toBe('bad');
    expect(tf.memory().numTensors).toBe(before);
    dispose(j);
  });
});

describe('combine', () => {
  test('golden J with w = [0.6, 0.4] gives the MGDA direction [0, 1, 1] per block', () => {
    const j = goldenJacobian();
    const before = tf.memory().numTensors;
    const d = combine(j, [0.6, 0.4]);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(d['w']!.shape).toEqual([1]);
    expect(d['v']!.shape).toEqual([2]);
    expect(d['w']!.dataSync()[0]).toBeCloseTo(0, 6);
    expect(Array.from(d['v']!.dataSync())).toEqual([1, 1]);
    for (const t of Object.values(d)) t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    dispose(j);
  });

  test('scalar variables ([K] blocks) and the spec', () => {
    const j: TaskJacobian = { tasks: ['a', 'b'], blocks: { s: tf.tensor1d([2, 3]) } };
    const d = combine(j, [1, -1]);
    expect(d['s']!.shape).toEqual([]);
    expect(d['s']!.dataSync()[0]).toBe(-1);
    expect(jacobianSpec(j)).toEqual({ tasks: ['a', 'b'], blocks: { s: [] } });
    d['s']!.dispose();
    dispose(j);
  });

  test('validates the weights', () => {
    const j = goldenJacobian();
    expect(() => combine(j, [1])).toThrow(/combine: got 1 weights for a Jacobian with 2 tasks/);
    expect(() => combine(j, [1, Number.NaN])).toThrow(NumericalError);
    dispose(j);
  });
});
