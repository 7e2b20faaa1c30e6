// Every registered architecture through the gradient engine: the tape engine (one recorded
// forward) must equal the naive engine (tf.variableGrads per task) in both Jacobian modes, and the
// features-mode trunk backward of Σ_k w_k ∂L_k/∂Z must equal the direct Σ_k w_k ∂L_k/∂θ_shared.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { recordForward, type EnginePath, type JacobianMode } from '../src/autodiff/jacobian.js';
import type { ArchitectureBuilder, MtlModel, TaskSpec } from '../src/core/model.js';
import { createRng } from '../src/core/rng.js';
import { defaultRegistry } from '../src/registry/index.js';
import { disposeBatch, maxAbsDiff, randomBatch, readTree } from './engine-fixtures.js';

const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'binary' },
  { id: 'c', kind: 'multiclass', numClasses: 3 },
];
const W = [0.5, 1.5, -0.75];

function take(tree: Readonly<Record<string, tf.Tensor>>): Record<string, Float32Array> {
  const out = readTree(tree);
  tf.dispose(Object.values(tree));
  return out;
}

describe.each(defaultRegistry.list('architecture').map((e) => [e.id] as const))('%s', (id) => {
  it('tape = naive in both modes; features trunk backward = direct weighted gradient', () => {
    const model: MtlModel = defaultRegistry
      .create<ArchitectureBuilder>(id, {}, 'architecture')
      .build({ numeric: 5, categorical: [] }, tasks, createRng(1));
    const batch = randomBatch(tasks, 6, 5);
    const before = tf.memory().numTensors;
    const run = (engine: EnginePath, mode: JacobianMode) => {
      const s = recordForward(model, batch, {
        forward: { training: false, rng: createRng(3), step: 0 },
        engine,
      });
      const g = s.taskJacobian(mode);
      const out = { ...take(g.jacobian.blocks), ...take(g.heads) };
      tf.dispose(Object.values(g.extra));
      s.dispose();
      return out;
    };
    for (const mode of ['params', 'features'] as const) {
      expect(maxAbsDiff(run('tape', mode), run('naive', mode))).toBeLessThanOrEqual(1e-6);
    }
    const s = recordForward(model, batch, {
      forward: { training: false, rng: createRng(3), step: 0 },
    });
    const g = s.taskJacobian('features');
    const d = tf.tidy(() =>
      Object.fromEntries(
        Object.entries(g.jacobian.blocks).map(([k, b]) => [
          k,
          tf.sum(tf.mul(b, tf.reshape(tf.tensor1d(W), [3, ...b.shape.slice(1).map(() => 1)])), 0),
        ]),
      ),
    );
    const viaTrunk = take(s.backward({ features: d }, ['shared']));
    const direct = take(s.backward({ lossWeights: W }, ['shared']));
    expect(maxAbsDiff(viaTrunk, direct)).toBeLessThanOrEqual(1e-5);
    tf.dispose([
      ...Object.values(d),
      ...Object.values(g.jacobian.blocks),
      ...Object.values(g.heads),
    ]);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    disposeBatch(batch);
    model.dispose();
  });
});
