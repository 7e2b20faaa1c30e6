import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { InputSpec, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { crossStitch, initialAlpha, stitch } from './cross-stitch.js';
import { disposeSyntheticBatch, syntheticBatch, trainBriefly } from './verify.js';

describe('cross-stitch units', () => {
  it('initialises α with alphaSame on the diagonal and rows summing to 1 (golden)', () => {
    expect(Array.from(initialAlpha(2, 0.9))).toEqual([0.9, 0.1, 0.1, 0.9].map(Math.fround));
    const a3 = Array.from(initialAlpha(3, 0.9));
    expect(a3.map((v) => Number(v.toFixed(6)))).toEqual([
      0.9, 0.05, 0.05, 0.05, 0.9, 0.05, 0.05, 0.05, 0.9,
    ]);
    expect(Array.from(initialAlpha(1, 0.9))).toEqual([1]);
    expect(Array.from(initialAlpha(2, 0.9, 2))).toEqual(
      [0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9].map(Math.fround),
    );
  });

  it('mixes columns with a K×K α (golden)', () => {
    const out = tf.tidy(() =>
      stitch(
        tf.tensor2d([
          [0.9, 0.1],
          [0.2, 0.8],
        ]),
        tf.tensor3d([[[1, 2]], [[3, 4]]]),
      ),
    );
    const v = out.arraySync() as number[][][];
    out.dispose();
    expect(v[0]![0]![0]).toBeCloseTo(1.2, 6);
    expect(v[0]![0]![1]).toBeCloseTo(2.2, 6);
    expect(v[1]![0]![0]).toBeCloseTo(2.6, 6);
    expect(v[1]![0]![1]).toBeCloseTo(3.6, 6);
  });

  it('mixes per unit with a [K, K, H] α (golden)', () => {
    // Unit 0 swaps the columns, unit 1 keeps them.
    const alpha = tf.tensor3d([
      [
        [0, 1],
        [1, 0],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    ]);
    const out = tf.tidy(() => stitch(alpha, tf.tensor3d([[[1, 2]], [[3, 4]]])));
    expect(out.arraySync()).toEqual([[[3, 2]], [[1, 4]]]);
    tf.dispose([alpha, out]);
  });
});

describe('cross-stitch architecture', () => {
  const spec: InputSpec = { numeric: 3, categorical: [] };
  const tasks: TaskSpec[] = [
    { id: 'a', kind: 'regression' },
    { id: 'b', kind: 'binary' },
  ];
  const tiny = { hidden: [5, 4], towerHidden: [3] };

  it('with alphaSame = 1 the columns are independent: task a never reaches column b', () => {
    const model = crossStitch({ ...tiny, alphaSame: 1 }).build(spec, tasks, createRng(1));
    const batch = syntheticBatch(spec, tasks, 8, 2);
    const columnB = model.shared.filter((v) => v.name.includes('/column/b/'));
    const columnA = model.shared.filter((v) => v.name.includes('/column/a/'));
    expect(columnB.length).toBe(4);
    const opts = { training: false, rng: createRng(0), step: 0 };
    const { value, grads } = tf.variableGrads(() => {
      const t = model.trunk(batch.inputs, opts);
      return tf.sum(model.heads(t.features, batch.inputs, opts).outputs['a'] as tf.Tensor);
    }, [...model.shared]);
    for (const v of columnB) {
      const g = grads[v.name];
      if (g !== undefined) expect(Math.max(...Array.from(g.dataSync()).map(Math.abs))).toBe(0);
    }
    expect(columnA.some((v) => grads[v.name] !== undefined)).toBe(true);
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('reports α per layer, which training moves away from its initial value', () => {
    for (const alphaMode of ['scalar', 'channel'] as const) {
      const model = crossStitch({ ...tiny, alphaMode }).build(spec, tasks, createRng(3));
      const batch = syntheticBatch(spec, tasks, 16, 5);
      const opts = { training: false, rng: createRng(0), step: 0 };
      const initial = model.diagnostics!(batch.inputs, opts)['alpha'] as number[][][];
      expect(initial).toHaveLength(2);
      for (const layer of initial) {
        expect(layer[0]![0]).toBeCloseTo(0.9, 6);
        expect(layer[0]![1]).toBeCloseTo(0.1, 6);
      }
      trainBriefly(model, batch, { steps: 10, learningRate: 0.05 });
      const trained = model.diagnostics!(batch.inputs, opts)['alpha'] as number[][][];
      expect(Math.abs((trained[1]![0]![1] as number) - 0.1)).toBeGreaterThan(1e-3);
      model.dispose();
      disposeSyntheticBatch(batch);
    }
  });
});
