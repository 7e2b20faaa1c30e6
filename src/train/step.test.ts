import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  disposeBatch,
  maxAbsDiff,
  mlpModel,
  randomBatch,
  readTree,
} from '../../test/engine-fixtures.js';
import { combine } from '../autodiff/gramian.js';
import { recordForward } from '../autodiff/jacobian.js';
import { ConfigError, NumericalError } from '../core/errors.js';
import type { Batch, MtlModel, TaskSpec } from '../core/model.js';
import { createRng } from '../core/rng.js';
import type {
  Aggregator,
  AggregatorTraits,
  Gramian,
  LossWeighting,
  ParamTree,
  Regularizer,
  TaskOptimizer,
  Weighting,
} from '../core/types.js';
import { sgd } from '../optim/sgd.js';
import { defaultRegistry } from '../registry/index.js';
import {
  createStepSetup,
  disposeTrainState,
  initTrainState,
  methodFromRegistry,
  trainStep,
  type StepMethod,
  type StepOptions,
} from './step.js';

const tasks: TaskSpec[] = [
  { id: 'click', kind: 'binary' },
  { id: 'value', kind: 'regression' },
];
const LR = 0.1;

const traits: AggregatorTraits = {
  nonConflicting: 'never-claimed',
  permutationInvariant: true,
  linearUnderScaling: true,
  singleTask: 'identity',
  stochastic: false,
  stateful: false,
};

/** A Gramian weighting with fixed weights, and one with w_k = 1/‖g_k‖ (depends on G). */
function weightingAgg(id: string, f: (g: Gramian) => Float64Array): Aggregator<{ calls: number }> {
  const weighting: Weighting<{ calls: number }> = {
    id,
    init: () => ({ calls: 0 }),
    weigh: (g, s) => ({ weights: f(g), state: { calls: s.calls + 1 } }),
  };
  return {
    id,
    traits,
    config: {},
    weighting,
    init: () => weighting.init(0),
    update(j, s, ctx) {
      const r = weighting.weigh(
        { k: j.tasks.length, data: new Float64Array(j.tasks.length ** 2) },
        s,
        ctx,
      );
      return { direction: combine(j, r.weights), state: r.state, weights: r.weights };
    },
  };
}
const fixed = (w: number[]): Aggregator<{ calls: number }> =>
  weightingAgg('fixed', () => Float64Array.from(w));
const invNorm = weightingAgg('inv-norm', (g) =>
  Float64Array.from({ length: g.k }, (_, i) => 1 / Math.sqrt(g.data[i * g.k + i]!)),
);

/** An aggregator without a weighting: d = Σ_k J_k (plain sum, computed on the device). */
const sumNoWeighting: Aggregator<null> = {
  id: 'sum-direct',
  traits,
  config: {},
  init: () => null,
  update: (j) => ({
    direction: tf.tidy(() =>
      Object.fromEntries(Object.entries(j.blocks).map(([k, b]) => [k, tf.sum(b, 0)])),
    ),
    state: null,
  }),
};

function constantLoss(w: number[], extra: Partial<LossWeighting> = {}): LossWeighting<null> {
  return {
    id: 'const',
    config: {},
    init: () => null,
    weigh: () => ({ weights: Float64Array.from(w), state: null }),
    ...extra,
  } as LossWeighting<null>;
}

function setupFor(model: MtlModel, method: StepMethod, extra: Partial<StepOptions> = {}) {
  return createStepSetup({ model, method, optimizer: sgd({ learningRate: LR }), ...extra });
}

function values(model: MtlModel): Record<string, Float32Array> {
  const vars = [...model.shared, ...Object.values(model.perTask).flat(), ...(model.extra ?? [])];
  return Object.fromEntries(vars.map((v) => [v.name, Float32Array.from(v.dataSync())]));
}

/** Expected values after one SGD step with gradient tree `g`. */
function sgdExpect(before: Record<string, Float32Array>, g: Record<string, Float32Array>) {
  return Object.fromEntries(
    Object.entries(before).map(([k, v]) => [k, v.map((x, i) => x - LR * (g[k]?.[i] ?? 0))]),
  );
}

