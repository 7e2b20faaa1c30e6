// Data-parallel training over worker threads equals single-thread training up to float summation
// order, for every kind of method and the engine's paths: the same model trained from the same
// seed with and without `parallel` ends with the same weights and reports the same losses.
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { transpileSources } from '../../test/helpers/transpile.js';
import { modelRecipe } from '../architectures/io.js';
import { ConfigError } from '../core/errors.js';
import type { ArchitectureBuilder, InputSpec, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { DataSplit } from '../data/types.js';
import { adam } from '../optim/adam.js';
import { defaultRegistry } from '../registry/index.js';
import { orthoReg } from '../regularizers/ortho-reg.js';
import { createShardPool, type ShardPool } from './data-parallel.js';
import { methodFromRegistry, type StepMethod } from './step.js';
import { createTrainer } from './trainer.js';

const { outDir, remove } = transpileSources('manytask-data-parallel-test', ['.']);
const workerUrl = pathToFileURL(join(outDir, 'train', 'data-parallel-worker.js'));
const pools: ShardPool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.dispose()));
  remove();
});

const tasks: TaskSpec[] = [
  { id: 'click', kind: 'binary' },
  { id: 'digit', kind: 'multiclass', numClasses: 3 },
  { id: 'value', kind: 'regression' },
];
const spec: InputSpec = {
  numeric: 4,
  categorical: [
    { name: 'city', vocabSize: 5 },
    { name: 'device', vocabSize: 3 },
  ],
};
const N = 90;

/** Labels depend on the inputs; `value` is missing on some rows and rows carry weights. */
function data(seed: number): DataSplit {
  const rng = createRng(seed);
  const x = new Float32Array(N * 4).map(() => rng.normal());
  const score = (i: number): number => x[i * 4]! - x[i * 4 + 1]! + 0.5 * x[i * 4 + 2]!;
  // Missing `value` labels cluster in the first rows, so shards get unequal label counts.
  const mask = Uint8Array.from({ length: N }, (_, i) => (i < 30 && i % 2 === 0 ? 0 : 1));
  return {
    n: N,
    numeric: x,
    categorical: Int32Array.from({ length: N * 2 }, (_, j) =>
      rng.int(spec.categorical[j % 2]!.vocabSize),
    ),
    labels: {
      click: Float32Array.from({ length: N }, (_, i) => (score(i) > 0 ? 1 : 0)),
      digit: Int32Array.from({ length: N }, (_, i) =>
        score(i) > 0.5 ? 2 : score(i) > -0.5 ? 1 : 0,
      ),
      value: Float32Array.from({ length: N }, (_, i) =>
        mask[i] === 1 ? score(i) + 0.1 * rng.normal() : NaN,
      ),
    },
    masks: { value: mask },
    rowWeights: Float32Array.from({ length: N }, () => 0.5 + rng.uniform()),
  };
}

function build(arch: string, options: Record<string, unknown>): MtlModel {
  return defaultRegistry
    .create<ArchitectureBuilder>(arch, options, 'architecture')
    .build(spec, tasks, createRng(7));
}

interface Run {
  readonly weights: Float32Array[];
  readonly losses: number[][];
  readonly weightsByStep: number[][];
}

async function train(
  model: MtlModel,
  method: () => StepMethod,
  parallel: ShardPool | undefined,
  extra: { batchSize?: number } = {},
): Promise<Run> {
  const trainer = createTrainer({
    model,
    method: method(),
    optimizer: adam({ learningRate: 0.01 }),
    ...(model.extra !== undefined ? { extraOptimizer: adam({ learningRate: 0.05 }) } : {}),
    train: data(5),
    batchSize: extra.batchSize ?? 30,
    epochs: 2,
    seed: 3,
    ...(parallel !== undefined ? { parallel } : {}),
  });
  const losses: number[][] = [];
  const weightsByStep: number[][] = [];
  const run = await trainer.run(trainer.init(), {
    onStep: (r) => {
      losses.push([...r.losses]);
      if (r.weights !== undefined) weightsByStep.push([...r.weights]);
    },
  });
  trainer.dispose(run.state);
  const vars = [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
  return { weights: vars.map((v) => Float32Array.from(v.dataSync())), losses, weightsByStep };
}

function maxRelDiff(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    expect(y.length).toBe(x.length);
    for (let j = 0; j < x.length; j++)
      worst = Math.max(worst, Math.abs(x[j]! - y[j]!) / (1e-3 + Math.abs(x[j]!)));
  });
  return worst;
}

