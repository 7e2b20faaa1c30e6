import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { mlpModel } from '../../test/engine-fixtures.js';
import { ConfigError, DataError } from '../core/errors.js';
import type { TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type { Aggregator, LossWeighting, Weighting } from '../core/types.js';
import type { DataSplit } from '../data/types.js';
import { adam } from '../optim/adam.js';
import { sgd } from '../optim/sgd.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import type { StepMethod, StepReport } from './step.js';
import { createTrainer, type TrainerOptions } from './trainer.js';

const tasks: TaskSpec[] = [
  { id: 'click', kind: 'binary' },
  { id: 'value', kind: 'regression' },
];

/** n rows, 4 features; click = [x·a > 0], value = x·b + noise; some `value` labels missing. */
function split(n: number, seed = 1): DataSplit {
  const rng = createRng(seed);
  const numeric = new Float32Array(n * 4).map(() => rng.normal());
  const a = [1, -1, 0.5, 0];
  const b = [0.5, 0.5, -1, 1];
  const click = new Float32Array(n);
  const value = new Float32Array(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let sa = 0;
    let sb = 0;
    for (let j = 0; j < 4; j++) {
      sa += numeric[i * 4 + j]! * a[j]!;
      sb += numeric[i * 4 + j]! * b[j]!;
    }
    click[i] = sa > 0 ? 1 : 0;
    value[i] = sb + 0.1 * rng.normal();
    mask[i] = i % 5 === 0 ? 0 : 1;
    if (mask[i] === 0) value[i] = NaN;
  }
  return { n, numeric, labels: { click, value }, masks: { value: mask } };
}

/** A stateful Gramian weighting: EMA of 1/‖g_k‖ (host Float64Array state). */
function emaAggregator(): Aggregator<{ ema: Float64Array; n: number }> {
  const weighting: Weighting<{ ema: Float64Array; n: number }> = {
    id: 'ema-inv-norm',
    init: (k) => ({ ema: new Float64Array(k).fill(1), n: 0 }),
    weigh: (g, s) => {
      const ema = s.ema.map((e, i) => 0.8 * e + 0.2 / Math.sqrt(g.data[i * g.k + i]! + 1e-12));
      return { weights: ema, state: { ema, n: s.n + 1 } };
    },
  };
  return {
    id: 'ema-inv-norm',
    traits: {
      nonConflicting: 'never-claimed',
      permutationInvariant: true,
      linearUnderScaling: false,
      singleTask: 'positive-multiple',
      stochastic: false,
      stateful: true,
    },
    config: {},
    weighting,
    init: (spec) => weighting.init(spec.tasks.length),
    update(j, s, ctx) {
      throw new Error(
        `not used by the engine when a weighting exists (${j.tasks.length}, ${s.n}, ${ctx.step})`,
      );
    },
  };
}

/** DWA-like loss weighting with an epoch hook, plus per-step stochastic jitter from ctx.rng. */
const epochWeighting: LossWeighting<{ last: number[] }> = {
  id: 'epoch-test',
  config: {},
  init: (k) => ({ last: new Array<number>(k).fill(1) }),
  weigh: (_, s, ctx) => ({
    weights: Float64Array.from(s.last, (x) => x * (0.9 + 0.2 * ctx.rng.uniform())),
    state: s,
  }),
  endEpoch: (means) => ({ last: Array.from(means, (m) => 1 / (1 + m)) }),
};

function options(
  model: ReturnType<typeof mlpModel>,
  method: StepMethod,
  extra: Partial<TrainerOptions> = {},
): TrainerOptions {
  return {
    model,
    method,
    optimizer: adam({ learningRate: 0.02 }),
    train: split(30),
    batchSize: 8,
    epochs: 2,
    seed: 3,
    ...extra,
  };
}

function weights(model: ReturnType<typeof mlpModel>): Float32Array[] {
  return [...model.shared, ...Object.values(model.perTask).flat()].map((v) =>
    Float32Array.from(v.dataSync()),
  );
}

describe('trainer', () => {
  it('runs epochs of seeded batches, reports every step, calls evaluate and the epoch hook, and learns', async () => {
    const model = mlpModel({ tasks, inputDim: 4, seed: 4 });
    const trainer = createTrainer(
      options(
        model,
        { kind: 'loss-weighting', weighting: epochWeighting },
        { epochs: 6, train: split(64), batchSize: 16 },
      ),
    );
    const reports: StepReport[] = [];
    const evaluated: number[] = [];
    const before = tf.memory().numTensors;
    const state = trainer.init();
    const r = await trainer.run(state, {
      onStep: (rep) => void reports.push(rep),
      evaluate: (_, info) => {
        evaluated.push(info.epoch);
        return { score: info.step };
      },
    });
    expect(r.done).toBe(true);
    expect(reports.length).toBe(24);
    expect(reports.map((x) => x.step)).toEqual([...Array(24).keys()]);
    expect(reports.map((x) => x.epoch)).toEqual(reports.map((_, i) => Math.floor(i / 4)));
    expect(evaluated).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r.epochs[5]!.evaluation).toEqual({ score: 24 });
    // Epoch means are labelled-row-weighted means of the step losses.
    const ep0 = reports.slice(0, 4);
    const want = (t: number) =>
      ep0.reduce((s, x) => s + x.losses[t]! * x.labelled[t]!, 0) /
      ep0.reduce((s, x) => s + x.labelled[t]!, 0);
    expect(r.epochs[0]!.meanLosses[1]).toBeCloseTo(want(1), 12);
    // The epoch hook changed the weights for epoch 1 (1/(1+mean)).
    expect((r.state.train.methodState as { last: number[] }).last[0]).toBeCloseTo(
      1 / (1 + r.epochs[5]!.meanLosses[0]!),
      12,
    );
    expect(r.epochs[5]!.meanLosses[1]!).toBeLessThan(r.epochs[0]!.meanLosses[1]! * 0.7);
    trainer.dispose(r.state);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('resume is exact: N steps = N/2 + checkpoint (encoded, decoded) + restore + N/2, mid-epoch, with all state kinds', async () => {
    const method: StepMethod = {
      kind: 'aggregator',
      aggregator: emaAggregator(),
      lossWeighting: epochWeighting,
    };
    const make = (seed: number) =>
      mlpModel({ tasks, inputDim: 4, seed, dropout: 0.2, withExtra: true });

    // Uninterrupted: 3 epochs of 4 batches = 12 steps.
    const m1 = make(4);
    const t1 = createTrainer(options(m1, method, { epochs: 3 }));
    const losses1: number[][] = [];
    const r1 = await t1.run(t1.init(), {
      onStep: (rep) => void losses1.push(Array.from(rep.losses)),
    });
    const w1 = weights(m1);

    // Interrupted after 6 steps (mid-epoch 1), restored into a model with other initial weights.
    const m2 = make(4);
    const t2 = createTrainer(options(m2, method, { epochs: 3 }));
    const losses2: number[][] = [];
    const half = await t2.run(t2.init(), {
      maxSteps: 6,
      onStep: (rep) => void losses2.push(Array.from(rep.losses)),
    });
    expect(half.stopped).toBe(true);
    expect(half.state.batchInEpoch).toBe(2);
    const bytes = encodeCheckpoint(t2.checkpoint(half.state));
    t2.dispose(half.state);
    m2.dispose();

    const m3 = make(99);
    const t3 = createTrainer(options(m3, method, { epochs: 3 }));
    const restored = t3.restore(decodeCheckpoint(bytes));
    const r3 = await t3.run(restored, {
      onStep: (rep) => void losses2.push(Array.from(rep.losses)),
    });
    expect(r3.done).toBe(true);
    expect(losses2).toEqual(losses1);
    const w3 = weights(m3);
    w1.forEach((w, i) => expect(w3[i]).toEqual(w));
    expect(r3.state.train.step).toBe(12);
    expect(r3.state.train.methodState).toEqual(r1.state.train.methodState);
    t1.dispose(r1.state);
    t3.dispose(r3.state);
    m1.dispose();
    m3.dispose();
  });

  it('stops on the signal between steps and emits periodic checkpoints', async () => {
    const model = mlpModel({ tasks, inputDim: 4, seed: 4 });
    const trainer = createTrainer(
      options(model, { kind: 'aggregator', aggregator: emaAggregator() }, { optimizer: sgd() }),
    );
    const signal = { aborted: false };
    const ckptSteps: number[] = [];
    const r = await trainer.run(trainer.init(), {
      signal,
      onStep: (rep) => {
        if (rep.step === 2) signal.aborted = true;
      },
      checkpointEvery: 2,
      onCheckpoint: (c, s) =>
        void ckptSteps.push(s.train.step, (c.json.state as { train: { step: number } }).train.step),
    });
    expect(r.stopped).toBe(true);
    expect(r.state.train.step).toBe(3);
    expect(ckptSteps).toEqual([2, 2]);
    trainer.dispose(r.state);
    model.dispose();
  });

  it('refuses checkpoints of another configuration and corrupt bytes', async () => {
    const model = mlpModel({ tasks, inputDim: 4, seed: 4 });
    const a = createTrainer(options(model, { kind: 'aggregator', aggregator: emaAggregator() }));
    const b = createTrainer(options(model, { kind: 'loss-weighting', weighting: epochWeighting }));
    const s = a.init();
    const ckpt = a.checkpoint(s);
    expect(() => b.restore(ckpt)).toThrow(ConfigError);
    const bytes = encodeCheckpoint(ckpt);
    expect(() => decodeCheckpoint(bytes.subarray(0, 20))).toThrow(DataError);
    expect(() => decodeCheckpoint(new Uint8Array(64))).toThrow(/signature/);
    const back = a.restore(decodeCheckpoint(bytes));
    a.dispose(back);
    a.dispose(s);
    expect(() =>
      createTrainer(
        options(model, { kind: 'aggregator', aggregator: emaAggregator() }, { batchSize: 0 }),
      ),
    ).toThrow(/batchSize/);
    expect(() =>
      createTrainer(
        options(model, { kind: 'aggregator', aggregator: emaAggregator(), mode: 'features' }),
      ),
    ).toThrow(/set dropLast: true/);
    const ok = createTrainer(
      options(
        model,
        { kind: 'aggregator', aggregator: emaAggregator(), mode: 'features' },
        { dropLast: true },
      ),
    );
    expect(ok.setup.mode).toBe('features');
    model.dispose();
  });
});
