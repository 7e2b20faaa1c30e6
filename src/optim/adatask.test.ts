// AdaTask (ALGORITHMS §4): K = 1 equals tf.train's Adam / RMSProp / AdaGrad to float tolerance;
// the K× effective step and normalizeByK; the per-task balancing that rAU measures; options;
// integration with trainStep; no leaks.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import type { ParamTree, TaskJacobian } from '../core/types.js';
import { defaultRegistry } from '../registry/index.js';
import { createStepSetup, disposeTrainState, initTrainState, trainStep } from '../train/step.js';
import { disposeReplaced, disposeState } from '../train/state.js';
import { dominanceTracker, dominanceSummary } from '../metrics/dominance-au.js';
import { disposeBatch, mlpModel, randomBatch } from '../../test/engine-fixtures.js';
import { stepContext } from '../../test/helpers/step-context.js';
import { adam } from './adam.js';
import { adatask, type AdataskOptions, type AdataskState } from './adatask.js';

const ctx = (k: number, step = 0) => stepContext(new Array<number>(k).fill(1), { step });

/** Runs AdaTask on a sequence of Jacobians (host rows per task, one block `p`) and returns the updates. */
function runUpdates(
  options: AdataskOptions,
  seq: number[][][],
): { updates: number[][]; state: AdataskState; dispose: () => void } {
  const opt = adatask(options);
  const k = seq[0]!.length;
  const d = seq[0]![0]!.length;
  let state = opt.init({ tasks: Array.from({ length: k }, (_, i) => `t${i}`), blocks: { p: [d] } });
  const updates: number[][] = [];
  seq.forEach((rows, step) => {
    const j: TaskJacobian = {
      tasks: rows.map((_, i) => `t${i}`),
      blocks: { p: tf.tensor2d(rows) },
    };
    const r = opt.update(j, state, ctx(k, step));
    updates.push(Array.from(r.updates['p']!.dataSync()));
    tf.dispose([...Object.values(r.updates), j.blocks['p']!]);
    disposeReplaced(state, r.state);
    state = r.state;
  });
  return { updates, state, dispose: () => disposeState(state) };
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol);
};

describe('adatask: K = 1 is the base optimiser (against tf.train)', () => {
  // θ on a quadratic L = ½‖Aθ − b‖²; both copies take 12 steps from the same start.
  const cases: [string, AdataskOptions, () => tf.Optimizer][] = [
    [
      'adam',
      { base: 'adam', learningRate: 0.05, epsilon: 1e-7 },
      () => tf.train.adam(0.05, 0.9, 0.999, 1e-7),
    ],
    [
      'adam (custom betas)',
      { base: 'adam', learningRate: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 1e-4 },
      () => tf.train.adam(0.02, 0.8, 0.95, 1e-4),
    ],
    [
      'rmsprop',
      { base: 'rmsprop', learningRate: 0.01 },
      () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7),
    ],
    [
      'rmsprop (momentum)',
      { base: 'rmsprop', learningRate: 0.005, decay: 0.8, momentum: 0.5, epsilon: 1e-6 },
      () => tf.train.rmsprop(0.005, 0.8, 0.5, 1e-6),
    ],
    ['adagrad', { base: 'adagrad', learningRate: 0.1 }, () => tf.train.adagrad(0.1, 0.1)],
  ];
  it.each(cases)('%s', (_name, options, reference) => {
    const rng = createRng(1);
    const A = tf.tensor2d(
      Array.from({ length: 12 }, () => rng.normal()),
      [4, 3],
    );
    const b = tf.tensor1d(Array.from({ length: 4 }, () => rng.normal()));
    const theta0 = Array.from({ length: 3 }, () => rng.normal());
    const ours = tf.variable(tf.tensor1d(theta0), true, `adatask_ours_${_name}`);
    const theirs = tf.variable(tf.tensor1d(theta0), true, `adatask_theirs_${_name}`);
    const grad = (v: tf.Variable) =>
      tf.tidy(() => {
        const r = tf.sub(tf.matMul(A, v.reshape([3, 1])).reshape([4]), b);
        return tf.matMul(r.reshape([1, 4]), A).reshape([3]);
      });
    const before = tf.memory().numTensors;
    const opt = adatask(options);
    const ref = reference();
    let state = opt.init({ tasks: ['a'], blocks: { [ours.name]: [3] } });
    for (let step = 0; step < 12; step++) {
      const g = grad(ours);
      const j: TaskJacobian = { tasks: ['a'], blocks: { [ours.name]: tf.expandDims(g, 0) } };
      const r = opt.update(j, state, ctx(1, step));
      tf.tidy(() => ours.assign(tf.add(ours, r.updates[ours.name]!)));
      tf.dispose([g, j.blocks[ours.name]!, ...Object.values(r.updates)]);
      disposeReplaced(state, r.state);
      state = r.state;
      const gt = grad(theirs);
      ref.applyGradients({ [theirs.name]: gt });
      gt.dispose();
    }
    close(ours.dataSync(), theirs.dataSync(), 1e-5);
    // The parameters moved (the comparison is not trivially equal).
    expect(Math.abs(ours.dataSync()[0]! - theta0[0]!)).toBeGreaterThan(1e-3);
    disposeState(state);
    ref.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([A, b, ours, theirs]);
  });
});