/** Reference gradients from a separate session on the same batch and rng. */
function reference(
  model: MtlModel,
  batch: Batch,
  seed: number,
  f: (s: ReturnType<typeof recordForward>) => ParamTree,
) {
  // trainStep derives the forward rng as the first split of the state's rng.
  const fwd = createRng(seed).split();
  const s = recordForward(model, batch, { forward: { training: true, rng: fwd, step: 0 } });
  const tree = f(s);
  const out = readTree(tree);
  tf.dispose(Object.values(tree));
  s.dispose();
  return out;
}

function withModel(test: (model: MtlModel, batch: Batch) => void, opts: { extra?: boolean } = {}) {
  return () => {
    const model = mlpModel({ tasks, inputDim: 4, withExtra: opts.extra ?? false, seed: 5 });
    const batch = randomBatch(tasks, 12, 4, 9);
    try {
      test(model, batch);
    } finally {
      model.dispose();
      disposeBatch(batch);
    }
  };
}

describe('trainStep paths', () => {
  it(
    'loss weighting: one backward of Σ w_k L_k (+ aux) for every variable, two host reads',
    withModel(
      (model, batch) => {
        const w = [0.7, 1.9];
        const setup = setupFor(model, { kind: 'loss-weighting', weighting: constantLoss(w) });
        const g = reference(model, batch, 1, (s) =>
          s.backward({ lossWeights: w, additive: true }, ['shared', 'heads', 'extra']),
        );
        const before = values(model);
        const state = initTrainState(setup, { seed: 1 });
        const [next, report] = trainStep(setup, state, batch);
        expect(maxAbsDiff(values(model), sgdExpect(before, g))).toBeLessThanOrEqual(1e-6);
        expect(Array.from(report.weights!)).toEqual(w);
        expect(report.backwardPasses).toBe(1);
        expect(report.hostReads).toBe(2);
        expect(report.jacobianComputed).toBe(false);
        expect(next.step).toBe(1);
        disposeTrainState(next);
      },
      { extra: true },
    ),
  );

  it(
    'aggregator with a Gramian weighting (params): d = Jᵀw, heads get their own unweighted gradient, extras Σ_k L_k + aux; ONE host read',
    withModel(
      (model, batch) => {
        const setup = setupFor(model, { kind: 'aggregator', aggregator: invNorm });
        let J: Record<string, Float32Array> = {};
        const g = reference(model, batch, 2, (s) => {
          const tg = s.taskJacobian('params');
          J = readTree(tg.jacobian.blocks);
          const add = s.backward({ additive: true }, ['shared', 'heads', 'extra']);
          const out: Record<string, tf.Tensor> = { ...tg.heads, ...tg.extra };
          for (const [k, v] of Object.entries(add)) out[k] = out[k] ? tf.add(out[k]!, v) : v;
          tf.dispose(Object.values(tg.jacobian.blocks));
          return out;
        });
        const before = values(model);
        const [next, report] = trainStep(setup, initTrainState(setup, { seed: 2 }), batch);
        const G = report.gramian!;
        const w = [1 / Math.sqrt(G.data[0]!), 1 / Math.sqrt(G.data[3]!)];
        expect(Array.from(report.weights!)).toEqual(w);
        for (const [name, blk] of Object.entries(J)) {
          const n = blk.length / 2;
          const add = g[name] ?? new Float32Array(n);
          g[name] = new Float32Array(n).map(
            (_, i) => w[0]! * blk[i]! + w[1]! * blk[n + i]! + add[i]!,
          );
        }
        expect(maxAbsDiff(values(model), sgdExpect(before, g))).toBeLessThanOrEqual(1e-6);
        expect(report.hostReads).toBe(1);
        expect(report.backwardPasses).toBe(3); // K task passes + one for the aux loss
        expect(report.cosines![1]).toBeCloseTo(G.data[1]! / Math.sqrt(G.data[0]! * G.data[3]!), 12);
        disposeTrainState(next);
      },
      { extra: true },
    ),
  );

  it(
    'features mode: K head passes + one trunk backward give the same update as params mode with the same weights',
    withModel((model, batch) => {
      const w = [0.4, 1.3];
      const snapshot = values(model);
      const restore = () => {
        for (const v of [...model.shared, ...Object.values(model.perTask).flat()]) {
          tf.tidy(() => v.assign(tf.tensor(snapshot[v.name]!, v.shape)));
        }
      };
      const run = (mode: 'params' | 'features') => {
        restore();
        const setup = setupFor(model, { kind: 'aggregator', aggregator: fixed(w), mode });
        const [next, report] = trainStep(setup, initTrainState(setup, { seed: 3 }), batch);
        disposeTrainState(next);
        return { after: values(model), report };
      };
      const p = run('params');
      const f = run('features');
      expect(maxAbsDiff(p.after, f.after)).toBeLessThanOrEqual(1e-6);
      expect(f.report.backwardPasses).toBe(3); // K passes to the features (through the heads) + 1 trunk
      expect(f.report.hostReads).toBe(1);
      expect(Object.keys(f.report.gramian!.data).length).toBe(4);
    }),
  );

  it(
    'jacobianEvery: J and w on steps 0, 3, 6; the steps between reuse the last weights',
    withModel((model, batch) => {
      const setup = setupFor(model, { kind: 'aggregator', aggregator: invNorm, jacobianEvery: 3 });
      let state = initTrainState(setup, { seed: 4 });
      const computed: boolean[] = [];
      let lastW: number[] = [];
      for (let i = 0; i < 7; i++) {
        const [next, r] = trainStep(setup, state, batch);
        state = next;
        computed.push(r.jacobianComputed);
        if (r.jacobianComputed) lastW = Array.from(r.weights!);
        else expect(Array.from(r.weights!)).toEqual(lastW);
        expect(r.hostReads).toBe(r.jacobianComputed ? 1 : 2);
      }
      expect(computed).toEqual([true, false, false, true, false, false, true]);
      expect((state.methodState as { calls: number }).calls).toBe(3);
      disposeTrainState(state);
      expect(() =>
        setupFor(model, { kind: 'aggregator', aggregator: sumNoWeighting, jacobianEvery: 2 }),
      ).toThrow(/needs a Gramian weighting/);
    }),
  );

  it(
    'aggregator without a weighting: update(J) gives the direction; its norm is the NaN guard (two reads)',
    withModel((model, batch) => {
      const setup = setupFor(model, { kind: 'aggregator', aggregator: sumNoWeighting });
      const g = reference(model, batch, 5, (s) =>
        s.backward({ lossWeights: [1, 1] }, ['shared', 'heads']),
      );
      const before = values(model);
      const [next, report] = trainStep(setup, initTrainState(setup, { seed: 5 }), batch);
      expect(maxAbsDiff(values(model), sgdExpect(before, g))).toBeLessThanOrEqual(1e-6);
      expect(report.hostReads).toBe(2);
      expect(report.weights).toBeUndefined();
      disposeTrainState(next);
    }),
  );

  it(
    'aggregator + loss weighting: rows scaled by c_k before aggregation, heads by c_k',
    withModel((model, batch) => {
      const c = [2, 0.5];
      const setup = setupFor(model, {
        kind: 'aggregator',
        aggregator: fixed([1, 1]),
        lossWeighting: constantLoss(c),
      });
      const g = reference(model, batch, 6, (s) =>
        s.backward({ lossWeights: c }, ['shared', 'heads']),
      );
      const before = values(model);
      const [next, report] = trainStep(setup, initTrainState(setup, { seed: 6 }), batch);
      expect(maxAbsDiff(values(model), sgdExpect(before, g))).toBeLessThanOrEqual(1e-6);
      expect(Array.from(report.lossWeights!)).toEqual(c);
      disposeTrainState(next);
    }),
  );

  it(
    'task optimiser: receives J in params mode and its updates are added to the shared variables',
    withModel((model, batch) => {
      const seen: string[][] = [];
      const perTaskSgd: TaskOptimizer<{ n: number }> = {
        kind: 'task-optimizer',
        id: 'per-task-sgd',
        config: {},
        init: (spec) => {
          seen.push([...spec.tasks]);
          return { n: 0 };
        },
        update: (j, s) => ({
          // u = −0.05 · Σ_k J_k
          updates: tf.tidy(() =>
            Object.fromEntries(
              Object.entries(j.blocks).map(([k, b]) => [k, tf.mul(tf.sum(b, 0), -0.05)]),
            ),
          ),
          state: { n: s.n + 1 },
          diagnostics: { calls: s.n + 1 },
        }),
      };
      const setup = setupFor(model, { kind: 'task-optimizer', optimizer: perTaskSgd });
      const gShared = reference(model, batch, 7, (s) =>
        s.backward({ lossWeights: [1, 1] }, ['shared']),
      );
      const gHeads = reference(model, batch, 7, (s) => s.headGrads());
      const before = values(model);
      const [next, report] = trainStep(setup, initTrainState(setup, { seed: 7 }), batch);
      const after = values(model);
      for (const v of model.shared) {
        const want = before[v.name]!.map((x, i) => x - 0.05 * gShared[v.name]![i]!);
        expect(maxAbsDiff({ x: after[v.name]! }, { x: want })).toBeLessThanOrEqual(1e-6);
      }
      for (const [name, g] of Object.entries(gHeads)) {
        const want = before[name]!.map((x, i) => x - LR * g[i]!);
        expect(maxAbsDiff({ x: after[name]! }, { x: want })).toBeLessThanOrEqual(1e-6);
      }
      expect(seen).toEqual([['click', 'value']]);
      expect(report.diagnostics['calls']).toBe(1);
      expect(report.hostReads).toBe(1);
      disposeTrainState(next);
      expect(() =>
        setupFor(
          model,
          { kind: 'task-optimizer', optimizer: perTaskSgd },
          { regularizers: [l2Reg] },
        ),
      ).toThrow(ConfigError);
    }),
  );

  it(
    'afterStep (FAMO) receives the losses recomputed on the same batch after the update',
    withModel((model, batch) => {
      let after: number[] = [];
      const lw = constantLoss([1, 1], {
        needsLossesAfterStep: true,
        afterStep: (l: Float64Array, s: unknown) => {
          after = Array.from(l);
          return s;
        },
      });
      const setup = setupFor(model, { kind: 'loss-weighting', weighting: lw });
      const [next, r] = trainStep(setup, initTrainState(setup, { seed: 8 }), batch);
      const s = recordForward(model, batch, {
        forward: { training: true, rng: createRng(0), step: 1 },
      });
      const now = Array.from(s.lossVector.dataSync());
      s.dispose();
      expect(after.length).toBe(2);
      after.forEach((v, i) => expect(v).toBeCloseTo(now[i]!, 6));
      expect(after[0]!).toBeLessThan(r.losses[0]!);
      expect(r.hostReads).toBe(3);
      disposeTrainState(next);
    }),
  );
});

