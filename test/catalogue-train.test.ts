// Every catalogue method trains by registry id through the real trainer: a seeded two-task
// regression with a shared linear trunk and one linear head per task, 12 full-batch epochs of SGD.
// Each method must keep every loss finite and bring the summed loss below where it started.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { recordForward } from '../src/autodiff/jacobian.js';
import type { MtlModel, TaskSpec } from '../src/core/model.js';
import { createRng } from '../src/core/rng.js';
import type { Aggregator, LossWeighting } from '../src/core/types.js';
import { batchIndices, disposeBatch, splitToBatch } from '../src/data/batches.js';
import type { DataSplit } from '../src/data/types.js';
import { sgd } from '../src/optim/sgd.js';
import { defaultRegistry } from '../src/registry/index.js';
import { createTrainer } from '../src/train/trainer.js';

const tasks: TaskSpec[] = [
  { id: 'a', kind: 'regression' },
  { id: 'b', kind: 'regression' },
  { id: 'c', kind: 'regression' },
];
const D = 6;
const H = 4;
const N = 64;

function data(seed: number): DataSplit {
  const rng = createRng(seed);
  const numeric = new Float32Array(N * D).map(() => rng.normal());
  const labels: Record<string, Float32Array> = {};
  for (const t of tasks) {
    const w = Array.from({ length: D }, () => rng.normal());
    labels[t.id] = Float32Array.from(
      { length: N },
      (_, n) => w.reduce((s, v, j) => s + v * numeric[n * D + j]!, 0) + 2,
    );
  }
  return { n: N, numeric, labels };
}

let instance = 0;
function model(seed: number): MtlModel {
  instance++;
  const rng = createRng(seed);
  const v = (shape: [number, number], name: string): tf.Variable =>
    tf.variable(
      tf.tensor2d(
        Float32Array.from({ length: shape[0] * shape[1] }, () => 0.3 * rng.normal()),
        shape,
      ),
      true,
      `cat_${name}_${instance}`,
    );
  const w = v([D, H], 'w');
  const heads = Object.fromEntries(tasks.map((t) => [t.id, v([H, 1], t.id)]));
  return {
    architecture: 'catalogue-linear',
    tasks,
    inputSpec: { numeric: D, categorical: [] },
    shared: [w],
    perTask: Object.fromEntries(tasks.map((t) => [t.id, [heads[t.id]!]])),
    trunk: (inputs) => ({ features: [tf.matMul(inputs.numeric!, w)] }),
    heads: (f) => ({
      outputs: Object.fromEntries(
        tasks.map((t) => [t.id, tf.reshape(tf.matMul(f[0]!, heads[t.id]!), [-1])]),
      ),
    }),
    config: { architecture: 'catalogue-linear' },
    dispose: () => [w, ...Object.values(heads)].forEach((x) => x.dispose()),
  };
}

function losses(m: MtlModel, split: DataSplit): number[] {
  const rows = batchIndices(split.n, split.n, createRng(0), { shuffle: false })[0]!;
  const batch = splitToBatch(split, m.inputSpec, m.tasks, rows);
  const s = recordForward(m, batch, { forward: { training: false, rng: createRng(0), step: 0 } });
  const out = Array.from(s.lossVector.dataSync());
  s.dispose();
  disposeBatch(batch);
  return out;
}

const lossIds = ['ew', 'uw', 'dwa', 'gls', 'rlw', 'famo', 'stch', 'imtl-l', 'pbi', 'cosmos', 'si'];
const aggIds = [
  'fairgrad',
  'krum',
  'trimmed-mean',
  'modo',
  'sdmgrad',
  'gradnorm',
  'db-mtl',
  'moco',
  'excess-mtl',
  'cr-mogm',
  'imtl',
];

describe('catalogue methods train by id', () => {
  it.each([...lossIds, ...aggIds])('%s', async (id) => {
    const split = data(7);
    const m = model(3);
    const before = losses(m, split);
    const entry = defaultRegistry.get(id);
    const options = id === 'stch' ? { warmupEpochs: 1 } : {};
    const created = entry.create(options);
    const trainer = createTrainer({
      model: m,
      method:
        entry.kind === 'loss-weighting'
          ? { kind: 'loss-weighting', weighting: created as LossWeighting }
          : { kind: 'aggregator', aggregator: created as Aggregator },
      optimizer: sgd({ learningRate: 0.02 }),
      train: split,
      batchSize: N,
      epochs: 12,
      seed: 1,
      shuffle: false,
    });
    const run = await trainer.run(trainer.init());
    const after = losses(m, split);
    trainer.dispose(run.state);
    m.dispose();
    expect(after.every(Number.isFinite)).toBe(true);
    expect(after.reduce((a, v) => a + v, 0)).toBeLessThan(before.reduce((a, v) => a + v, 0));
  });
});