const cases = [
  { label: 'ew, shared-bottom', arch: 'shared-bottom', method: 'ew', extra: {}, threads: 2 },
  { label: 'uw, mmoe, 3 threads', arch: 'mmoe', method: 'uw', extra: {}, threads: 3 },
  {
    label: 'upgrad params, mmoe',
    arch: 'mmoe',
    method: 'upgrad',
    extra: { mode: 'params' },
    threads: 2,
  },
  {
    label: 'pcgrad features, cgc',
    arch: 'cgc',
    method: 'pcgrad',
    extra: { mode: 'features' },
    threads: 2,
  },
  {
    label: 'mgda jacobianEvery 2, gumbel-matrix (router logits, aux loss, Gumbel noise)',
    arch: 'gumbel-matrix',
    method: 'mgda',
    extra: { jacobianEvery: 2 },
    threads: 2,
  },
  {
    label: 'adatask (task optimiser), shared-bottom',
    arch: 'shared-bottom',
    method: 'adatask',
    extra: {},
    threads: 2,
  },
  { label: 'dselect-k, ew', arch: 'dselect-k', method: 'ew', extra: {}, threads: 2 },
] as const;

const OPTIONS = { towerHidden: [4], embeddingDim: 2 };

describe('data-parallel training equals single-thread training', () => {
  it.each(cases.map((c) => [c.label, c] as const))('%s', async (_l, c) => {
    const a = build(c.arch, OPTIONS);
    const b = build(c.arch, OPTIONS);
    try {
      const pool = await createShardPool({ threads: c.threads, model: b, workerUrl });
      pools.push(pool);
      const method = (): StepMethod => methodFromRegistry(defaultRegistry, c.method, {}, c.extra);
      const single = await train(a, method, undefined);
      const before = tf.memory().numTensors;
      const sharded = await train(b, method, pool);
      expect(tf.memory().numTensors).toBe(before);
      expect(single.losses.length).toBe(6);
      expect(maxRelDiff(sharded.losses, single.losses)).toBeLessThan(1e-4);
      expect(maxRelDiff(sharded.weightsByStep, single.weightsByStep)).toBeLessThan(1e-3);
      expect(maxRelDiff(sharded.weights, single.weights)).toBeLessThan(1e-3);
      // The run moved the weights: equality is not that of two untouched models.
      const fresh = build(c.arch, OPTIONS);
      const init = [...fresh.shared].map((v) => Float32Array.from(v.dataSync()));
      fresh.dispose();
      expect(maxRelDiff(sharded.weights.slice(0, init.length), init)).toBeGreaterThan(1e-2);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('runs a batch too small to split on the main thread alone (same result)', async () => {
    const a = build('shared-bottom', OPTIONS);
    const b = build('shared-bottom', OPTIONS);
    try {
      const pool = await createShardPool({ threads: 2, model: b, workerUrl });
      pools.push(pool);
      const method = (): StepMethod => methodFromRegistry(defaultRegistry, 'ew');
      const single = await train(a, method, undefined, { batchSize: 3 });
      const sharded = await train(b, method, pool, { batchSize: 3 });
      expect(maxRelDiff(sharded.weights, single.weights)).toBe(0);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('data-parallel options', () => {
  it('rejects bad thread counts, other models, regularisers and bi-level methods', async () => {
    const model = build('shared-bottom', OPTIONS);
    const other = build('mmoe', OPTIONS);
    try {
      await expect(createShardPool({ threads: 1, model, workerUrl })).rejects.toThrow(
        /`threads` must be an integer in 2\.\.64/,
      );
      const pool = await createShardPool({ threads: 2, model, workerUrl });
      pools.push(pool);
      expect(pool.recipe).toEqual(modelRecipe(model));
      const base = { optimizer: adam(), train: data(1), batchSize: 30, epochs: 1, seed: 1 };
      expect(() =>
        createTrainer({
          ...base,
          model: other,
          method: methodFromRegistry(defaultRegistry, 'ew'),
          parallel: pool,
        }),
      ).toThrow(/created for another model \('shared-bottom'\)/);
      expect(() =>
        createTrainer({
          ...base,
          model,
          method: methodFromRegistry(defaultRegistry, 'upgrad'),
          regularizers: [orthoReg()],
          parallel: pool,
        }),
      ).toThrow(ConfigError);
      expect(() =>
        createTrainer({
          ...base,
          model,
          method: methodFromRegistry(defaultRegistry, 'forum'),
          parallel: pool,
        }),
      ).toThrow(/bi-level methods cannot run data-parallel/);
    } finally {
      model.dispose();
      other.dispose();
    }
  });

  it('names the architecture when a worker cannot rebuild the model', async () => {
    const model = build('shared-bottom', OPTIONS);
    const fake = { ...model, architecture: 'hand-made' } as MtlModel;
    try {
      await expect(createShardPool({ threads: 2, model: fake, workerUrl })).rejects.toThrow(
        /could not build model 'hand-made': .*unknown architecture 'hand-made'/,
      );
    } finally {
      model.dispose();
    }
  });
});