const l2Reg: Regularizer = {
  id: 'l2',
  config: {},
  order: 1,
  penalty: (input) =>
    tf.mul(0.5, tf.addN(input.shared.map((v) => tf.sum(tf.square(v))))) as tf.Scalar,
};

describe('engine option', () => {
  it.each(['params', 'features'] as const)(
    "%s mode: engine 'naive' gives the same step as the tape engine",
    (mode) => {
      const run = (engine: 'tape' | 'naive') => {
        const model = mlpModel({ tasks, inputDim: 4, withExtra: true, seed: 5 });
        const batch = randomBatch(tasks, 12, 4, 9);
        const setup = setupFor(
          model,
          { kind: 'aggregator', aggregator: invNorm, mode },
          { engine },
        );
        const [next, report] = trainStep(setup, initTrainState(setup, { seed: 21 }), batch);
        const out = { after: values(model), w: Array.from(report.weights!) };
        disposeTrainState(next);
        model.dispose();
        disposeBatch(batch);
        return out;
      };
      const a = run('tape');
      const b = run('naive');
      expect(b.w).toEqual(a.w);
      const vals = (r: Record<string, Float32Array>) => Object.values(r);
      vals(a.after).forEach((v, i) =>
        expect(maxAbsDiff({ x: v }, { x: vals(b.after)[i]! })).toBe(0),
      );
    },
  );
});