describe('adatask: per-task steps', () => {
  it('K identical task gradients give K× the base step; normalizeByK gives the base step', () => {
    const rng = createRng(2);
    const seq = Array.from({ length: 5 }, () => {
      const g = Array.from({ length: 4 }, () => rng.normal());
      return [g, g, g];
    });
    const base = runUpdates(
      { learningRate: 0.01 },
      seq.map((rows) => [rows[0]!]),
    );
    const three = runUpdates({ learningRate: 0.01 }, seq);
    const norm = runUpdates({ learningRate: 0.01, normalizeByK: true }, seq);
    three.updates.forEach((u, t) =>
      close(
        u,
        base.updates[t]!.map((x) => 3 * x),
        1e-7,
      ),
    );
    norm.updates.forEach((u, t) => close(u, base.updates[t]!, 1e-7));
    // Plain Adam on Σ_k L_k sees 3g and takes the same step as on g: AdaTask is 3× it.
    const plain = adam({ learningRate: 0.01 });
    let s = plain.init({ p: tf.zeros([4]) } as ParamTree);
    seq.forEach((rows, t) => {
      const g = { p: tf.tensor1d(rows[0]!.map((x) => 3 * x)) };
      const r = plain.update(g, s);
      close(r.updates['p']!.dataSync(), base.updates[t]!, 1e-6);
      tf.dispose([g.p, ...Object.values(r.updates)]);
      disposeReplaced(s, r.state);
      s = r.state;
    });
    disposeState(s);
    for (const r of [base, three, norm]) r.dispose();
  });

  it('each task moves a shared parameter by a unit-scale step whatever its gradient scale (rAU ≈ 1/2), unlike Adam on the sum', () => {
    const rng = createRng(3);
    // Task 0's gradient is 100× task 1's on every coordinate; directions vary per step.
    const seq = Array.from({ length: 200 }, () => {
      const a = Array.from({ length: 6 }, () => rng.normal());
      const b = Array.from({ length: 6 }, () => rng.normal());
      return [a.map((x) => 100 * x), b];
    });
    const r = runUpdates({ learningRate: 1e-3, dominanceEvery: 1 }, seq);
    const ada = dominanceSummary(r.state.dominance!, { groupBy: 'block' })[0]!;
    // Plain Adam on Σ_k L_k, measured by the tracker.
    const tracker = dominanceTracker({ optimizer: 'adam', learningRate: 1e-3 });
    let ts = tracker.init({ tasks: ['t0', 't1'], blocks: { p: [6] } });
    for (const rows of seq) {
      const j: TaskJacobian = { tasks: ['t0', 't1'], blocks: { p: tf.tensor2d(rows) } };
      const next = tracker.update(j, ts);
      disposeReplaced(ts, next);
      ts = next;
      tf.dispose(j.blocks['p']!);
    }
    const plain = dominanceSummary(ts, { groupBy: 'block' })[0]!;
    disposeState(ts);
    r.dispose();
    expect(ada.share[0]!).toBeGreaterThan(0.35);
    expect(ada.share[0]!).toBeLessThan(0.65);
    expect(plain.share[0]!).toBeGreaterThan(0.99);
    expect(plain.meanMax).toBeGreaterThan(0.99);
    expect(ada.meanMax).toBeLessThan(plain.meanMax);
  });

  it('reports rAU diagnostics every `dominanceEvery` steps and none when tracking is off', () => {
    const opt = adatask({ dominanceEvery: 2 });
    const spec = {
      tasks: ['a', 'b'],
      blocks: { 'net/dense0/kernel': [2], 'net/dense0/bias': [1] },
    };
    let state = opt.init(spec);
    const got: (Record<string, number> | undefined)[] = [];
    for (let step = 0; step < 3; step++) {
      const j: TaskJacobian = {
        tasks: ['a', 'b'],
        blocks: {
          'net/dense0/kernel': tf.tensor2d([
            [1, 2],
            [0.1, -0.2],
          ]),
          'net/dense0/bias': tf.tensor2d([[1], [0.5]]),
        },
      };
      const r = opt.update(j, state, ctx(2, step));
      got.push(r.diagnostics);
      tf.dispose([...Object.values(r.updates), ...Object.values(j.blocks)]);
      disposeReplaced(state, r.state);
      state = r.state;
    }
    disposeState(state);
    expect(got[1]).toBeUndefined();
    expect(Object.keys(got[0]!).sort()).toEqual(
      ['rAU/net/dense0/a', 'rAU/net/dense0/b', 'rAUmax', 'rAUmax/net/dense0'].sort(),
    );
    expect(got[2]!['rAU/net/dense0/a']! + got[2]!['rAU/net/dense0/b']!).toBeCloseTo(1, 6);
    const off = adatask({ trackDominance: false });
    const s0 = off.init(spec);
    expect(s0.dominance).toBeNull();
    disposeState(s0);
  });
});

