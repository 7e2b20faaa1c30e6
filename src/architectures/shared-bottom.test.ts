import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import type { InputSpec, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { forward } from './model.js';
import { sharedBottom } from './shared-bottom.js';
import { disposeSyntheticBatch, syntheticBatch, trainBriefly } from './verify.js';

const opts = { training: false, rng: createRng(0), step: 0 };

describe('shared-bottom', () => {
  it('computes ŷ_k = tower_k(relu(x·W + b)) (golden, hand-set weights)', () => {
    const spec: InputSpec = { numeric: 2, categorical: [] };
    const tasks: TaskSpec[] = [
      { id: 'r', kind: 'regression' },
      { id: 'm', kind: 'multiclass', numClasses: 2 },
    ];
    const model = sharedBottom({ hidden: [2], towerHidden: [] }).build(spec, tasks, createRng(0));
    const set: Record<string, number[][] | number[]> = {
      'shared-bottom/bottom/dense0/kernel': [
        [1, -1],
        [2, 0.5],
      ],
      'shared-bottom/bottom/dense0/bias': [0, 1],
      'shared-bottom/head/r/out/kernel': [[1], [-2]],
      'shared-bottom/head/r/out/bias': [0.5],
      'shared-bottom/head/m/out/kernel': [
        [1, 0],
        [0, 1],
      ],
      'shared-bottom/head/m/out/bias': [0, 0],
    };
    for (const v of [...model.shared, ...Object.values(model.perTask).flat()]) {
      v.assign(tf.tensor(set[v.name] as number[], v.shape));
    }
    // x = [1, 1]: h = relu([3, −0.5] + [0, 1]) = [3, 0.5]; r = 3 − 1 + 0.5 = 2.5; m = [3, 0.5].
    // x = [−1, 0]: h = relu([−1, 1] + [0, 1]) = [0, 2]; r = 0 − 4 + 0.5 = −3.5; m = [0, 2].
    const out = forward(
      model,
      {
        numeric: tf.tensor2d([
          [1, 1],
          [-1, 0],
        ]),
      },
      opts,
    );
    expect(Array.from(out.outputs['r']!.dataSync())).toEqual([2.5, -3.5]);
    expect(out.outputs['m']!.arraySync()).toEqual([
      [3, 0.5],
      [0, 2],
    ]);
    tf.dispose(out as unknown as tf.TensorContainer);
    model.dispose();
  });

  it('learns image tasks on the LeNet-like trunk', () => {
    const spec: InputSpec = {
      numeric: 0,
      categorical: [],
      image: { height: 12, width: 12, channels: 1 },
    };
    const tasks: TaskSpec[] = [
      { id: 'left', kind: 'multiclass', numClasses: 3 },
      { id: 'right', kind: 'multiclass', numClasses: 3 },
    ];
    const model = sharedBottom({
      hidden: [16],
      convFilters: [3, 4],
      convKernels: [3, 3],
      imageDense: 16,
      towerHidden: [],
    }).build(spec, tasks, createRng(4));
    const batch = syntheticBatch(spec, tasks, 24, 6);
    const r = trainBriefly(model, batch, { steps: 40, learningRate: 0.02 });
    for (const t of tasks) expect(r.after[t.id]).toBeLessThan(0.8 * r.before[t.id]!);
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('validates its options at factory time, naming the option', () => {
    expect(() => sharedBottom({ hidden: [0] })).toThrow(
      /`hidden` must be a list of positive integers/,
    );
    expect(() => sharedBottom({ hiden: [3] })).toThrow(/unknown option `hiden`/);
    expect(() => sharedBottom({ activation: 'gelu' })).toThrow(ConfigError);
    expect(() => sharedBottom({ convFilters: [2], convKernels: [3, 3] })).toThrow(/same length/);
  });
});