describe('regularizers in the step', () => {
  it(
    'an order-1 penalty adds its gradient and is reported',
    withModel((model, batch) => {
      const setup = setupFor(
        model,
        { kind: 'aggregator', aggregator: fixed([1, 1]) },
        { regularizers: [l2Reg] },
      );
      const g = reference(model, batch, 9, (s) =>
        s.backward({ lossWeights: [1, 1] }, ['shared', 'heads']),
      );
      const before = values(model);
      for (const v of model.shared) g[v.name] = g[v.name]!.map((x, i) => x + before[v.name]![i]!);
      const [next, report] = trainStep(setup, initTrainState(setup, { seed: 9 }), batch);
      expect(maxAbsDiff(values(model), sgdExpect(before, g))).toBeLessThanOrEqual(1e-6);
      const want =
        0.5 * model.shared.reduce((s, v) => s + before[v.name]!.reduce((a, x) => a + x * x, 0), 0);
      expect(report.penalties['l2']).toBeCloseTo(want, 4);
      disposeTrainState(next);
    }),
  );
});

describe('second-order regularizer in the step', () => {
  it(
    'order 2: the update adds ∇(λ Σ⟨g_i, g_j⟩²) computed through the recorded per-task gradients, without leaks',
    withModel((model, batch) => {
      const reg: Regularizer = {
        id: 'dot2',
        config: {},
        order: 2,
        penalty: ({ taskGradients }) => {
          const [a, b] = taskGradients!;
          const dot = tf.addN(Object.keys(a!).map((k) => tf.sum(tf.mul(a![k]!, b![k]!))));
          return tf.mul(0.1, tf.square(dot)) as tf.Scalar;
        },
      };
      const setup = setupFor(
        model,
        { kind: 'aggregator', aggregator: fixed([1, 1]) },
        { regularizers: [reg] },
      );
      const fwd = createRng(13).split();
      const s = recordForward(model, batch, {
        forward: { training: true, rng: fwd, step: 0 },
        regularizers: [reg],
      });
      const gTree = s.backward({ lossWeights: [1, 1], additive: true }, ['shared', 'heads']);
      const g = readTree(gTree);
      tf.dispose(Object.values(gTree));
      const penalty = s.penalties!.dataSync()[0]!;
      s.dispose();
      expect(penalty).toBeGreaterThan(0);
      const before = values(model);
      const tensors = tf.memory().numTensors;
      const state = initTrainState(setup, { seed: 13 });
      const [next, report] = trainStep(setup, state, batch);
      disposeTrainState(next);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(report.penalties['dot2']).toBeCloseTo(penalty, 6);
      expect(maxAbsDiff(values(model), sgdExpect(before, g))).toBeLessThanOrEqual(1e-6);
    }),
  );
});

