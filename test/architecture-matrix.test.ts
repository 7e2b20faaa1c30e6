// Every registered architecture × one method of each family, through the real trainer: a loss
// weighting (UW), a Jacobian aggregator in params mode (UPGrad), one in features mode (PCGrad) and
// a bi-level method (FORUM), on a tiny tabular set (numeric + categorical columns) and a tiny image set. Each cell trains a
// few steps and must keep every loss finite, move the shared parameters, and leak nothing.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { ArchitectureBuilder, InputSpec, MtlModel, TaskSpec } from '../src/core/model.js';
import { createRng } from '../src/core/rng.js';
import type { DataSplit } from '../src/data/types.js';
import { adam } from '../src/optim/adam.js';
import { defaultRegistry } from '../src/registry/index.js';
import { methodFromRegistry } from '../src/train/step.js';
import { createTrainer } from '../src/train/trainer.js';

const tasks: TaskSpec[] = [
  { id: 'click', kind: 'binary' },
  { id: 'digit', kind: 'multiclass', numClasses: 3 },
  { id: 'value', kind: 'regression' },
];
const N = 24;
const BATCH = 8;

const tabularSpec: InputSpec = {
  numeric: 4,
  categorical: [
    { name: 'city', vocabSize: 5 },
    { name: 'device', vocabSize: 3 },
  ],
};
const imageSpec: InputSpec = {
  numeric: 0,
  categorical: [],
  image: { height: 8, width: 8, channels: 1 },
};

/** Labels depend on the inputs (so there is something to learn); seeded. */
function data(spec: InputSpec, seed: number): DataSplit {
  const rng = createRng(seed);
  const width = spec.numeric + (spec.image ? spec.image.height * spec.image.width : 0);
  const x = new Float32Array(N * width).map(() => rng.normal());
  const score = (i: number): number => x[i * width]! - x[i * width + 1]!;
  const labels = {
    click: Float32Array.from({ length: N }, (_, i) => (score(i) > 0 ? 1 : 0)),
    digit: Int32Array.from({ length: N }, (_, i) => (score(i) > 0.5 ? 2 : score(i) > -0.5 ? 1 : 0)),
    value: Float32Array.from({ length: N }, (_, i) => score(i) + 0.1 * rng.normal()),
  };
  if (spec.image !== undefined) return { n: N, image: x, labels };
  const categorical = Int32Array.from({ length: N * 2 }, (_, j) =>
    rng.int(spec.categorical[j % 2]!.vocabSize),
  );
  return { n: N, numeric: x, categorical, labels };
}

/** Smallest sizes every architecture accepts (encoder options are common to all of them). */
const tinyOptions = {
  towerHidden: [4],
  embeddingDim: 2,
  convFilters: [2],
  convKernels: [3],
  imageDense: 6,
};

const methods = [
  { label: 'uw', id: 'uw', extra: {} },
  { label: 'upgrad (params)', id: 'upgrad', extra: { mode: 'params' } },
  { label: 'pcgrad (features)', id: 'pcgrad', extra: { mode: 'features' } },
  // A bi-level method whose direction must cover every variable (heads, router logits, ...).
  { label: 'forum', id: 'forum', extra: {} },
] as const;

const inputs = [
  { label: 'tabular', spec: tabularSpec },
  { label: 'image', spec: imageSpec },
] as const;

function flat(vars: readonly tf.Variable[]): Float32Array[] {
  return vars.map((v) => Float32Array.from(v.dataSync()));
}

describe.each(defaultRegistry.list('architecture').map((e) => [e.id] as const))('%s', (arch) => {
  it.each(inputs.flatMap((i) => methods.map((m) => [i.label, m.label, i, m] as const)))(
    '%s × %s',
    async (_i, _m, input, method) => {
      const model: MtlModel = defaultRegistry
        .create<ArchitectureBuilder>(arch, tinyOptions, 'architecture')
        .build(input.spec, tasks, createRng(11));
      try {
        const start = flat(model.shared);
        const before = tf.memory().numTensors;
        const trainer = createTrainer({
          model,
          method: methodFromRegistry(defaultRegistry, method.id, {}, method.extra),
          optimizer: adam({ learningRate: 0.01 }),
          train: data(input.spec, 5),
          batchSize: BATCH,
          epochs: 1,
          seed: 3,
        });
        const losses: number[] = [];
        const run = await trainer.run(trainer.init(), {
          onStep: (r) => void losses.push(...r.losses),
        });
        trainer.dispose(run.state);
        expect(run.done).toBe(true);
        expect(losses.length).toBe((N / BATCH) * tasks.length);
        expect(losses.every(Number.isFinite)).toBe(true);
        const end = flat(model.shared);
        expect(end.some((w, i) => w.some((x, j) => x !== start[i]![j]))).toBe(true);
        expect(end.every((w) => w.every(Number.isFinite))).toBe(true);
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        model.dispose();
      }
    },
  );
});