describe('adatask: options, registry, training step', () => {
  it('validates options at construction', () => {
    expect(() => adatask({ base: 'rmsprop', beta1: 0.9 })).toThrow(
      /does not apply to base 'rmsprop'/,
    );
    expect(() => adatask({ base: 'adam', decay: 0.9 })).toThrow(ConfigError);
    expect(() => adatask({ learningRate: -1 })).toThrow(/learningRate/);
    expect(() => adatask({ base: 'sgd' as never })).toThrow(/'adam', 'rmsprop', 'adagrad'/);
    expect(() => adatask({ nope: 1 } as never)).toThrow(/unknown option/);
  });

  it('is a registered task optimiser with the official evidence level for Adam', () => {
    const opt = defaultRegistry.create<ReturnType<typeof adatask>>('adatask', { base: 'rmsprop' });
    expect(opt.kind).toBe('task-optimizer');
    expect(opt.config['base']).toBe('rmsprop');
    expect(defaultRegistry.get('adatask').kind).toBe('optimizer');
  });

  it('trains a two-task model through trainStep (losses fall, rAU reported, no leaks)', () => {
    const tasks = [
      { id: 'a', kind: 'regression' as const },
      { id: 'b', kind: 'binary' as const },
    ];
    const model = mlpModel({ tasks, inputDim: 4, seed: 3 });
    const batch = randomBatch(tasks, 32, 4, 4);
    const before = tf.memory().numTensors;
    const setup = createStepSetup({
      model,
      method: {
        kind: 'task-optimizer',
        optimizer: adatask({ learningRate: 0.02, dominanceEvery: 5 }),
      },
      optimizer: adam({ learningRate: 0.02 }),
    });
    let state = initTrainState(setup, { seed: 1 });
    const losses: number[] = [];
    let diag: Readonly<Record<string, number>> = {};
    for (let i = 0; i < 30; i++) {
      const [next, report] = trainStep(setup, state, batch);
      state = next;
      losses.push(report.losses[0]! + report.losses[1]!);
      if (report.diagnostics['rAUmax'] !== undefined) diag = report.diagnostics;
    }
    disposeTrainState(state);
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[29]!).toBeLessThan(0.8 * losses[0]!);
    expect(diag['rAUmax']).toBeGreaterThanOrEqual(0.5);
    expect(diag['rAUmax']).toBeLessThanOrEqual(1);
    model.dispose();
    disposeBatch(batch);
  });
});