describe('NaN guard', () => {
  const nanBatch = (): Batch => {
    const b = randomBatch(tasks, 6, 4, 10);
    const v = b.targets['value']!;
    const bad = tf.tensor1d([0.5, NaN, 0.1, 0.2, 0.3, 0.4]);
    v.dispose();
    return { ...b, targets: { ...b.targets, value: bad } };
  };
  /** Loss stays finite but ∂/∂out of 0·√(out − out) is 0·∞ = NaN. */
  const nanGradModel = (): MtlModel => {
    const m = mlpModel({ tasks, inputDim: 4, seed: 5 });
    return {
      ...m,
      heads: (f, i, o) => {
        const r = m.heads(f, i, o);
        const out = r.outputs['value']!;
        return {
          outputs: { ...r.outputs, value: tf.add(out, tf.mul(0, tf.sqrt(tf.sub(out, out)))) },
        };
      },
    };
  };

  it.each([
    ['loss weighting', { kind: 'loss-weighting', weighting: constantLoss([1, 1]) } as StepMethod],
    ['aggregator', { kind: 'aggregator', aggregator: invNorm } as StepMethod],
  ])('%s: a NaN loss throws NumericalError naming the task and the step', (_, method) => {
    const model = mlpModel({ tasks, inputDim: 4, seed: 5 });
    const batch = nanBatch();
    const setup = setupFor(model, method);
    const state = { ...initTrainState(setup, { seed: 1 }), step: 41 };
    const before = tf.memory().numTensors;
    let err: unknown;
    try {
      trainStep(setup, state, batch);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NumericalError);
    expect((err as NumericalError).task).toBe('value');
    expect((err as NumericalError).step).toBe(41);
    expect((err as Error).message).toMatch(/trainStep: loss of task 'value' is NaN at step 41/);
    expect(tf.memory().numTensors).toBe(before);
    disposeTrainState(state);
    model.dispose();
    disposeBatch(batch);
  });

  it.each([
    [
      'loss weighting',
      { kind: 'loss-weighting', weighting: constantLoss([1, 1]) } as StepMethod,
      /gradient of the weighted objective is not finite/,
    ],
    [
      'aggregator',
      { kind: 'aggregator', aggregator: invNorm } as StepMethod,
      /gradient of task 'value' is not finite \(‖g‖² = NaN\) at step 0/,
    ],
  ])('%s: a NaN gradient with finite losses is caught too', (_, method, msg) => {
    const model = nanGradModel();
    const batch = randomBatch(tasks, 6, 4, 11);
    const setup = setupFor(model, method);
    const state = initTrainState(setup, { seed: 1 });
    expect(() => trainStep(setup, state, batch)).toThrow(msg);
    disposeTrainState(state);
    model.dispose();
    disposeBatch(batch);
  });

  it('onNonFinite: skip leaves parameters and states untouched and reports the skip', () => {
    const model = mlpModel({ tasks, inputDim: 4, seed: 5 });
    const batch = nanBatch();
    const setup = setupFor(
      model,
      { kind: 'aggregator', aggregator: invNorm },
      { onNonFinite: 'skip' },
    );
    const state = initTrainState(setup, { seed: 1 });
    const before = values(model);
    const [next, report] = trainStep(setup, state, batch);
    expect(report.skipped).toBe(true);
    expect(report.warnings.join()).toMatch(/step skipped: trainStep: loss of task 'value' is NaN/);
    expect(next.skippedSteps).toBe(1);
    expect(next.step).toBe(1);
    expect(next.methodState).toBe(state.methodState);
    expect(next.optState).toBe(state.optState);
    expect(maxAbsDiff(values(model), before)).toBe(0);
    disposeTrainState(next);
    model.dispose();
    disposeBatch(batch);
  });
});

