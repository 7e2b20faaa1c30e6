import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { InputSpec, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { forward } from './model.js';
import { mtan } from './mtan.js';
import { disposeSyntheticBatch, syntheticBatch, trainBriefly } from './verify.js';

const imageSpec: InputSpec = {
  numeric: 0,
  categorical: [],
  image: { height: 12, width: 12, channels: 1 },
};
const tasks: TaskSpec[] = [
  { id: 'left', kind: 'multiclass', numClasses: 3 },
  { id: 'right', kind: 'binary' },
];
const tiny = { convFilters: [3, 4], convKernels: [3, 3], towerHidden: [8] };
const opts = { training: false, rng: createRng(0), step: 0 };

describe('mtan', () => {
  it('attends to every conv stage: one mask per task and stage, values in (0, 1)', () => {
    const model = mtan(tiny).build(imageSpec, tasks, createRng(1));
    const batch = syntheticBatch(imageSpec, tasks, 4, 1);
    const att = model.diagnostics!(batch.inputs, opts)['attention'] as Record<string, number[]>;
    for (const t of tasks) {
      expect(att[t.id]).toHaveLength(2);
      for (const m of att[t.id]!) {
        expect(m).toBeGreaterThan(0);
        expect(m).toBeLessThan(1);
      }
    }
    // The image trunk's conv stages are shared; attention modules belong to their task.
    expect(model.shared.map((v) => v.name)).toEqual([
      'mtan/encoder/image/conv0/kernel',
      'mtan/encoder/image/conv0/bias',
      'mtan/encoder/image/conv1/kernel',
      'mtan/encoder/image/conv1/bias',
    ]);
    expect(model.perTask['left']!.map((v) => v.name)).toContain(
      'mtan/task/left/attention1/b/kernel',
    );
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('a closed mask (σ → 0) cuts the task off from the image: every row gets the same output', () => {
    const model = mtan(tiny).build(imageSpec, tasks, createRng(2));
    for (const v of model.perTask['right']!) {
      if (v.name.endsWith('attention1/b/kernel')) v.assign(tf.zerosLike(v));
      if (v.name.endsWith('attention1/b/bias')) v.assign(tf.fill(v.shape, -200));
    }
    const batch = syntheticBatch(imageSpec, tasks, 5, 3);
    const out = forward(model, batch.inputs, opts);
    const right = Array.from(out.outputs['right']!.dataSync());
    for (const r of right) expect(r).toBe(right[0]);
    const left = Array.from(out.outputs['left']!.dataSync());
    expect(new Set(left).size).toBeGreaterThan(1); // the other task still sees the images
    tf.dispose(out as unknown as tf.TensorContainer);
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('learns image tasks: a short seeded run lowers both losses', () => {
    const model = mtan(tiny).build(imageSpec, tasks, createRng(3));
    const batch = syntheticBatch(imageSpec, tasks, 24, 5);
    const r = trainBriefly(model, batch, { steps: 40, learningRate: 0.02 });
    for (const t of tasks) expect(r.after[t.id]).toBeLessThan(0.8 * r.before[t.id]!);
    model.dispose();
    disposeSyntheticBatch(batch);
  });
});
