import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { mmoe } from './mmoe.js';
import { forward } from './model.js';
import { disposeSyntheticBatch, syntheticBatch } from './verify.js';

const spec: InputSpec = { numeric: 3, categorical: [] };
const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'multiclass', numClasses: 3 },
];
const opts = { training: false, rng: createRng(0), step: 0 };

function byName(model: MtlModel): Map<string, tf.Variable> {
  const all = [...model.shared, ...Object.values(model.perTask).flat()];
  return new Map(all.map((v) => [v.name, v]));
}

describe('mmoe', () => {
  it('computes h_k = Σ_e softmax(W_k x + b_k)_e · f_e(x) (checked against the formula, host side)', () => {
    const model = mmoe({ numExperts: 2, expertHidden: [2], towerHidden: [] }).build(
      spec,
      tasks,
      createRng(4),
    );
    const vars = byName(model);
    const get = (n: string): number[][] => {
      const v = vars.get(`mmoe/${n}`)!;
      const d = Array.from(v.dataSync());
      const cols = v.shape[1] ?? 1;
      return Array.from({ length: v.shape[0] as number }, (_, i) =>
        d.slice(i * cols, (i + 1) * cols),
      );
    };
    const vec = (n: string): number[] => Array.from(vars.get(`mmoe/${n}`)!.dataSync());
    const x = [0.3, -1.2, 0.7];
    const affine = (w: number[][], b: number[], v: number[]): number[] =>
      b.map((bj, j) => bj + v.reduce((s, vi, i) => s + vi * (w[i]![j] as number), 0));
    const relu = (v: number[]): number[] => v.map((z) => Math.max(0, z));
    const experts = [0, 1].map((e) =>
      relu(affine(get(`expert${e}/dense0/kernel`), vec(`expert${e}/dense0/bias`), x)),
    );
    const expected = tasks.map((t) => {
      const logits = affine(get(`task/${t.id}/gate/kernel`), vec(`task/${t.id}/gate/bias`), x);
      const z = logits.map((l) => Math.exp(l - Math.max(...logits)));
      const g = z.map((zi) => zi / z.reduce((s, q) => s + q, 0));
      const h = [0, 1].map(
        (j) => (g[0] as number) * experts[0]![j]! + (g[1] as number) * experts[1]![j]!,
      );
      return affine(get(`task/${t.id}/out/kernel`), vec(`task/${t.id}/out/bias`), h);
    });
    const out = forward(model, { numeric: tf.tensor2d([x]) }, opts);
    expect(Array.from(out.outputs['a']!.dataSync())[0]).toBeCloseTo(expected[0]![0]!, 5);
    Array.from(out.outputs['b']!.dataSync()).forEach((v, i) =>
      expect(v).toBeCloseTo(expected[1]![i]!, 5),
    );
    tf.dispose(out as unknown as tf.TensorContainer);
    model.dispose();
  });

  it('identical experts make the gates irrelevant: no gradient reaches any gate', () => {
    const model = mmoe({ numExperts: 3, expertHidden: [4], towerHidden: [2] }).build(
      spec,
      tasks,
      createRng(5),
    );
    const vars = byName(model);
    for (const e of [1, 2]) {
      for (const p of ['kernel', 'bias']) {
        vars.get(`mmoe/expert${e}/dense0/${p}`)!.assign(vars.get(`mmoe/expert0/dense0/${p}`)!);
      }
    }
    const batch = syntheticBatch(spec, tasks, 6, 1);
    const gates = [...vars.values()].filter((v) => v.name.includes('/gate/'));
    expect(gates).toHaveLength(4);
    const { value, grads } = tf.variableGrads(() => {
      const t = model.trunk(batch.inputs, opts);
      const o = model.heads(t.features, batch.inputs, opts).outputs;
      return tf.add(tf.sum(o['a'] as tf.Tensor), tf.sum(tf.square(o['b'] as tf.Tensor)));
    }, [...gates, ...model.shared]);
    for (const g of gates) {
      const grad = grads[g.name];
      expect(grad).toBeDefined();
      expect(Math.max(...Array.from(grad!.dataSync()).map(Math.abs))).toBeLessThan(1e-5);
    }
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('reports per-task gate weights on the simplex and their mean as utilisation', () => {
    const model = mmoe({ numExperts: 4, expertHidden: [3] }).build(spec, tasks, createRng(6));
    const batch = syntheticBatch(spec, tasks, 10, 2);
    const d = model.diagnostics!(batch.inputs, opts);
    const gates = d['gates'] as Record<string, number[]>;
    const util = d['utilisation'] as number[];
    for (const t of tasks) expect(gates[t.id]!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    util.forEach((u, e) => expect(u).toBeCloseTo((gates['a']![e]! + gates['b']![e]!) / 2, 6));
    model.dispose();
    disposeSyntheticBatch(batch);
  });
});
