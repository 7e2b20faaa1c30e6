import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { entries } from './entries.js';
import { mmoe } from './mmoe.js';
import { forward } from './model.js';

const spec: InputSpec = { numeric: 2, categorical: [] };
const tasks: TaskSpec[] = [{ id: 'a', kind: 'regression' }];
const opts = { training: false, rng: createRng(0), step: 0 };

/** P(x) = ‖∇_x ŷ(x)‖²: a gradient penalty, whose own gradient is second order in the model. */
function penalty(model: MtlModel, x: tf.Tensor): tf.Scalar {
  const gx = tf.grad((xx: tf.Tensor) => {
    const y = forward(model, { numeric: xx as tf.Tensor2D }, opts).outputs['a'] as tf.Tensor;
    return tf.sum(y);
  })(x);
  return tf.sum(tf.square(gx));
}

function secondOrderError(secondOrderSafe: boolean): number {
  const model = mmoe({
    numExperts: 2,
    expertHidden: [3],
    towerHidden: [],
    activation: 'tanh',
    secondOrderSafe,
  }).build(spec, tasks, createRng(7));
  try {
    const x0 = [0.4, -0.3];
    const analytic = tf.tidy(() => tf.grad((x: tf.Tensor) => penalty(model, x))(tf.tensor2d([x0])));
    const a = Array.from(analytic.dataSync());
    analytic.dispose();
    const eps = 1e-2;
    const fd = x0.map((_, i) => {
      const at = (d: number): number =>
        tf
          .tidy(() => penalty(model, tf.tensor2d([x0.map((v, j) => (j === i ? v + d : v))])))
          .dataSync()[0] as number;
      return (at(eps) - at(-eps)) / (2 * eps);
    });
    const scale = Math.max(...fd.map(Math.abs));
    return Math.max(...a.map((v, i) => Math.abs(v - (fd[i] as number)))) / scale;
  } finally {
    model.dispose();
  }
}

describe('secondOrderSafe', () => {
  it('makes second derivatives through tanh experts and softmax gates match finite differences', () => {
    expect(secondOrderError(true)).toBeLessThan(0.01);
  });

  it('is needed: with TF.js’s own tanh/softmax the same second derivative is wrong (tfjs#3252)', () => {
    expect(secondOrderError(false)).toBeGreaterThan(0.1);
  });
});

describe('architecture options', () => {
  it('every entry rejects unknown options with the list of known ones', () => {
    for (const e of entries) {
      expect(() => e.create({ nonsense: 1 })).toThrow(ConfigError);
      expect(() => e.create({ nonsense: 1 })).toThrow(/known options: .*towerHidden/);
    }
  });

  it('every entry documents its options and builds with the defaults', () => {
    for (const e of entries) {
      for (const [name, o] of Object.entries(e.options)) {
        expect(o.description.length, `${e.id}.${name}`).toBeGreaterThan(5);
      }
      const model = (e.create() as { build: (...a: unknown[]) => MtlModel }).build(
        { numeric: 3, categorical: [{ name: 'c', vocabSize: 4 }] },
        tasks,
        createRng(0),
      );
      expect(JSON.parse(JSON.stringify(model.config))).toEqual(model.config);
      model.dispose();
    }
  });

  it('rejects bad task lists at build time', () => {
    const b = mmoe();
    expect(() => b.build(spec, [], createRng(0))).toThrow(/at least one task/);
    expect(() => b.build(spec, [tasks[0]!, tasks[0]!], createRng(0))).toThrow(/appears twice/);
    expect(() => b.build(spec, [{ id: 'm', kind: 'multiclass' }], createRng(0))).toThrow(
      /numClasses/,
    );
    expect(() => b.build(spec, [{ id: 'a b', kind: 'binary' }], createRng(0))).toThrow(/task id/);
  });
});