describe('bookkeeping', () => {
  it(
    'warns about a task without labelled rows; no tensors leak over steps of every path',
    withModel((model) => {
      const batch = randomBatch(tasks, 6, 4, 12, { masks: { value: [0, 0, 0, 0, 0, 0] } });
      const methods: StepMethod[] = [
        { kind: 'loss-weighting', weighting: constantLoss([1, 1]) },
        { kind: 'aggregator', aggregator: fixed([0.5, 2]) },
        { kind: 'aggregator', aggregator: fixed([1, 1]), mode: 'features' },
        { kind: 'aggregator', aggregator: sumNoWeighting },
        { kind: 'aggregator', aggregator: fixed([1, 1]), jacobianEvery: 2 },
      ];
      for (const method of methods) {
        const setup = setupFor(model, method, { regularizers: [l2Reg], onNonFinite: 'skip' });
        const tensors = tf.memory().numTensors;
        let state = initTrainState(setup, { seed: 3 });
        for (let i = 0; i < 3; i++) {
          const [next, r] = trainStep(setup, state, batch);
          state = next;
          expect(r.skipped).toBe(false);
          expect(r.labelled[1]).toBe(0);
          expect(r.losses[1]).toBe(0);
          expect(r.warnings).toContain(
            "task 'value' has no labelled row in this batch: it contributes 0 loss and no gradient",
          );
        }
        disposeTrainState(state);
        expect(tf.memory().numTensors).toBe(tensors);
      }
      disposeBatch(batch);
    }),
  );

  it('methodFromRegistry builds methods by entry kind', () => {
    expect(methodFromRegistry(defaultRegistry, 'upgrad', {}, { mode: 'features' })).toMatchObject({
      kind: 'aggregator',
      mode: 'features',
    });
    expect(methodFromRegistry(defaultRegistry, 'dwa').kind).toBe('loss-weighting');
    expect(() => methodFromRegistry(defaultRegistry, 'adam')).toThrow(/plain optimiser/);
    expect(() => methodFromRegistry(defaultRegistry, 'dwa', {}, { jacobianEvery: 2 })).toThrow(
      /apply to aggregators/,
    );
  });

  it('rejects bad setups at creation', () => {
    const model = mlpModel({ tasks, inputDim: 4 });
    expect(() =>
      setupFor(model, { kind: 'aggregator', aggregator: invNorm, jacobianEvery: 0 }),
    ).toThrow(/jacobianEvery/);
    expect(() => setupFor(model, { kind: 'nope' } as never)).toThrow(/unknown method kind 'nope'/);
    expect(() =>
      setupFor(model, { kind: 'aggregator', aggregator: invNorm, mode: 'x' as never }),
    ).toThrow(/mode/);
    expect(() =>
      setupFor(
        model,
        { kind: 'aggregator', aggregator: invNorm },
        { onNonFinite: 'ignore' as never },
      ),
    ).toThrow(/onNonFinite/);
    model.dispose();
  });
});
