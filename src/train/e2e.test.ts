// End to end: trainer + engine + registry aggregators on a seeded two-task regression whose task
// gradients conflict by construction. Mean-gradient descent trades task 2 away (its loss ends
// above where it started); the non-conflicting aggregators never increase a task's loss, so
// their worst task ends lower within the same step budget.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { recordForward } from '../autodiff/jacobian.js';
import type { MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { Aggregator } from '../core/types.js';
import { batchIndices, disposeBatch, splitToBatch } from '../data/batches.js';
import type { DataSplit } from '../data/types.js';
import { sgd } from '../optim/sgd.js';
import { defaultRegistry } from '../registry/index.js';
import { createTrainer } from './trainer.js';

const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'regression' },
];
const D = 8;
const N = 128;
const COS = -0.8; // cosine between the two tasks' true weight vectors (≈ 143°)
const GAIN = 0.3; // task b reads the shared output through a fixed gain: a smaller, conflicting gradient

/** y_a = w_a·x, y_b = w_b·x with unit ‖w_k‖ and cos(w_a, w_b) = COS; x ~ N(0, I). */
function conflictData(seed: number): DataSplit {
  const rng = createRng(seed);
  const unit = (v: number[]): number[] => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const u1 = unit(Array.from({ length: D }, () => rng.normal()));
  const r = Array.from({ length: D }, () => rng.normal());
  const dot = r.reduce((s, x, i) => s + x * u1[i]!, 0);
  const u2 = unit(r.map((x, i) => x - dot * u1[i]!));
  const wb = u1.map((x, i) => COS * x + Math.sqrt(1 - COS * COS) * u2[i]!);
  const numeric = new Float32Array(N * D).map(() => rng.normal());
  const a = new Float32Array(N);
  const b = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < D; j++) {
      a[n] = a[n]! + numeric[n * D + j]! * u1[j]!;
      b[n] = b[n]! + numeric[n * D + j]! * wb[j]!;
    }
  }
  return { n: N, numeric, labels: { a, b } };
}

let instance = 0;
/** One shared linear unit z = x·W; task a predicts z, task b predicts GAIN·z (no head parameters). */
function sharedLinear(seed: number): MtlModel {
  instance++;
  const rng = createRng(seed);
  const init = Float32Array.from({ length: D }, () => 0.01 * rng.normal());
  const w = tf.tidy(() => tf.variable(tf.tensor2d(init, [D, 1]), true, `e2e_w_${instance}`));
  return {
    architecture: 'e2e-shared-linear',
    tasks,
    inputSpec: { numeric: D, categorical: [] },
    shared: [w],
    perTask: { a: [], b: [] },
    trunk: (inputs) => ({ features: [tf.reshape(tf.matMul(inputs.numeric!, w), [-1])] }),
    heads: (features) => ({ outputs: { a: features[0]!, b: tf.mul(features[0]!, GAIN) } }),
    config: { architecture: 'e2e-shared-linear' },
    dispose: () => w.dispose(),
  };
}

function fullBatchLosses(model: MtlModel, data: DataSplit): number[] {
  const rows = batchIndices(data.n, data.n, createRng(0), { shuffle: false })[0]!;
  const batch = splitToBatch(data, model.inputSpec, model.tasks, rows);
  const s = recordForward(model, batch, {
    forward: { training: false, rng: createRng(0), step: 0 },
  });
  const out = Array.from(s.lossVector.dataSync());
  s.dispose();
  disposeBatch(batch);
  return out;
}

describe('conflicting two-task regression (cos = −0.8), 40 full-batch SGD steps', () => {
  const ids = ['mean', 'pcgrad', 'upgrad', 'mgda'];

  it('uses the registry aggregators', () => {
    for (const id of ids)
      expect(defaultRegistry.has(id), `aggregator '${id}' is registered`).toBe(true);
  });

  it.each([1, 2, 3])(
    'seed %i: pcgrad, upgrad and mgda end with a lower worst-task loss than mean',
    async (seed) => {
      const data = conflictData(seed);
      const results: Record<string, { initial: number[]; final: number[] }> = {};
      for (const id of ids) {
        const model = sharedLinear(seed + 100);
        const initial = fullBatchLosses(model, data);
        const trainer = createTrainer({
          model,
          method: {
            kind: 'aggregator',
            aggregator: defaultRegistry.create<Aggregator>(id, {}, 'aggregator'),
          },
          optimizer: sgd({ learningRate: 0.1 }),
          train: data,
          batchSize: N,
          epochs: 40,
          seed,
          shuffle: false,
        });
        const run = await trainer.run(trainer.init());
        results[id] = { initial, final: fullBatchLosses(model, data) };
        trainer.dispose(run.state);
        model.dispose();
      }
      const worst = (id: string): number => Math.max(...results[id]!.final);
      // Mean trades task b away: it ends above its starting loss.
      expect(results['mean']!.final[1]!).toBeGreaterThan(results['mean']!.initial[1]! + 0.05);
      for (const id of ['pcgrad', 'upgrad', 'mgda']) {
        const r = results[id]!;
        // Non-conflicting: no task got worse than it started (small slack for finite steps).
        r.final.forEach((l, k) => expect(l).toBeLessThanOrEqual(r.initial[k]! + 1e-3));
        expect(worst(id)).toBeLessThan(worst('mean') - 0.1);
      }
    },
  );
});
