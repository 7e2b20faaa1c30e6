import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import { cgc } from './cgc.js';
import { ple } from './ple.js';
import { disposeSyntheticBatch, syntheticBatch } from './verify.js';

const spec: InputSpec = { numeric: 3, categorical: [] };
const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'binary' },
  { id: 'c', kind: 'regression' },
];
const tiny = { sharedExperts: 2, taskExperts: 1, expertHidden: [4], towerHidden: [3] };
const opts = { training: false, rng: createRng(0), step: 0 };

const names = (vs: readonly tf.Variable[]): string[] => vs.map((v) => v.name);

/** Max |∂ sum(output_task) / ∂v| for the variable named `name`. */
function reach(
  model: MtlModel,
  inputs: Parameters<MtlModel['trunk']>[0],
  task: string,
  name: string,
): number {
  const v = [...model.shared, ...Object.values(model.perTask).flat()].find((x) => x.name === name)!;
  const { value, grads } = tf.variableGrads(() => {
    const t = model.trunk(inputs, opts);
    return tf.sum(model.heads(t.features, inputs, opts).outputs[task] as tf.Tensor);
  }, [v, ...model.shared]);
  const g = grads[name];
  const m = g === undefined ? 0 : Math.max(...Array.from(g.dataSync()).map(Math.abs));
  tf.dispose([value, ...Object.values(grads)]);
  return m;
}

describe('ple grouping', () => {
  it('lower levels are shared; last-level task experts and gates belong to their task', () => {
    const model = ple({ ...tiny, levels: 2 }).build(spec, tasks, createRng(1));
    const shared = names(model.shared);
    const a = names(model.perTask['a']!);
    expect(shared).toContain('ple/level0/task/a/expert0/dense0/kernel');
    expect(shared).toContain('ple/level0/task/a/gate/kernel');
    expect(shared).toContain('ple/level0/shared_gate/kernel');
    expect(shared).toContain('ple/level1/shared/expert1/dense0/kernel');
    expect(shared.some((n) => n.includes('level1/shared_gate'))).toBe(false);
    expect(a).toEqual([
      'ple/level1/task/a/expert0/dense0/kernel',
      'ple/level1/task/a/expert0/dense0/bias',
      'ple/level1/task/a/gate/kernel',
      'ple/level1/task/a/gate/bias',
      'ple/head/a/tower/dense0/kernel',
      'ple/head/a/tower/dense0/bias',
      'ple/head/a/out/kernel',
      'ple/head/a/out/bias',
    ]);
    // The level-0 shared gate mixes every expert: K·m_k + m_s of them.
    const sg = model.shared.find((v) => v.name === 'ple/level0/shared_gate/kernel')!;
    expect(sg.shape).toEqual([3, 3 * 1 + 2]);
    model.dispose();
  });

  it('a non-final task expert receives other tasks’ gradient (hence shared)', () => {
    const model = ple({ ...tiny, levels: 2 }).build(spec, tasks, createRng(2));
    const batch = syntheticBatch(spec, tasks, 8, 3);
    expect(
      reach(model, batch.inputs, 'b', 'ple/level0/task/a/expert0/dense0/kernel'),
    ).toBeGreaterThan(0);
    // The task-a gate of level L−1 only feeds task a's last level: grouped as shared anyway
    // (documented), and indeed no other task reaches it.
    expect(reach(model, batch.inputs, 'b', 'ple/level0/task/a/gate/kernel')).toBe(0);
    expect(reach(model, batch.inputs, 'a', 'ple/level0/task/a/gate/kernel')).toBeGreaterThan(0);
    model.dispose();
    disposeSyntheticBatch(batch);
  });

  it('cgc: task experts and gates belong to their task', () => {
    const model = cgc(tiny).build(spec, tasks, createRng(1));
    expect(names(model.perTask['b']!)).toContain('cgc/level0/task/b/expert0/dense0/kernel');
    expect(names(model.perTask['b']!)).toContain('cgc/level0/task/b/gate/kernel');
    expect(names(model.shared).every((n) => !n.includes('/task/'))).toBe(true);
    expect(() => cgc({ levels: 2 } as never)).toThrow(/unknown option `levels`/);
    model.dispose();
  });
});

describe('ple diagnostics', () => {
  it('reports gates per level on the simplex and the share of the shared experts', () => {
    const model = ple({ ...tiny, levels: 3 }).build(spec, tasks, createRng(3));
    const batch = syntheticBatch(spec, tasks, 8, 4);
    const d = model.diagnostics!(batch.inputs, opts);
    const levels = d['levels'] as { gates: Record<string, number[]>; sharedGate?: number[] }[];
    expect(levels).toHaveLength(3);
    levels.forEach((lv, l) => {
      for (const t of tasks) {
        expect(lv.gates[t.id]).toHaveLength(3);
        expect(lv.gates[t.id]!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      }
      if (l < 2) expect(lv.sharedGate!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      else expect(lv.sharedGate).toBeUndefined();
    });
    const share = d['sharedShare'] as Record<string, number>;
    for (const t of tasks) {
      const g = levels[2]!.gates[t.id]!;
      expect(share[t.id]).toBeCloseTo(g[1]! + g[2]!, 5);
    }
    model.dispose();
    disposeSyntheticBatch(batch);
  });
});
